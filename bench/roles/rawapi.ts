// Scenario 4's baseline: the webhook list page served by hand, without
// GraphQL. A node:http server (the HTTP stack Hookline's Yoga runs on) that
// answers a POST carrying the scenario's GraphQL request with exactly the
// JSON Hookline returns for it:
//
//   webhooks(first: $first, orderBy: { field: NAME, direction: ASC }) {
//     totalCount pageInfo { hasNextPage endCursor }
//     nodes { id name targetUrl state isActive events registered updated
//             owner { id name email } registeredAssociate { id name } updatedAssociate { id name }
//             stats { succeededCount failedCount pendingCount consecutiveFailures lastAttemptAt lastSuccessAt } } }
//
// It reads the same rows from the same database as the Hookline server under
// test (read-only) with hand-written prepared statements: better-sqlite3
// directly on SQLite, `pg` named prepared statements on PostgreSQL. Like
// Hookline it authenticates every request by the API key's SHA-256 hash.
// The body's `query` text is not parsed: only `variables.first` is read.
// The parent checks that both servers answer byte for byte the same.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import pg from 'pg';
import { serve } from '../lib/proc.js';

interface PageRow {
  id: string;
  name: string;
  nameKey: string;
  targetUrl: string;
  state: string;
  registeredAt: unknown;
  updatedAt: unknown;
  consecutiveFailures: number;
  ownerId: string;
  ownerName: string;
  ownerEmail: string;
  regId: string;
  regName: string;
  updId: string;
  updName: string;
}

/** What a store must answer; each method is one SQL statement. */
interface Store {
  /** The key's account, or null: the same join and filter as Hookline's authenticate(). */
  account(keyHash: string): Promise<string | null>;
  page(accountId: string, limit: number): Promise<PageRow[]>;
  total(accountId: string): Promise<number>;
  events(ids: string[]): Promise<{ webhookId: string; eventType: string }[]>;
  counts(ids: string[]): Promise<{ webhookId: string; status: string; n: number }[]>;
  latest(ids: string[]): Promise<{ webhookId: string; status: string; at: unknown }[]>;
  close(): Promise<void>;
  statements: number;
}

// The statements, in both dialects. The page is one keyset-ordered read with
// the three associates joined; every per-page list is keyed by the page's ids
// alone (the page read scoped them to the account already), so each is an
// index range per webhook: (webhookId, eventType), (webhookId, status, …),
// (webhookId, createdAt).
const SQL = {
  account: `SELECT k."accountId" FROM "ApiKey" k JOIN "Associate" a ON a."id" = k."associateId" WHERE k."keyHash" = $1 AND k."revokedAt" IS NULL`,
  page: `SELECT w."id", w."name", w."nameKey", w."targetUrl", w."state", w."registeredAt", w."updatedAt", w."consecutiveFailures",
      o."id" AS "ownerId", o."name" AS "ownerName", o."email" AS "ownerEmail",
      r."id" AS "regId", r."name" AS "regName", u."id" AS "updId", u."name" AS "updName"
    FROM "Webhook" w
    JOIN "Associate" o ON o."id" = w."ownerId"
    JOIN "Associate" r ON r."id" = w."registeredById"
    JOIN "Associate" u ON u."id" = w."updatedById"
    WHERE w."accountId" = $1
    ORDER BY w."nameKey" ASC, w."id" ASC
    LIMIT $2`,
  total: `SELECT COUNT(*) AS "n" FROM "Webhook" WHERE "accountId" = $1`,
  events: `SELECT "webhookId", "eventType" FROM "WebhookEvent" WHERE "webhookId" IN (IDS) ORDER BY "eventType"`,
  counts: `SELECT "webhookId", "status", COUNT(*) AS "n" FROM "Delivery" WHERE "webhookId" IN (IDS) GROUP BY "webhookId", "status"`,
  latest: `SELECT "webhookId", "status", MAX("createdAt") AS "at" FROM "DeliveryAttempt" WHERE "webhookId" IN (IDS) GROUP BY "webhookId", "status"`,
};

