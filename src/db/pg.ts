// PostgreSQL through node-postgres. Every statement is a named prepared
// statement (parsed and planned once per connection), its name derived from
// its text; "?" placeholders become $1, $2, ….
import pg from 'pg';
import type { Bus } from '../base/bus.js';
import { postgresDialect, type Dialect } from './dialect.js';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../base/logger.js';
import { StartupError } from '../base/startup.js';
import { SHARED_EVENTS, type AppEvents } from './events.js';
import type { Row, Sql, Tx } from './sql.js';

const INT8 = 20;
const TIMESTAMP = 1114;

/** Counts as numbers, and zone-less timestamps as UTC (not the process's local time). */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8) return (v: string) => Number(v);
    if (oid === TIMESTAMP) return (v: string) => new Date(`${v.replace(' ', 'T')}Z`);
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

/** `name` shows as application_name in pg_stat_activity (hookline-api, hookline-delivery). */
export function createPgPool(connectionString: string, max: number, name = 'hookline'): pg.Pool {
  return new pg.Pool({ connectionString, max, types: types as never, application_name: name });
}

function bindValue(v: unknown): unknown {
  if (v === undefined) return null;
  // An ISO string: timestamp(3) columns ignore the zone, and the value is UTC.
  if (v instanceof Date) return v.toISOString();
  return v;
}

interface Prepared {
  name: string;
  text: string;
}

class Statements {
  private readonly byText = new Map<string, Prepared>();
  constructor(private readonly onStatement: ((sql: string) => void) | null) {}
  get(text: string): Prepared {
    this.onStatement?.(text);
    let p = this.byText.get(text);
    if (!p) {
      let n = 0;
      p = { name: `h${this.byText.size}`, text: text.replace(/\?/g, () => `$${++n}`) };
      this.byText.set(text, p);
    }
    return p;
  }
}

type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

async function query<T>(on: Queryable, statements: Statements, text: string, values: readonly unknown[] = []) {
  const p = statements.get(text);
  return on.query<T & pg.QueryResultRow>({ name: p.name, text: p.text, values: values.map(bindValue) });
}

const CHANGES_CHANNEL = 'hookline_changes';

/** Statements on a pool (each on whichever connection is free) or on one transaction's connection. */
abstract class PgQueries {
  readonly dialect: Dialect = postgresDialect;
  protected abstract readonly on: Queryable;
  protected abstract readonly statements: Statements;

  async all<T = Row>(text: string, values?: readonly unknown[]): Promise<T[]> {
    return (await query<T>(this.on, this.statements, text, values)).rows;
  }
  async get<T = Row>(text: string, values?: readonly unknown[]): Promise<T | undefined> {
    return (await this.all<T>(text, values))[0];
  }
  async run(text: string, values?: readonly unknown[]): Promise<number> {
    return (await query(this.on, this.statements, text, values)).rowCount ?? 0;
  }
}

export class PgSql extends PgQueries implements Sql {
  protected readonly on: Queryable;
  protected readonly statements: Statements;
  /** Tells this instance's own notifications from the others'. */
  private readonly origin = randomUUID();
  private listener: pg.Client | null = null;
  private listening = false;
  /** Open connections, so close() can wait until each has really ended. */
  private readonly connections = new Set<pg.PoolClient>();

  constructor(
    readonly pool: pg.Pool,
    private readonly bus: Bus<AppEvents> | null,
    onStatement: ((sql: string) => void) | null = null,
  ) {
    super();
    this.on = pool;
    this.statements = new Statements(onStatement);
    pool.on('connect', (client) => {
      this.connections.add(client);
      client.once('end', () => this.connections.delete(client));
    });
    // An idle connection that fails (a database restart, an administrator
    // terminating it) is dropped by the pool and replaced on demand; without
    // a listener its error would be thrown and end the process. Queries on a
    // failed connection still reject, and their callers report them.
    pool.on('error', () => undefined);
  }

