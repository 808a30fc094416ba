// SQL statements per API read, counted in-process with the onQuery hook of
// src/db/client.ts. Runs Hookline's own Yoga instance (no HTTP server, no
// worker) on the benchmark's SQLite file, which the parent passes in the
// environment: config is read once per process, so the environment must be
// set before anything from src/ is imported, hence the dynamic imports.
import { serve } from '../lib/proc.js';
import { startTiming, stopTiming } from '../lib/sqlite-timing.js';

const { createApp } = await import('../../src/app/app.js');
const { createHooklineYoga } = await import('../../src/server/yoga.js');
const { loadConfig } = await import('../../src/base/config.js');
const listeners = new Set<(sql: string) => void>();
const onQuery = (l: (sql: string) => void) => {
  listeners.add(l);
  return () => listeners.delete(l);
};
const app = await createApp(loadConfig(process.env), { onStatement: (s) => listeners.forEach((l) => l(s)) });
const yoga = createHooklineYoga(app.state);

async function runQuery(query: string, first: number, apiKey: string): Promise<number> {
  const res = await yoga.fetch('http://bench.invalid/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', 'x-api-key': apiKey },
    body: JSON.stringify({ query, variables: { first } }),
  });
  const body = (await res.json()) as { data?: { webhooks: { nodes: unknown[] } }; errors?: { message: string }[] };
  if (body.errors?.length || !body.data) throw new Error(`query failed: ${JSON.stringify(body.errors)}`);
  return body.data.webhooks.nodes.length;
}

serve({
  /**
   * Where one request's time goes: `runs` sequential requests in-process
   * (no HTTP), their average wall time, and SQLite's share per statement.
   */
  time: async ({ query, first, runs, apiKey }: { query: string; first: number; runs: number; apiKey: string }) => {
    for (let i = 0; i < 5; i++) await runQuery(query, first, apiKey);
    startTiming();
    const t = performance.now();
    for (let i = 0; i < runs; i++) await runQuery(query, first, apiKey);
    const avgMs = (performance.now() - t) / runs;
    return { avgMs, statements: stopTiming() };
  },
  /** The same for `runs` sequential publishEvent mutations (profile mode, scenario 3's path). */
  timePublish: async ({ body, runs, apiKey }: { body: string; runs: number; apiKey: string }) => {
    const publish = async () => {
      const res = await yoga.fetch('http://bench.invalid/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', 'x-api-key': apiKey },
        body,
      });
      const out = (await res.json()) as { data?: { publishEvent: { deliveryCount: number } } };
      if (!out.data?.publishEvent.deliveryCount) throw new Error(`publish failed: ${JSON.stringify(out)}`);
    };
    for (let i = 0; i < 5; i++) await publish();
    startTiming();
    const t = performance.now();
    for (let i = 0; i < runs; i++) await publish();
    const avgMs = (performance.now() - t) / runs;
    return { avgMs, statements: stopTiming() };
  },
  count: async ({ query, sizes, apiKey }: { query: string; sizes: number[]; apiKey: string }) => {
    const run = (first: number) => runQuery(query, first, apiKey);
    const results: { first: number; rows: number; statements: number; sql: string[] }[] = [];
    for (const first of sizes) {
      await run(first); // warm caches (prepared statements, DataLoader code paths)
      const sql: string[] = [];
      const off = onQuery((s) => sql.push(s.replace(/\s+/g, ' ').slice(0, 160)));
      let rows: number;
      try {
        rows = await run(first);
      } finally {
        off();
      }
      results.push({ first, rows, statements: sql.length, sql });
    }
    return results;
  },
});
