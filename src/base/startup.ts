// A start-up failure the user can act on: its message is one line that
// names what is wrong (the address, the file, the database) and why. The
// entry points print it as `hookline: <message>` and exit 1, no stack trace.
export class StartupError extends Error {
  constructor(message: string) {
    super(message.replace(/\s*\n\s*/g, ' '));
    this.name = 'StartupError';
  }
}

/** The OS's reason for an errno-style error ("EACCES: permission denied"), without the path it repeats. */
export function osReason(err: unknown): string {
  const e = err as { code?: string; message?: string } | null;
  const code = e?.code;
  const text = (e?.message ?? String(err)).split('\n')[0];
  // Node's fs messages are "<CODE>: <reason>, <syscall> '<path>'".
  const m = /^[A-Z]+: ([^,]+)/.exec(text);
  if (code && m) return `${code}: ${m[1]}`;
  return code && !text.includes(code) ? `${code}: ${text}` : text;
}
