// The container image's HEALTHCHECK: exit 0 when GET /readyz answers 200 on
// this container's port, 1 otherwise. The API listens on PORT; a worker
// started with WORKER_PORT (`node dist/worker.mjs`) answers there instead.
// A plain script rather than curl, which the slim Node image does not have.
const port = process.env.WORKER_PORT || process.env.PORT || '4000';
const url = `http://127.0.0.1:${port}/readyz`;
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(4000) });
  const body = await res.text();
  if (res.status !== 200) console.error(`hookline healthcheck: ${url} answered ${res.status}: ${body}`);
  process.exit(res.status === 200 ? 0 : 1);
} catch (err) {
  console.error(`hookline healthcheck: ${url}: ${err?.cause?.code ?? err?.message ?? err}`);
  process.exit(1);
}
