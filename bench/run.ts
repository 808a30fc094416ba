// `npm run bench` — Hookline's benchmark suite (issue 4).
//
// Every figure is measured next to a baseline taken in the same run on the
// same machine, because these machines are shared and noisy: a bare number
// says little, a ratio to the physical limit says a lot. Repetitions of
// Hookline and its baseline are interleaved where possible, and the table
// shows medians.
//
// Processes: the server under test (node --import tsx src/main.ts), the
// webhook receiver, the load generator, the subscribers and the raw
// broadcaster each run in a process of their own, so no two share an event
// loop. Traffic stays on 127.0.0.1.
//
//   npm run bench                    full run (3 reps), writes bench/results/latest.md
//   npm run bench -- --quick         CI smoke run (1 rep, fewer subscribers), bench/results/quick.md
//   npm run bench -- --only=1,5      some scenarios, bench/results/partial.md
//   npm run bench -- --profile       also CPU-profile each server (node --cpu-prof) and summarise, plus an
//                                    SQL-statement profile of scenario 1; bench/results/profile.md
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { sleep } from './lib/clock.js';
import { settings, type Bench } from './lib/context.js';
import { ROOT, startRole } from './lib/proc.js';
import { fmtGap, fmtMs, fmtRate, fmtRatio, machine, markdownTable, textTable, type Row } from './lib/report.js';
import { API_KEY, createPgDatabase, ENCRYPTION_KEY, startServer, type HooklineServer } from './lib/server.js';
import { median } from './lib/stats.js';
import { hooklineThroughputOnce, medianOf, measureLatency, measureThroughput, prepareDeliveries, type DeliverySetup } from './scenarios/delivery.js';
import { measureFanout } from './scenarios/fanout.js';
import { countSql, measurePublish, measureRead, prepareApi, startSqlCounter } from './scenarios/api.js';
import { formatSummary, monotonicMicros, summarizeProfile } from './profile.js';
import { formatStatements, type StatementStats } from './lib/sql-report.js';

// The server under test runs the dist/ bundle, as `npm start` does: build it from the current source.
await import('../scripts/build.mjs');

const startedAt = Date.now();
// Other work on a shared machine shows up here; a high figure explains a noisy run.
const loadAtStart = loadavg()[0];
const s = settings(process.argv.slice(2));
const elapsed = () => ((Date.now() - startedAt) / 1000).toFixed(0).padStart(3);
const log = (msg: string) => process.stderr.write(`[bench ${elapsed()}s] ${msg}\n`);

// Nothing here may hang CI: every wait is bounded, and this is the backstop.
const watchdogMs = (s.quick ? 4 : 15) * 60_000;
setTimeout(() => {
  log(`watchdog: still running after ${watchdogMs / 60_000} min; aborting`);
  process.exit(2);
}, watchdogMs).unref();

async function stopServer(srv: HooklineServer) {
  const t = Date.now();
  await srv.stop();
  log(`${srv.label} server stopped in ${((Date.now() - t) / 1000).toFixed(1)} s`);
}

/** Runs a measured phase and notes its time span on the server, to split the CPU profile by scenario. */
async function phase<T>(srv: HooklineServer, name: string, fn: () => Promise<T>): Promise<T> {
  const from = monotonicMicros();
  try {
    return await fn();
  } finally {
    srv.phases.push({ name, from, to: monotonicMicros() });
  }
}

const servers: HooklineServer[] = [];
async function server(label: string, database: string, env: Record<string, string> = {}): Promise<HooklineServer> {
  const srv = await startServer({ label, database, env, profile: s.profile });
  servers.push(srv);
  return srv;
}

const rows: Row[] = [];
const wantsDeliveryServer = [1, 2, 5, 6].some((n) => s.only.size === 0 || s.only.has(n));
// The first server starts while the helper processes load (nothing is measured yet).
const firstServer = wantsDeliveryServer ? server('sqlite-delivery', 'sqlite') : null;
firstServer?.catch(() => undefined); // awaited (and reported) below
const [receiver, agent] = await Promise.all([startRole('receiver'), startRole('agent')]);
const b: Bench = {
  settings: s,
  receiver,
  agent,
  rows,
  sections: [],
  log,
  wants: (n) => s.only.size === 0 || s.only.has(n),
};
const broken: string[] = [];
const notes: string[] = [];

