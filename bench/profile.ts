// Summarises V8 CPU profiles (.cpuprofile, from `node --cpu-prof`) into the
// few lines that matter: where the server's CPU time went, by file and by
// function, self and inclusive. `npm run bench -- --profile` writes one per
// server into bench/results/ and prints these summaries; it can also be run
// on its own: `npx tsx bench/profile.ts bench/results/<file>.cpuprofile`.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ROOT } from './lib/proc.js';

/** Now on CLOCK_MONOTONIC in microseconds: the clock of V8's profile timestamps. */
export const monotonicMicros = () => Number(process.hrtime.bigint() / 1000n);

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** file:///…/src/x.ts → src/x.ts; …/node_modules/@scope/pkg/… → @scope/pkg; node:internal → node internals. */
export function where(url: string): string {
  if (!url) return '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const path = url.replace(/^file:\/\//, '');
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = path.slice(nm + '/node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  return path.startsWith(ROOT) ? path.slice(ROOT.length) : path;
}

function label(f: CallFrame): string {
  const w = where(f.url);
  const name = f.functionName || '(anonymous)';
  if (!f.url) return name; // (garbage collector), (program), (idle), native builtins
  return `${w}:${name}:${f.lineNumber + 1}`;
}

export interface ProfileSummary {
  totalMs: number;
  busyMs: number;
  byArea: { area: string; pct: number }[];
  bySelf: { fn: string; pct: number }[];
  byInclusive: { fn: string; pct: number }[];
}

/**
 * Only samples inside `windows` (CLOCK_MONOTONIC microseconds, the clock V8
 * stamps profiles with and process.hrtime reads) count, so one profile of a
 * server that ran several scenarios can be split by scenario.
 */
export function summarizeProfile(file: string, top = 15, windows?: { from: number; to: number }[]): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const area = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  let idle = 0;
  let at = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i] ?? 0;
    at += dt;
    if (windows && !windows.some((w) => at >= w.from && at <= w.to)) continue;
    const node = byId.get(p.samples[i]);
    if (!node) continue;
    total += dt;
    if (node.callFrame.functionName === '(idle)') {
      idle += dt;
      continue;
    }
    const key = label(node.callFrame);
    self.set(key, (self.get(key) ?? 0) + dt);
    const a = node.callFrame.url ? where(node.callFrame.url) : node.callFrame.functionName || '(native)';
    area.set(a, (area.get(a) ?? 0) + dt);
    // Inclusive: every distinct project function on the stack gets the sample.
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const f = byId.get(id)!.callFrame;
      if (!f.url.includes('/src/') || f.url.includes('/node_modules/') || f.url.includes('/src/generated/')) continue;
      const k = label(f);
      if (!seen.has(k)) {
        seen.add(k);
        inclusive.set(k, (inclusive.get(k) ?? 0) + dt);
      }
    }
  }
  const busy = total - idle;
  const rank = (m: Map<string, number>) =>
    [...m]
      .sort((x, y) => y[1] - x[1])
      .slice(0, top)
      .map(([k, v]) => ({ k, pct: (100 * v) / Math.max(1, busy) }));
  return {
    totalMs: total / 1000,
    busyMs: busy / 1000,
    byArea: rank(area).map(({ k, pct }) => ({ area: k, pct })),
    bySelf: rank(self).map(({ k, pct }) => ({ fn: k, pct })),
    byInclusive: rank(inclusive).map(({ k, pct }) => ({ fn: k, pct })),
  };
}

export function formatSummary(name: string, s: ProfileSummary): string[] {
  const pct = (x: number) => `${x.toFixed(1).padStart(5)}%`;
  return [
    `${name}: ${(s.busyMs / 1000).toFixed(1)} s on CPU of ${(s.totalMs / 1000).toFixed(1)} s profiled (percentages are of on-CPU time)`,
    'By package or file (self time):',
    ...s.byArea.map((a) => `  ${pct(a.pct)}  ${a.area}`),
    'Hottest functions (self time):',
    ...s.bySelf.map((f) => `  ${pct(f.pct)}  ${f.fn}`),
    "Hookline's own functions (inclusive time: the function and everything it calls):",
    ...s.byInclusive.map((f) => `  ${pct(f.pct)}  ${f.fn}`),
  ];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const f of process.argv.slice(2)) console.log(formatSummary(f, summarizeProfile(f, 25)).join('\n'), '\n');
}
