// The results table (stdout and bench/results/latest.md) and the machine
// description that makes a figure meaningful.
import { execFileSync } from 'node:child_process';
import { cpus, totalmem, type as osType, release } from 'node:os';
import { ROOT } from './proc.js';

export interface Row {
  scenario: string;
  hookline: string;
  baseline: string;
  /** Hookline ÷ baseline for rates, Hookline − baseline for latencies. */
  ratio: string;
  target: string;
  met: string;
}

export interface Section {
  title: string;
  lines: string[];
}

export function machine(): Record<string, string> {
  const git = (args: string[]) => {
    try {
      return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return '';
    }
  };
  const dirty = git(['status', '--porcelain', '--', 'src', 'prisma']) ? ' (with uncommitted changes in src/ or prisma/)' : '';
  return {
    CPU: `${cpus()[0]?.model ?? 'unknown'}`,
    Cores: String(cpus().length),
    Memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
    Node: process.version,
    OS: `${osType()} ${release()}`,
    Commit: `${git(['rev-parse', '--short', 'HEAD']) || 'unknown'}${dirty}`,
    Date: new Date().toISOString(),
  };
}

export const fmtRate = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a');
export const fmtMs = (x: number) => (Number.isFinite(x) ? `${x < 10 ? x.toFixed(2) : x.toFixed(1)} ms` : 'n/a');
export const fmtGap = (x: number) => (Number.isFinite(x) ? `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(1)} ms` : 'n/a');
export const fmtRatio = (x: number) => (Number.isFinite(x) ? `${x < 0.1 ? x.toFixed(3) : x.toFixed(2)}×` : 'n/a');

export function markdownTable(rows: Row[]): string {
  const head = ['Scenario', 'Hookline', 'Baseline', 'Ratio / gap', 'Target', 'Met?'];
  const cells = rows.map((r) => [r.scenario, r.hookline, r.baseline, r.ratio, r.target, r.met]);
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...cells.map((c) => `| ${c.map(esc).join(' | ')} |`)].join(
    '\n',
  );
}

/** A fixed-width rendering of the same table for the terminal. */
export function textTable(rows: Row[]): string {
  const head = ['Scenario', 'Hookline', 'Baseline', 'Ratio / gap', 'Target', 'Met?'];
  const cells = [head, ...rows.map((r) => [r.scenario, r.hookline, r.baseline, r.ratio, r.target, r.met])];
  const widths = head.map((_, i) => Math.max(...cells.map((c) => c[i].length)));
  const line = (c: string[]) =>
    c
      .map((s, i) => s.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}