  async tx<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const events: [keyof AppEvents, unknown][] = [];
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await fn(new PgTx(client, this.statements, events));
      const shared = events.filter(([name]) => SHARED_EVENTS.has(name as string));
      if (shared.length) {
        // Delivered to the other instances' listeners only if, and when, this commits.
        const note = JSON.stringify({ origin: this.origin, events: shared });
        await client.query('SELECT pg_notify($1, $2)', [CHANGES_CHANNEL, note]);
      }
      await client.query('COMMIT');
      for (const [name, value] of events) this.bus?.emit(name, value as never);
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => (broken = true));
      throw err;
    } finally {
      client.release(broken);
    }
  }

  /** A script of several statements, unprepared (migrations). */
  async exec(script: string, on: Queryable = this.pool): Promise<void> {
    await on.query(script);
  }

  /**
   * Re-raises, on this instance's bus, the shared events other instances
   * commit. Reconnects with a delay if the connection drops, and keeps
   * trying until it is back (the database may still be down at the first
   * retry). Only the first connection's failure is thrown, to start-up.
   */
  async listenForChanges(connectionString: string, logger: Logger): Promise<void> {
    this.listening = true;
    const connect = async (retryOnFailure: boolean): Promise<void> => {
      if (!this.listening) return;
      const client = new pg.Client({ connectionString, types: types as never });
      let lost = false;
      const reconnect = (err: unknown) => {
        if (lost) return;
        lost = true;
        if (this.listener === client) this.listener = null;
        client.end().catch(() => undefined);
        if (!this.listening) return;
        logger.warn({ err }, 'change-notification connection lost; reconnecting');
        setTimeout(() => void connect(true), 1000).unref();
      };
      client.on('notification', (msg) => {
        try {
          const note = JSON.parse(msg.payload ?? '{}') as { origin: string; events: [keyof AppEvents, unknown][] };
          if (note.origin === this.origin) return;
          for (const [name, value] of note.events) this.bus?.emit(name, value as never);
        } catch (err) {
          logger.warn({ err }, 'ignored a malformed change notification');
        }
      });
      client.on('error', reconnect);
      try {
        await client.connect();
        await client.query(`LISTEN ${CHANGES_CHANNEL}`);
      } catch (err) {
        if (retryOnFailure) return reconnect(err);
        lost = true;
        await client.end().catch(() => undefined);
        throw err;
      }
      if (!this.listening || lost) {
        // Closed (or dropped) while connecting.
        lost = true;
        await client.end().catch(() => undefined);
        return;
      }
      this.listener = client;
      // Notifications sent while the connection was down are lost for good.
      if (retryOnFailure) this.bus?.emit('changes.missed', {});
    };
    await connect(false);
  }

  /** Ends the pool and waits until every connection has closed (pool.end() resolves before their sockets do). */
  async close(): Promise<void> {
    this.listening = false;
    await this.listener?.end().catch(() => undefined);
    const open = [...this.connections].map((c) => new Promise<void>((resolve) => c.once('end', () => resolve())));
    await this.pool.end();
    await Promise.all(open);
  }
}

class PgTx extends PgQueries implements Tx {
  constructor(
    protected readonly on: pg.PoolClient,
    protected readonly statements: Statements,
    private readonly events: [keyof AppEvents, unknown][],
  ) {
    super();
  }
  tx<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return fn(this);
  }
  afterCommit<K extends keyof AppEvents>(name: K, value: AppEvents[K]): void {
    this.events.push([name, value]);
  }
}

/** host:port of a PostgreSQL URL, without credentials, for messages. */
function pgAddress(u: URL): string {
  return `${u.hostname || 'localhost'}:${u.port || '5432'}`;
}

function pgReason(err: unknown): string {
  const e = err as { code?: string; message?: string } | null;
  // Node reports a refused connection to several addresses as an AggregateError with no message.
  const text = (e?.message || e?.code || String(err)).split('\n')[0];
  return e?.code && !text.includes(e.code) ? `${text} (${e.code})` : text;
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * Connects once before anything else, so start-up names what is wrong in
 * one line. A database that does not exist is created through the
 * maintenance database `postgres` when the role may (CREATEDB); otherwise
 * the message says which database is missing and the command that creates it.
 */
export async function ensurePostgresDatabase(connectionString: string, logger: Logger): Promise<void> {
  const url = new URL(connectionString);
  const where = pgAddress(url);
  const name = decodeURIComponent(url.pathname.replace(/^\//, '')) || decodeURIComponent(url.username) || 'postgres';
  const probe = new pg.Client({ connectionString, connectionTimeoutMillis: 10_000 });
  try {
    await probe.connect();
    return;
  } catch (err) {
    if ((err as { code?: string }).code !== '3D000') {
      throw new StartupError(`cannot connect to PostgreSQL at ${where} (database "${name}"): ${pgReason(err)}`);
    }
  } finally {
    await probe.end().catch(() => undefined);
  }
  const maintenance = new URL(connectionString);
  maintenance.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: maintenance.toString(), connectionTimeoutMillis: 10_000 });
  try {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${quoteIdent(name)}`);
    logger.warn({ database: name, server: where }, 'the PostgreSQL database did not exist; created it');
  } catch (err) {
    // Another instance starting at the same moment created it first.
    if ((err as { code?: string }).code === '42P04') return;
    const user = decodeURIComponent(url.username) || 'postgres';
    throw new StartupError(
      `PostgreSQL database "${name}" does not exist on ${where}, and creating it failed (${pgReason(err)}); ` +
        `create it with: createdb -h ${url.hostname || 'localhost'} -p ${url.port || '5432'} -U <a role that may create databases> -O ${user} ${name}`,
    );
  } finally {
    await admin.end().catch(() => undefined);
  }
}
