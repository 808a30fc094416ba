// SQLite through better-sqlite3, with every statement prepared once and
// cached by its text.
//
// Why transactions cannot deadlock here: better-sqlite3 is synchronous, so a
// transaction on this connection takes the write lock with BEGIN IMMEDIATE,
// runs statements that each complete before they return, and commits. Its
// body awaits only those statements (microtasks), never I/O, so no other
// request can run on this thread while the lock is held, and other
// connections (the delivery thread, Prisma's read connection) only ever wait
// for a few milliseconds of work. Statements from other async contexts wait
// for an open transaction to end rather than slipping into it.
//
// Waiting for the write lock: SQLite's own busy handler sleeps inside the
// call (1 ms, 2 ms, 5 ms, … per retry), which would stop this thread's
// whole event loop each time the other thread holds the lock for a few
// microseconds. So the connection's busy_timeout is 0 and the async paths
// retry SQLITE_BUSY themselves, yielding to the event loop between tries;
// only the synchronous path (migration scripts) blocks while it waits.
import Database from 'better-sqlite3';
import type { Bus } from '../base/bus.js';
import { newId } from '../base/ids.js';
import { sqliteDialect, type Dialect } from './dialect.js';
import type { AppEvents } from './events.js';
import type { Row, Sql, Tx } from './sql.js';
import type { WriteGate } from './writeGate.js';

type Statement = Database.Statement<unknown[], unknown>;

/** A cached statement; readers return rows as arrays, turned into objects by `row`. */
interface Prepared {
  stmt: Statement;
  row: ((values: unknown[]) => Row) | null;
  /** The statement may write (takes the write gate outside a transaction). */
  writes: boolean;
}

/**
 * A function building one row object from better-sqlite3's raw array, made
 * once per statement from its column names. better-sqlite3 builds each row
 * object property by property through V8's C++ API, which costs about twice
 * as much as the raw array plus this object literal (measured on the webhook
 * list's 51 rows × 23 columns: 300–400 µs → 150–240 µs). Column names come
 * from our own SQL and are quoted by JSON.stringify.
 */
function rowMaker(stmt: Statement): (values: unknown[]) => Row {
  const fields = stmt.columns().map((c, i) => `${JSON.stringify(c.name)}: v[${i}]`);
  return new Function('v', `return { ${fields.join(', ')} };`) as (values: unknown[]) => Row;
}

const MAX_CACHED_STATEMENTS = 1000;
/** At most this many transactions share one commit (bounds how long the write lock is held). */
const MAX_GROUP = 64;

interface Member {
  fn: (tx: Tx) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}
/** How long a statement or BEGIN waits for the write lock before failing with SQLITE_BUSY. */
const BUSY_WAIT_MS = 10_000;
const isBusy = (err: unknown) => /^SQLITE_BUSY/.test((err as { code?: string } | null)?.code ?? '');
const sleepCell = new Int32Array(new SharedArrayBuffer(4));
const sleepSync = (ms: number) => Atomics.wait(sleepCell, 0, 0, ms);
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
const shortly = () => new Promise<void>((resolve) => setTimeout(resolve, 1));

function bindValue(v: unknown): unknown {
  if (v === undefined || v === null) return null;
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (Array.isArray(v) || (typeof v === 'object' && !Buffer.isBuffer(v))) return JSON.stringify(v);
  return v;
}

export interface SqliteOptions {
  path: string;
  readonly?: boolean;
}

