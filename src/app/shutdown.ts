/** On SIGTERM or SIGINT: stop gracefully, then exit 0 (1 if stopping failed or hung). */
export function stopOnSignals(stop: () => Promise<void>): void {
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(
      JSON.stringify({
        level: 30,
        time: new Date().toISOString(),
        signal,
        msg: 'shutting down: finishing in-flight requests and deliveries',
      }),
    );
    const force = setTimeout(() => process.exit(1), 30_000);
    force.unref();
    stop().then(
      () => process.exit(0),
      (err) => {
        console.error(`hookline: error during shutdown: ${(err as Error).message ?? err}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