const calR = await b.receiver.calibrate();
const calA = await b.agent.calibrate();
notes.push(
  `Cross-process clocks: receiver ${calR.offset.toFixed(3)} ms (±${calR.errorBound.toFixed(3)}), load generator ${calA.offset.toFixed(3)} ms (±${calA.errorBound.toFixed(3)}) from this process; latencies are corrected by these offsets.`,
);

// Ratios and gaps are taken per repetition (Hookline rep i against baseline
// rep i, measured back to back) and then the median is shown: on a shared
// machine a burst of outside load then hits both sides of one pair, instead
// of skewing a ratio of two independent medians.
const pairedRatio = (h: number[], base: number[]) => median(h.map((x, i) => x / base[i]));
const pairedGap = (h: number[], base: number[]) => median(h.map((x, i) => x - base[i]));
const yes = (ok: boolean) => (ok ? 'yes' : 'no');
const ratioMet = (r: number, target: number, stretch?: number) =>
  !Number.isFinite(r) ? 'n/a' : r >= target ? (stretch && r >= stretch ? 'yes (stretch too)' : 'yes') : `no (${fmtRatio(target - r)} short)`;
const gapMet = (gap: number, limit: number) =>
  !Number.isFinite(gap) ? 'n/a' : gap <= limit ? 'yes' : `no (${(gap - limit).toFixed(1)} ms over)`;
const memMet = (mb: number, limit: number) => (!Number.isFinite(mb) ? 'n/a' : mb <= limit ? 'yes' : `no (${(mb - limit).toFixed(0)} MB over)`);
const errorRow = (scenario: string, err: unknown): Row => ({
  scenario,
  hookline: `error: ${(err as Error).message.split('\n')[0].slice(0, 160)}`,
  baseline: '',
  ratio: '',
  target: '',
  met: 'error',
});

async function section(title: string, fn: () => Promise<void>, fatal = true) {
  try {
    await fn();
  } catch (err) {
    log(`${title} failed: ${(err as Error).stack ?? err}`);
    if (fatal) broken.push(`${title}: ${(err as Error).message.split('\n')[0]}`);
    rows.push(errorRow(title, err));
  }
}