/** Opens the file with the settings SQLite does not keep in it. */
export function openSqliteFile(opts: SqliteOptions): Database.Database {
  const db = new Database(opts.path, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
  db.pragma('busy_timeout = 10000');
  if (!opts.readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
  }
  db.pragma('foreign_keys = ON');
  // SQLite's default page cache is 2 MB per connection, less than the hot
  // indexes of a busy delivery table; past it every page read is a pread().
  // Pages are allocated as used, so an idle instance stays small.
  db.pragma('cache_size = -16384');
  // Rows made by INSERT … SELECT get ids in the same form as the service's own.
  db.function('hookline_id', { deterministic: false }, newId);
  return db;
}

export class SqliteSql implements Sql {
  readonly dialect: Dialect = sqliteDialect;
  private readonly statements = new Map<string, Prepared>();
  private active: Promise<void> | null = null;
  private queue: Promise<void> = Promise.resolve();
  /** Group commit: the group still taking members, and the end of the last group scheduled. */
  private pending: Member[] | null = null;
  private chain: Promise<void> = Promise.resolve();
  /** BEGIN, COMMIT and savepoints, prepared once (not counted as statements). */
  private readonly control = new Map<string, Statement>();
  private readonly groupCommit: boolean;
  /** Shared with the other threads writing this file: one writes at a time (see writeGate.ts). */
  private readonly gate: WriteGate | null;

  constructor(
    readonly db: Database.Database,
    private readonly bus: Bus<AppEvents> | null,
    private readonly onStatement: ((sql: string) => void) | null = null,
    opts: { groupCommit?: boolean; gate?: WriteGate | null } = {},
  ) {
    this.groupCommit = opts.groupCommit ?? false;
    this.gate = opts.gate ?? null;
    // Lock waits are retried here, without blocking the event loop (see the top of this file).
    db.pragma('busy_timeout = 0');
  }

  /** Runs `fn`, retrying while another connection holds the write lock; other work runs between tries. */
  private async whenUnlocked<T>(fn: () => T): Promise<T> {
    try {
      return fn();
    } catch (err) {
      if (!isBusy(err)) throw err;
    }
    const deadline = Date.now() + BUSY_WAIT_MS;
    for (let i = 0; ; i++) {
      // A few quick tries (a lock is usually held for microseconds), then every millisecond.
      await (i < 16 ? nextTurn() : shortly());
      // A transaction of this connection may have begun meanwhile: never slip into it.
      while (this.active) await this.active;
      try {
        return fn();
      } catch (err) {
        if (!isBusy(err) || Date.now() > deadline) throw err;
      }
    }
  }

  /** The synchronous counterpart of whenUnlocked: blocks this thread while it waits. */
  private blocking<T>(fn: () => T): T {
    const deadline = Date.now() + BUSY_WAIT_MS;
    for (;;) {
      try {
        return fn();
      } catch (err) {
        if (!isBusy(err) || Date.now() > deadline) throw err;
        sleepSync(1);
      }
    }
  }

  prepare(text: string): Prepared {
    this.onStatement?.(text);
    return this.cached(text);
  }

  private cached(text: string): Prepared {
    let p = this.statements.get(text);
    if (!p) {
      if (this.statements.size >= MAX_CACHED_STATEMENTS) this.statements.clear();
      const stmt = this.db.prepare(text) as Statement;
      const writes = !stmt.readonly;
      p = stmt.reader ? { stmt: stmt.raw(true), row: rowMaker(stmt), writes } : { stmt, row: null, writes };
      this.statements.set(text, p);
    }
    return p;
  }

  allSync<T>(text: string, values: readonly unknown[] = []): T[] {
    const { stmt, row } = this.prepare(text);
    const rows = stmt.all(...values.map(bindValue)) as unknown[][];
    if (!row) throw new Error(`not a statement that returns rows: ${text.slice(0, 80)}`);
    for (let i = 0; i < rows.length; i++) (rows as unknown[])[i] = row(rows[i]);
    return rows as unknown as T[];
  }

  runSync(text: string, values: readonly unknown[] = []): number {
    const { stmt } = this.prepare(text);
    const args = values.map(bindValue);
    if (stmt.reader) return stmt.all(...args).length;
    return stmt.run(...args).changes;
  }

  private async outsideTx(): Promise<void> {
    while (this.active) await this.active;
  }

  async all<T = Row>(text: string, values?: readonly unknown[]): Promise<T[]> {
    if (this.active) await this.outsideTx();
    if (this.gate && this.cached(text).writes) return this.gated(() => this.whenUnlocked(() => this.allSync<T>(text, values)));
    return this.whenUnlocked(() => this.allSync<T>(text, values));
  }

  /** Runs a write while holding the write gate. */
  private async gated<T>(fn: () => Promise<T>): Promise<T> {
    await this.gate!.enter(BUSY_WAIT_MS);
    try {
      return await fn();
    } finally {
      this.gate!.leave();
    }
  }

  async get<T = Row>(text: string, values?: readonly unknown[]): Promise<T | undefined> {
    return (await this.all<T>(text, values))[0];
  }

  async run(text: string, values?: readonly unknown[]): Promise<number> {
    if (this.active) await this.outsideTx();
    if (this.gate && this.cached(text).writes) return this.gated(() => this.whenUnlocked(() => this.runSync(text, values)));
    return this.whenUnlocked(() => this.runSync(text, values));
  }

  async tx<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    if (this.groupCommit) return this.txGrouped(fn);
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const before = this.queue;
    this.queue = before.then(() => mine);
    await before;
    await this.outsideTx();
    const events: [keyof AppEvents, unknown][] = [];
    const tx = new SqliteTx(this, events);
    let gated = false;
    try {
      let result: T;
      if (this.db.inTransaction) {
        this.active = mine;
        result = await fn(tx);
      } else {
        if (this.gate) {
          await this.gate.enter(BUSY_WAIT_MS);
          gated = true;
        }
        // Other statements of this connection may run while BEGIN waits for
        // the lock; from the moment it succeeds they wait for the commit.
        await this.whenUnlocked(() => {
          this.stmt('BEGIN IMMEDIATE').run();
          this.active = mine;
        });
        result = await this.inTransaction(() => fn(tx));
      }
      if (gated) {
        gated = false;
        this.gate!.leave();
      }
      for (const [name, value] of events) this.bus?.emit(name, value as never);
      return result;
    } finally {
      if (gated) this.gate!.leave();
      this.active = null;
      release();
    }
  }

  // Group commit (the API connection): transactions requested while the
  // previous group runs, or in the same turn of the event loop, share one
  // BEGIN IMMEDIATE … COMMIT, each body in a savepoint of its own. A body
  // that throws is rolled back to its savepoint and rejects alone; the
  // others still commit. Each caller's promise settles, and its after-commit
  // events are raised, only once the shared COMMIT has succeeded, so
  // nothing is reported before it is durable. Most of a small transaction's
  // cost on SQLite is the COMMIT (writing each changed page to the WAL), and
  // concurrent publishes change many of the same index pages, so sharing
  // one commit saves most of it.
  private txGrouped<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const member: Member = { fn: fn as Member['fn'], resolve: resolve as Member['resolve'], reject };
      if (this.pending && this.pending.length < MAX_GROUP) {
        this.pending.push(member);
        return;
      }
      const group: Member[] = [member];
      this.pending = group;
      const previous = this.chain;
      this.chain = new Promise<void>((done) => {
        // One turn of the event loop lets requests that arrived together join.
        setImmediate(() => {
          void previous.then(() => {
            if (this.pending === group) this.pending = null;
            return this.runGroup(group).then(done, done);
          });
        });
      });
    });
  }

  private stmt(text: string): Statement {
    let s = this.control.get(text);
    if (!s) {
      s = this.db.prepare(text) as Statement;
      this.control.set(text, s);
    }
    return s;
  }

  private async runGroup(group: Member[]): Promise<void> {
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    let gated = false;
    const leaveGate = () => {
      if (gated) this.gate!.leave();
      gated = false;
    };
    try {
      await this.outsideTx();
      if (this.db.inTransaction) {
        // Inside a transaction this connection did not begin (a migration script): run the bodies in it, as tx() does.
        this.active = mine;
        for (const m of group) {
          const events: [keyof AppEvents, unknown][] = [];
          try {
            const result = await m.fn(new SqliteTx(this, events));
            for (const [name, value] of events) this.bus?.emit(name, value as never);
            m.resolve(result);
          } catch (err) {
            m.reject(err);
          }
        }
        return;
      }
      try {
        if (this.gate) {
          await this.gate.enter(BUSY_WAIT_MS);
          gated = true;
        }
        await this.whenUnlocked(() => {
          this.stmt('BEGIN IMMEDIATE').run();
          this.active = mine;
        });
      } catch (err) {
        for (const m of group) m.reject(err);
        return;
      }
      const done: [Member, unknown, [keyof AppEvents, unknown][]][] = [];
      const single = group.length === 1;
      for (let i = 0; i < group.length; i++) {
        const m = group[i];
        const events: [keyof AppEvents, unknown][] = [];
        try {
          if (!single) this.stmt('SAVEPOINT hookline_member').run();
          const result = await m.fn(new SqliteTx(this, events));
          if (!single) this.stmt('RELEASE hookline_member').run();
          done.push([m, result, events]);
        } catch (err) {
          if (!this.db.inTransaction) {
            // SQLite rolled the whole transaction back (I/O error, full disk):
            // nothing of this group is committed. The members already run
            // fail with this error; the rest run in a group of their own.
            m.reject(err);
            for (const [d] of done) d.reject(err);
            const rest = group.slice(i + 1);
            this.active = null;
            leaveGate();
            release();
            if (rest.length) await this.runGroup(rest);
            return;
          }
          if (single) this.db.exec('ROLLBACK');
          else {
            this.stmt('ROLLBACK TO hookline_member').run();
            this.stmt('RELEASE hookline_member').run();
          }
          m.reject(err);
        }
      }
      if (this.db.inTransaction) {
        try {
          this.stmt('COMMIT').run();
        } catch (err) {
          if (this.db.inTransaction) this.db.exec('ROLLBACK');
          for (const [d] of done) d.reject(err);
          return;
        }
      }
      leaveGate();
      for (const [m, result, events] of done) {
        for (const [name, value] of events) this.bus?.emit(name, value as never);
        m.resolve(result);
      }
    } finally {
      leaveGate();
      this.active = null;
      release();
    }
  }

  /** Runs `body` in the transaction just begun, and commits (or rolls back). */
  private async inTransaction<T>(body: () => Promise<T>): Promise<T> {
    try {
      const result = await body();
      this.stmt('COMMIT').run();
      return result;
    } catch (err) {
      if (this.db.inTransaction) this.stmt('ROLLBACK').run();
      throw err;
    }
  }

  /** A script, synchronously (migrations); waits for the write lock by blocking. */
  exec(script: string): void {
    this.blocking(() => this.db.exec(script));
  }

  close(): void {
    this.statements.clear();
    this.control.clear();
    if (this.db.open) this.db.close();
  }
}

class SqliteTx implements Tx {
  readonly dialect = sqliteDialect;
  constructor(
    private readonly conn: SqliteSql,
    private readonly events: [keyof AppEvents, unknown][],
  ) {}
  async all<T = Row>(text: string, values?: readonly unknown[]): Promise<T[]> {
    return this.conn.allSync<T>(text, values);
  }
  async get<T = Row>(text: string, values?: readonly unknown[]): Promise<T | undefined> {
    return this.conn.allSync<T>(text, values)[0];
  }
  async run(text: string, values?: readonly unknown[]): Promise<number> {
    return this.conn.runSync(text, values);
  }
  tx<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return fn(this);
  }
  afterCommit<K extends keyof AppEvents>(name: K, value: AppEvents[K]): void {
    this.events.push([name, value]);
  }
}