function sqliteStore(file: string): Store {
  const db = new Database(file, { readonly: true, fileMustExist: true, timeout: 10_000 });
  // A fixed-shape statement for any page size: the ids travel as one JSON array.
  const ids = (sql: string) => sql.replace(/\$(\d)/g, '?').replace('IN (IDS)', 'IN (SELECT value FROM json_each(?))');
  const account = db.prepare(ids(SQL.account)).pluck();
  const page = db.prepare(ids(SQL.page));
  const total = db.prepare(ids(SQL.total)).pluck();
  const events = db.prepare(ids(SQL.events));
  const counts = db.prepare(ids(SQL.counts));
  const latest = db.prepare(ids(SQL.latest));
  return {
    statements: 6,
    account: async (h) => (account.get(h) as string | undefined) ?? null,
    page: async (a, n) => page.all(a, n) as PageRow[],
    total: async (a) => Number(total.get(a)),
    events: async (list) => events.all(JSON.stringify(list)) as never,
    counts: async (list) => counts.all(JSON.stringify(list)) as never,
    latest: async (list) => latest.all(JSON.stringify(list)) as never,
    close: async () => {
      db.close();
    },
  };
}

function pgStore(url: string): Store {
  // Timestamps come back as text and are converted below, whatever the process's time zone.
  const types = {
    getTypeParser: (oid: number, format?: 'text' | 'binary') => (oid === 1114 ? (v: string) => v : pg.types.getTypeParser(oid, format)),
  };
  // Hookline's pool size on PostgreSQL (src/db/client.ts), in read-only transactions.
  const pool = new pg.Pool({ connectionString: url, max: 20, options: '-c default_transaction_read_only=on', types } as pg.PoolConfig);
  pool.on('error', () => undefined);
  const ids = (sql: string) => sql.replace('IN (IDS)', '= ANY($1::text[])');
  const q = async <T>(name: string, text: string, values: unknown[]) =>
    (await pool.query<T & pg.QueryResultRow>({ name, text: ids(text), values })).rows;
  return {
    statements: 6,
    account: async (h) => (await q<{ accountId: string }>('account', SQL.account, [h]))[0]?.accountId ?? null,
    page: (a, n) => q<PageRow>('page', SQL.page, [a, n]),
    total: async (a) => Number((await q<{ n: string }>('total', SQL.total, [a]))[0].n),
    events: (list) => q('events', SQL.events, [list]),
    counts: async (list) =>
      (await q<{ webhookId: string; status: string; n: string }>('counts', SQL.counts, [list])).map((r) => ({ ...r, n: Number(r.n) })),
    latest: (list) => q('latest', SQL.latest, [list]),
    close: () => pool.end(),
  };
}

/** A stored timestamp as the DateTime scalar writes it: epoch ms (SQLite) or timestamp(3) text (PostgreSQL). */
function iso(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' || typeof v === 'bigint') return new Date(Number(v)).toISOString();
  if (v instanceof Date) return v.toISOString();
  return new Date(`${String(v).replace(' ', 'T')}Z`).toISOString();
}

const cursor = (nameKey: string, id: string) => Buffer.from(JSON.stringify({ f: 'NAME', v: nameKey, i: id })).toString('base64url');