// ---------------------------------------------------------------------------
// Server A: SQLite with the worker — idle memory, scenarios 1, 2, 5, peak memory.
let s1Rate = NaN;
if (firstServer) {
  let srv: HooklineServer | null = null;
  await section('SQLite delivery server', async () => {
    srv = await firstServer;
    // Let start-up work (JIT of the first requests, timers) settle before reading "idle".
    await sleep(s.quick ? 1_000 : 3_000);
    const idle = srv.memory();
    log(`SQLite server ready; idle RSS ${idle.rssMb.toFixed(0)} MB`);
    const setup: DeliverySetup = await prepareDeliveries(b, srv);

    if (b.wants(1) || b.wants(2) || b.wants(6)) {
      log(`scenario 1: ${s.s1Events} events × 10 webhooks, ${s.reps} rep(s)`);
      const t = await phase(srv, 'scenario 1 (delivery throughput, with its raw baseline runs)', () => measureThroughput(b, srv!, setup, 'SQLite'));
      const peak = srv.memory().peakMb;
      s1Rate = median(t.hookline);
      const base = median(t.baseline);
      const ratio = pairedRatio(t.hookline, t.baseline);
      rows.push({
        scenario: '1. Delivery throughput, SQLite',
        hookline: `${fmtRate(s1Rate)} deliveries/s`,
        baseline: `${fmtRate(base)} POST/s (raw undici, c=64)`,
        ratio: fmtRatio(ratio),
        target: '≥ 0.5× (stretch 0.7×)',
        met: ratioMet(ratio, 0.5, 0.7),
      });
      b.sections.push({ title: 'Scenario 1: delivery throughput (SQLite)', lines: t.detail });
      if (b.wants(6)) {
        rows.push({ scenario: '6. RSS idle after start', hookline: `${idle.rssMb.toFixed(0)} MB`, baseline: '—', ratio: '—', target: '≤ 150 MB', met: memMet(idle.rssMb, 150) });
        rows.push({ scenario: '6. RSS peak during scenario 1', hookline: `${peak.toFixed(0)} MB`, baseline: '—', ratio: '—', target: '≤ 300 MB', met: memMet(peak, 300) });
      }
    }

    if (b.wants(2)) {
      const rate = s1Rate / 2;
      log(`scenario 2: latency at ${Math.round(rate)} deliveries/s`);
      const l = await phase(srv, 'scenario 2 (paced latency runs)', () => measureLatency(b, srv!, setup, rate));
      const h50 = medianOf(l.hookline, 'p50');
      const h99 = medianOf(l.hookline, 'p99');
      const hMax = medianOf(l.hookline, 'max');
      const r50 = medianOf(l.baseline, 'p50');
      const r99 = medianOf(l.baseline, 'p99');
      const rMax = medianOf(l.baseline, 'max');
      const at = `at ${fmtRate(rate)}/s`;
      const gap = (k: 'p50' | 'p99' | 'max') => pairedGap(l.hookline.map((x) => x[k]), l.baseline.map((x) => x[k]));
      rows.push({ scenario: `2. Publish→receipt p50 ${at}`, hookline: fmtMs(h50), baseline: `${fmtMs(r50)} raw round trip`, ratio: fmtGap(gap('p50')), target: '≤ +5 ms', met: gapMet(gap('p50'), 5) });
      rows.push({ scenario: `2. Publish→receipt p99 ${at}`, hookline: fmtMs(h99), baseline: `${fmtMs(r99)} raw round trip`, ratio: fmtGap(gap('p99')), target: '≤ +25 ms', met: gapMet(gap('p99'), 25) });
      rows.push({ scenario: `2. Publish→receipt max ${at}`, hookline: fmtMs(hMax), baseline: `${fmtMs(rMax)} raw round trip`, ratio: fmtGap(gap('max')), target: '—', met: '—' });
      b.sections.push({ title: 'Scenario 2: delivery latency', lines: l.detail });
    }

    if (b.wants(5)) {
      log(`scenario 5: fan-out to ${s.s5Subscribers} subscribers`);
      const f = await phase(srv, 'scenario 5 (fan-out to subscribers)', () => measureFanout(b, srv!));
      const h = median(f.hookline);
      const r = median(f.baseline);
      rows.push({
        scenario: `5. Fan-out to ${fmtRate(f.subscribers)} subscribers`,
        hookline: `${h.toFixed(1)} attempts/s to all (${fmtRate(h * f.subscribers)} msg/s)`,
        baseline: `${r.toFixed(1)} broadcasts/s raw ws (${fmtRate(r * f.subscribers)} msg/s)`,
        ratio: fmtRatio(pairedRatio(f.hookline, f.baseline)),
        target: '≥ 0.5×',
        met: ratioMet(pairedRatio(f.hookline, f.baseline), 0.5),
      });
      const hl = f.hooklineLatency!;
      const bl = f.baselineLatency!;
      rows.push({
        scenario: `5. Fan-out p99 completion→arrival at ${f.pacedRate.toFixed(1)}/s`,
        hookline: fmtMs(hl.p99),
        baseline: `${fmtMs(bl.p99)} raw send→arrival`,
        ratio: fmtGap(hl.p99 - bl.p99), // medians of independent runs: these reps are not paired
        target: '—',
        met: '—',
      });
      b.sections.push({ title: 'Scenario 5: subscription fan-out', lines: f.detail });
    }
  });
  if (srv) await stopServer(srv as HooklineServer);
}

// ---------------------------------------------------------------------------
// Server B: PostgreSQL, scenario 1 only — when the local PostgreSQL and
// Hookline's PostgreSQL support are both there. Never fails the run.
if (b.wants(1)) {
  const db = await createPgDatabase();
  if ('error' in db) {
    rows.push({ scenario: '1. Delivery throughput, PostgreSQL', hookline: `PostgreSQL: not available (${db.error})`, baseline: '', ratio: '', target: '', met: '—' });
  } else {
    let srv: HooklineServer | null = null;
    try {
      try {
        srv = await server('postgres-delivery', db.url);
      } catch (err) {
        throw Object.assign(new Error(`PostgreSQL: not available (${(err as Error).message.slice(0, 200)})`), { notAvailable: true });
      }
      const setup = await prepareDeliveries(b, srv);
      log(`scenario 1 on PostgreSQL: ${s.s1Events} events × 10 webhooks`);
      const t = await phase(srv, 'scenario 1 on PostgreSQL', () => measureThroughput(b, srv!, setup, 'PostgreSQL'));
      const h = median(t.hookline);
      const base = median(t.baseline);
      rows.push({
        scenario: '1. Delivery throughput, PostgreSQL',
        hookline: `${fmtRate(h)} deliveries/s`,
        baseline: `${fmtRate(base)} POST/s (raw undici, c=64)`,
        ratio: fmtRatio(pairedRatio(t.hookline, t.baseline)),
        target: '— (target is for SQLite)',
        met: '—',
      });
      b.sections.push({ title: 'Scenario 1: delivery throughput (PostgreSQL)', lines: [...t.detail, `peak RSS ${srv.memory().peakMb.toFixed(0)} MB`] });
    } catch (err) {
      const e = err as Error & { notAvailable?: boolean };
      log(`PostgreSQL run: ${e.message}`);
      rows.push({
        scenario: '1. Delivery throughput, PostgreSQL',
        hookline: e.notAvailable ? e.message : `PostgreSQL: failed during the run (${e.message.split('\n')[0].slice(0, 200)})`,
        baseline: '',
        ratio: '',
        target: '',
        met: '—',
      });
    } finally {
      if (srv) await stopServer(srv as HooklineServer);
      await db.drop();
    }
  }
}

// ---------------------------------------------------------------------------
// Server C: SQLite, API only (WORKER_ENABLED=false) — scenarios 4 and 3.
if (b.wants(3) || b.wants(4)) {
  let srv: HooklineServer | null = null;
  await section('SQLite API server', async () => {
    srv = await server('sqlite-api', 'sqlite', { WORKER_ENABLED: 'false' });
    const receiverBase = `http://127.0.0.1:${await b.receiver.call<number>('port')}`;
    const counter = b.wants(4) ? startSqlCounter(srv) : null;
    counter?.catch(() => undefined); // awaited below
    await phase(srv, `seeding ${fmtRate(s.s4Webhooks)} webhooks (createWebhook mutations)`, () => prepareApi(b, srv!, receiverBase));
    if (b.wants(4)) {
      log(`scenario 4: webhooks(first: 50) with ${s.s4Webhooks} webhooks`);
      const r = await measureRead(b, srv);
      const hr = r.hookline.map((x) => x.rps);
      const tr = r.baseline.map((x) => x.rps);
      const h = median(hr);
      const t = median(tr);
      const ratio = pairedRatio(hr, tr);
      rows.push({
        scenario: `4. API read webhooks(first: 50) of ${fmtRate(s.s4Webhooks)}`,
        hookline: `${fmtRate(h)} req/s`,
        baseline: `${fmtRate(t)} req/s { __typename }`,
        ratio: fmtRatio(ratio),
        target: '≥ 0.3×',
        met: ratioMet(ratio, 0.3),
      });
      const hp = r.hookline.map((x) => x.p99);
      const tp = r.baseline.map((x) => x.p99);
      rows.push({
        scenario: `4. API read p99 (${s.httpConnections} connections)`,
        hookline: fmtMs(median(hp)),
        baseline: `${fmtMs(median(tp))} { __typename }`,
        ratio: fmtGap(pairedGap(hp, tp)),
        target: '—',
        met: '—',
      });
      const ar = r.anonymous.map((x) => x.rps);
      if (ar.length) rows.push({
        scenario: '4. HTTP floor: { __typename } with vs without API key',
        hookline: `${fmtRate(t)} req/s with key`,
        baseline: `${fmtRate(median(ar))} req/s without`,
        ratio: fmtRatio(pairedRatio(tr, ar)),
        target: '— (shows the per-request auth cost)',
        met: '—',
      });
      const { counts, timing, publishTiming } = await countSql(await counter!, s.profile);
      const constant = new Set(counts.map((c) => c.statements)).size === 1;
      rows.push({
        scenario: '4. SQL statements per request, first: 1/10/50/100',
        hookline: counts.map((c) => c.statements).join(' / '),
        baseline: '—',
        ratio: constant ? 'constant' : 'grows with page size',
        target: 'constant in list size',
        met: yes(constant),
      });
      const fifty = counts.find((c) => c.first === 50);
      b.sections.push({
        title: 'Scenario 4: API read',
        lines: [
          ...r.detail,
          `SQL statements per request (in-process onQuery count, same database): ${counts.map((c) => `first ${c.first} → ${c.rows} rows, ${c.statements} statements`).join('; ')}`,
          ...(fifty ? ['Statements for first: 50:', ...fifty.sql.map((q, i) => `  ${i + 1}. ${q}`)] : []),
        ],
      });
      if (timing) {
        const sqliteMs = timing.statements.reduce((a, x) => a + x.execMs + x.prepareMs, 0) / 100;
        b.sections.push({
          title: 'SQL profile of scenario 4 (first: 50, in-process, no HTTP)',
          lines: [
            `100 sequential requests, ${timing.avgMs.toFixed(2)} ms each on average, of which ${sqliteMs.toFixed(2)} ms inside SQLite (${((100 * sqliteMs) / timing.avgMs).toFixed(0)}%); the rest is Prisma, GraphQL and Yoga.`,
            ...formatStatements(timing.statements, 100, 'request'),
          ],
        });
      }
      if (publishTiming) {
        const sqliteMs = publishTiming.statements.reduce((a, x) => a + x.execMs + x.prepareMs, 0) / 100;
        b.sections.push({
          title: 'SQL profile of scenario 3 (publishEvent, in-process, no HTTP, same database)',
          lines: [
            `100 sequential publishes, ${publishTiming.avgMs.toFixed(2)} ms each on average, of which ${sqliteMs.toFixed(2)} ms inside SQLite (${((100 * sqliteMs) / publishTiming.avgMs).toFixed(0)}%).`,
            ...formatStatements(publishTiming.statements, 100, 'publish'),
          ],
        });
      }
    }
    if (b.wants(3)) {
      log('scenario 3: publishEvent over HTTP');
      const p = await measurePublish(b, srv);
      const hr = p.hookline.map((x) => x.rps);
      const tr = p.baseline.map((x) => x.rps);
      rows.push({
        scenario: '3. Publish throughput, fan-out 10',
        hookline: `${fmtRate(median(hr))} mutations/s`,
        baseline: `${fmtRate(median(tr))} req/s { __typename }`,
        ratio: fmtRatio(pairedRatio(hr, tr)),
        target: '— (none set)',
        met: '—',
      });
      b.sections.push({
        title: 'Scenario 3: publish throughput',
        lines: [...p.detail, `${p.stored} events stored for ${p.hooklineOk} publishes acknowledged with 2xx (the difference is requests still in flight when autocannon stopped)`],
      });
    }
  });
  if (srv) await stopServer(srv as HooklineServer);
}