async function listPage(store: Store, accountId: string, first: number): Promise<string> {
  const rows = first === 0 ? [] : await store.page(accountId, first + 1);
  const more = rows.length > first;
  const page = more ? rows.slice(0, first) : rows;
  const ids = page.map((r) => r.id);
  const [totalCount, events, counts, latest] = ids.length
    ? await Promise.all([store.total(accountId), store.events(ids), store.counts(ids), store.latest(ids)])
    : [await store.total(accountId), [], [], []];
  const eventsOf = new Map<string, string[]>();
  for (const e of events) {
    const list = eventsOf.get(e.webhookId);
    if (list) list.push(e.eventType);
    else eventsOf.set(e.webhookId, [e.eventType]);
  }
  type Stats = {
    succeededCount: number;
    failedCount: number;
    pendingCount: number;
    lastAttemptAt: number | null;
    lastSuccessAt: number | null;
  };
  const stats = new Map<string, Stats>();
  const statsOf = (id: string) => {
    let s = stats.get(id);
    if (!s) stats.set(id, (s = { succeededCount: 0, failedCount: 0, pendingCount: 0, lastAttemptAt: null, lastSuccessAt: null }));
    return s;
  };
  for (const c of counts) {
    const s = statsOf(c.webhookId);
    if (c.status === 'SUCCEEDED') s.succeededCount = Number(c.n);
    else if (c.status === 'FAILED') s.failedCount = Number(c.n);
    else s.pendingCount = Number(c.n);
  }
  for (const l of latest) {
    const at = iso(l.at);
    if (!at) continue;
    const ms = Date.parse(at);
    const s = statsOf(l.webhookId);
    if (s.lastAttemptAt === null || ms > s.lastAttemptAt) s.lastAttemptAt = ms;
    if (l.status === 'SUCCEEDED') s.lastSuccessAt = ms;
  }
  const at = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  const nodes = page.map((w) => {
    const s = stats.get(w.id);
    return {
      id: w.id,
      name: w.name,
      targetUrl: w.targetUrl,
      state: w.state,
      isActive: w.state === 'ACTIVE',
      events: eventsOf.get(w.id) ?? [],
      registered: iso(w.registeredAt),
      updated: iso(w.updatedAt),
      owner: { id: w.ownerId, name: w.ownerName, email: w.ownerEmail },
      registeredAssociate: { id: w.regId, name: w.regName },
      updatedAssociate: { id: w.updId, name: w.updName },
      stats: {
        succeededCount: s?.succeededCount ?? 0,
        failedCount: s?.failedCount ?? 0,
        pendingCount: s?.pendingCount ?? 0,
        consecutiveFailures: Number(w.consecutiveFailures),
        lastAttemptAt: at(s?.lastAttemptAt ?? null),
        lastSuccessAt: at(s?.lastSuccessAt ?? null),
      },
    };
  });
  const last = page[page.length - 1];
  return JSON.stringify({
    data: {
      webhooks: {
        totalCount,
        pageInfo: { hasNextPage: more, endCursor: last ? cursor(last.nameKey, last.id) : null },
        nodes,
      },
    },
  });
}

function reply(res: ServerResponse, status: number, body: string) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

let store: Store | null = null;
let requests = 0;

const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    requests++;
    void (async () => {
      try {
        const key = req.headers['x-api-key'];
        const accountId = typeof key === 'string' ? await store!.account(createHash('sha256').update(key.trim()).digest('hex')) : null;
        if (!accountId) return reply(res, 401, JSON.stringify({ errors: [{ message: 'Authentication required' }] }));
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { variables?: { first?: unknown } };
        const first = body.variables?.first ?? 20;
        if (typeof first !== 'number' || !Number.isInteger(first) || first < 0 || first > 100) {
          return reply(res, 200, JSON.stringify({ errors: [{ message: 'first must be between 0 and 100' }], data: null }));
        }
        reply(res, 200, await listPage(store!, accountId, first));
      } catch (err) {
        reply(res, 500, JSON.stringify({ errors: [{ message: (err as Error).message }] }));
      }
    })();
  });
});

serve({
  /** Opens the database (`file:` path or postgresql:// URL) read-only and listens on 127.0.0.1. */
  start: async ({ databaseUrl }: { databaseUrl: string }) => {
    store = databaseUrl.startsWith('file:') ? sqliteStore(databaseUrl.slice('file:'.length)) : pgStore(databaseUrl);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { port: (server.address() as AddressInfo).port, statements: store.statements };
  },
  requests: () => requests,
  close: async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    await store?.close();
    store = null;
    return true;
  },
});