// ---------------------------------------------------------------------------
// Profile mode: which SQL statements scenario 1 spends its database time on.
if (s.profile && b.wants(1)) {
  await section(
    'SQL profile',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'hookline-bench-sqlprofile-'));
      const role = await startRole('sqlprofile', {
        DATABASE_URL: `file:${join(dir, 'hookline.db')}`,
        DATA_DIR: dir,
        BOOTSTRAP_API_KEY: API_KEY,
        SECRET_ENCRYPTION_KEY: ENCRYPTION_KEY,
        ALLOW_PRIVATE_TARGETS: 'true',
        LOG_LEVEL: 'warn',
        GRAPHIQL: 'false',
        HOST: '127.0.0.1',
        PORT: '0',
      });
      try {
        const target = { url: await role.call<string>('url') };
        await prepareDeliveries(b, target);
        await role.call('start');
        const run = await hooklineThroughputOnce(b, target, s.s1Events);
        await sleep(1_000); // let the last attempt batch commit
        const stmts = await role.call<StatementStats[]>('stop');
        const deliveries = s.s1Events * 10;
        const count = stmts.reduce((a, x) => a + x.count, 0);
        const exec = stmts.reduce((a, x) => a + x.execMs, 0);
        const prep = stmts.reduce((a, x) => a + x.prepareMs, 0);
        const lines = [
          `In-process run of scenario 1 on SQLite: ${deliveries} deliveries at ${run.rate.toFixed(0)}/s in ${run.seconds.toFixed(1)} s.`,
          `Main thread only (publishes, API): the delivery thread's claims and records run on its own connection in another thread and are not timed here; see its CPU profile.`,
          `${count} SQL statements = ${(count / deliveries).toFixed(2)} per delivery. Inside SQLite (better-sqlite3, synchronous, on the main thread): ` +
            `${(exec / 1000).toFixed(2)} s executing + ${(prep / 1000).toFixed(2)} s preparing (every call prepares its statement again) = ` +
            `${((100 * (exec + prep)) / 1000 / run.seconds).toFixed(0)}% of the wall time; the rest of the server's time is outside SQLite.`,
          ...formatStatements(stmts, deliveries, 'delivery'),
        ];
        b.sections.push({ title: 'SQL profile of scenario 1 (SQLite, in-process)', lines });
        process.stdout.write(`\n== SQL profile of scenario 1\n${lines.join('\n')}\n`);
        await role.call('close', {}, 60_000);
      } finally {
        await role.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    },
    false,
  );
}

await b.receiver.stop();
await b.agent.stop();

// ---------------------------------------------------------------------------
// Report.
const order = (r: Row) => Number(/^(\d)/.exec(r.scenario)?.[1] ?? 9);
rows.sort((x, y) => order(x) - order(y));
const m: Record<string, string> = { ...machine(), 'Load average (1 min) at start / end': `${loadAtStart.toFixed(2)} / ${loadavg()[0].toFixed(2)}` };
const wallS = (Date.now() - startedAt) / 1000;
const mode = s.quick
  ? `quick (${s.reps} repetition per figure, ${s.s5Subscribers} subscribers; a smoke test, not a measurement)`
  : `full (median of ${s.reps} repetitions per figure)`;
const md: string[] = [
  `# Hookline benchmark results`,
  '',
  `Mode: ${mode}. Wall time ${wallS.toFixed(0)} s.`,
  '',
  ...Object.entries(m).map(([k, v]) => `- ${k}: ${v}`),
  '',
  markdownTable(rows),
  '',
  'Ratio / gap: Hookline ÷ baseline for rates, Hookline − baseline for latencies, each the median over repetitions of back-to-back pairs (so it can differ slightly from the ratio of the two medians shown). See BENCHMARKS.md for what each scenario and baseline measures.',
  '',
  ...notes.map((n) => `- ${n}`),
  '',
];
for (const sec of b.sections) md.push(`## ${sec.title}`, '', '```', ...sec.lines, '```', '');

if (s.profile) {
  for (const srv of servers) {
    const main = srv.profilePath();
    // The main thread (API) and the delivery thread each write a profile.
    const files = [...(main ? [{ file: main, thread: 'main thread' }] : []), ...srv.threadProfilePaths().map((file) => ({ file, thread: 'delivery thread' }))];
    const names = [...new Set(srv.phases.map((p) => p.name))];
    for (const { file, thread } of files) {
      for (const name of names) {
        const ph = { name, windows: srv.phases.filter((p) => p.name === name) };
        const lines = formatSummary(`${basename(file)}, ${ph.name}`, summarizeProfile(file, 15, ph.windows));
        md.push(`## CPU profile: ${srv.label} server, ${thread}, ${ph.name}`, '', '```', ...lines, '```', '');
        process.stdout.write(`\n== CPU profile: ${srv.label} server, ${thread}, ${ph.name}\n${lines.join('\n')}\n`);
      }
    }
  }
}

// A profiled run is slower and a partial or quick run is not the full
// picture, so only a plain full run replaces latest.md.
const outName = s.profile ? 'profile.md' : s.only.size ? 'partial.md' : s.quick ? 'quick.md' : 'latest.md';
mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
writeFileSync(join(ROOT, 'bench/results', outName), md.join('\n'));

process.stdout.write(`\nHookline benchmark — ${mode}\n${m.CPU}, ${m.Cores} cores, Node ${m.Node}, ${m.Date}\n\n${textTable(rows)}\n\n`);
process.stdout.write(`Written to bench/results/${outName} in ${wallS.toFixed(0)} s.\n`);
if (broken.length) {
  process.stdout.write(`\nBROKEN: ${broken.join('; ')}\n`);
  process.exit(1);
}
process.exit(0);
