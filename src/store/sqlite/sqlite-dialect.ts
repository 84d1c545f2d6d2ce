// SQLite specifics: every transaction begins with BEGIN IMMEDIATE (take the write lock first, so
// two processes on one file serialize instead of failing mid-transaction), and the wait for that
// lock is an async retry loop rather than SQLite's busy handler, which would block the event loop.
// Statements are prepared once per SQL text (statement-cache.ts) and run by the driver itself;
// callers take turns at the one connection first come first served (connection-queue.ts); long
// bursts of queries yield to the event loop (loop-slice.ts).
//
// Group commit: the write transactions that start within one turn of the event loop share one
// SQLite transaction and one COMMIT. Each is a savepoint inside it, so one that fails is undone
// alone; each caller's commit resolves only once the shared COMMIT is done, so nothing is
// reported written before it is durable. A COMMIT cost more than the writes it ended (66 µs of
// 100 in the service bench: the WAL frames and the shared-memory index of every commit), and a
// burst of checkpoints and triggers now pays it once per turn.
import type BetterSqlite3 from "better-sqlite3";
import {
  CompiledQuery,
  SelectQueryNode,
  SqliteAdapter,
  SqliteDialect,
  type DatabaseConnection,
  type DialectAdapter,
  type Driver,
  type QueryResult,
  type SqliteDatabase,
} from "kysely";
import type { DialectTraits, RunNow } from "../dialect.ts";
import { ConnectionQueue } from "./connection-queue.ts";
import { LoopSlice } from "./loop-slice.ts";
import { cachingStatements } from "./statement-cache.ts";

/** How SQLite differs, for the shared query code. */
export const sqliteTraits: DialectTraits = Object.freeze({
  name: "sqlite",
  skipLocked: false,
  standaloneWrites: false,
  jsonType: "text",
  bytesType: "blob",
  isUniqueViolation: (error: unknown) =>
    sqliteCode(error) === "SQLITE_CONSTRAINT_UNIQUE" ||
    sqliteCode(error) === "SQLITE_CONSTRAINT_PRIMARYKEY",
  isForeignKeyViolation: (error: unknown) => sqliteCode(error) === "SQLITE_CONSTRAINT_FOREIGNKEY",
  isDiskFull: (error: unknown) => sqliteCode(error) === "SQLITE_FULL",
});

function sqliteCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

function isBusy(error: unknown): boolean {
  const code = sqliteCode(error) ?? "";
  return code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED");
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface ImmediateSqliteOptions {
  database: BetterSqlite3.Database;
  /** Longest wait for the write lock before giving up with SQLITE_BUSY. */
  lockTimeoutMs: number;
  /** SQLite's own busy timeout, restored after each BEGIN; covers statements outside transactions. */
  busyTimeoutMs: number;
  /** Sees every error a query throws (the store notes damage for its health check). */
  onQueryError?: (error: unknown) => void;
}

/**
 * One acquire of the single connection: Kysely hands it back to begin, commit, rollback, release.
 * It runs statements itself (Kysely's SQLite connection, without its per-query wrappers), preparing
 * each SQL text once (statement-cache.ts).
 */
class Lease implements DatabaseConnection {
  /** Still holds the connection's turn (a commit gives it up early, to wait for the group). */
  held = true;

  constructor(
    private readonly database: SqliteDatabase,
    private readonly onError: (error: unknown) => void,
  ) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    try {
      return Promise.resolve(this.runNow<R>(query));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Runs the statement before returning (better-sqlite3 is synchronous). */
  runNow<R>(query: CompiledQuery): QueryResult<R> {
    try {
      const statement = this.database.prepare(query.sql);
      const parameters = query.parameters as unknown[];
      if (statement.reader) return { rows: statement.all(parameters) as R[] };
      const { changes, lastInsertRowid } = statement.run(parameters);
      return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
    } catch (error) {
      this.onError(error);
      throw error;
    }
  }

  async *streamQuery<R>(query: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    if (!SelectQueryNode.is(query.query))
      throw new Error("the SQLite store streams only SELECT queries");
    const statement = this.database.prepare(query.sql);
    for (const row of statement.iterate(query.parameters as unknown[])) yield { rows: [row as R] };
  }
}

/** The write transactions sharing one SQLite transaction, waiting for its COMMIT. */
class CommitGroup {
  readonly #waiting: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];
  /** Why SQLite dropped the whole transaction (disk full, I/O error), once it has. */
  lost: unknown;
  done = false;

  join(): Promise<void> {
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  settle(error?: unknown): void {
    this.done = true;
    for (const member of this.#waiting.splice(0)) {
      if (error === undefined) member.resolve();
      else member.reject(error);
    }
  }
}

const BEGIN = CompiledQuery.raw("begin immediate");
const COMMIT = CompiledQuery.raw("commit");
const ROLLBACK = CompiledQuery.raw("rollback");
const SAVEPOINT = CompiledQuery.raw("savepoint member");
const RELEASE = CompiledQuery.raw("release member");
const ROLLBACK_TO = CompiledQuery.raw("rollback to member");

class ImmediateSqliteDriver implements Driver {
  readonly #options: ImmediateSqliteOptions;
  readonly #database: SqliteDatabase;
  readonly #turns = new ConnectionQueue();
  readonly #slice = new LoopSlice();
  // better-sqlite3's pragma() prepares its statement on every call: twice per transaction, that
  // cost more than the transaction's own INSERT. Prepared once here instead.
  #busyTimeout: { none: BetterSqlite3.Statement; usual: BetterSqlite3.Statement } | undefined;
  /** The SQLite transaction open now, shared by the write transactions of this turn. */
  #group: CommitGroup | undefined;
  /** The last error a query threw: the cause given when SQLite drops a whole group. */
  #lastError: unknown;
  readonly #noteError = (error: unknown): void => {
    this.#lastError = error;
    this.#options.onQueryError?.(error);
  };

  constructor(options: ImmediateSqliteOptions) {
    this.#options = options;
    this.#database = cachingStatements(options.database);
  }

  async init(): Promise<void> {}

  #setBusyTimeout(which: "none" | "usual"): void {
    const { database, busyTimeoutMs } = this.#options;
    this.#busyTimeout ??= {
      none: database.prepare("pragma busy_timeout = 0"),
      usual: database.prepare(`pragma busy_timeout = ${Math.trunc(busyTimeoutMs)}`),
    };
    this.#busyTimeout[which].get();
  }

  // Every query and transaction starts here: the place to let the event loop breathe (loop-slice.ts).
  async acquireConnection(): Promise<DatabaseConnection> {
    await this.#slice.yieldIfLong();
    await this.#turns.acquire();
    return new Lease(this.#database, this.#noteError);
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    const lease = connection as Lease;
    if (!lease.held) return;
    lease.held = false;
    this.#turns.release();
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    if (this.#group === undefined) {
      await this.#beginImmediate(connection);
      const group = new CommitGroup();
      this.#group = group;
      // Every write transaction that reaches the connection before this turn ends joins it.
      setImmediate(() => void this.#commitGroup(group));
    }
    await connection.executeQuery(SAVEPOINT);
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(RELEASE);
    const group = this.#group;
    if (group === undefined) throw new Error("commit without an open SQLite transaction");
    const committed = group.join();
    // Let the next write transaction in while this one waits for the shared COMMIT.
    await this.releaseConnection(connection);
    await committed;
  }

  // On SQLITE_FULL (and I/O errors) SQLite has already rolled the whole transaction back, with
  // every write of the group in it: they all fail with that error, and a second ROLLBACK would
  // fail with "no transaction is active" and hide the error that matters.
  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const lease = connection as Lease;
    // Its work was handed to the group, whose COMMIT failed: nothing of it is left to undo.
    if (!lease.held) return;
    if (!this.#options.database.inTransaction) {
      const group = this.#group;
      if (group !== undefined) {
        group.lost = this.#lastError ?? new Error("SQLite rolled the transaction back");
        this.#group = undefined;
      }
      return;
    }
    await connection.executeQuery(ROLLBACK_TO);
    await connection.executeQuery(RELEASE);
  }

  /**
   * A write transaction whose statements all run in one synchronous stretch: the same savepoint
   * in the turn's shared transaction, and the same wait for its COMMIT, as a Kysely transaction
   * here, without a transaction object, an executor and a promise per statement. `work` must not
   * wait for anything; what it throws undoes its statements alone.
   */
  async writeNow<T>(work: (run: RunNow) => T): Promise<T> {
    const lease = (await this.acquireConnection()) as Lease;
    try {
      await this.beginTransaction(lease);
    } catch (error) {
      await this.releaseConnection(lease);
      throw error;
    }
    // As Kysely's transactions here: what fails after BEGIN is undone (a commit that already gave
    // the connection up has nothing left to undo), and the connection is always given back.
    try {
      const result = work((query) => lease.runNow(query));
      if (result instanceof Promise)
        throw new Error("writeNow's work returned a promise: its statements must run at once");
      // Gives the connection up at once and resolves once the shared COMMIT is done.
      await this.commitTransaction(lease);
      return result;
    } catch (error) {
      try {
        await this.rollbackTransaction(lease);
      } finally {
        await this.releaseConnection(lease);
      }
      throw error;
    }
  }

  /**
   * Runs `fn` on the connection outside any transaction: the open group (if any) is committed
   * first. For statements SQLite refuses inside one, such as a WAL checkpoint.
   */
  async outsideTransaction<T>(fn: () => T): Promise<T> {
    await this.#turns.acquire();
    try {
      if (this.#group !== undefined) await this.#finish(this.#group, this.#connection());
      return fn();
    } finally {
      this.#turns.release();
    }
  }

  // The last group commits before the file closes: its members are waiting for that COMMIT.
  async destroy(): Promise<void> {
    await this.outsideTransaction(() => undefined);
    this.#database.close();
  }

  /** The connection for the driver's own statements, made while it holds the turn. */
  #connection(): Lease {
    return new Lease(this.#database, this.#noteError);
  }

  async #commitGroup(group: CommitGroup): Promise<void> {
    if (group.done) return;
    await this.#turns.acquire();
    try {
      await this.#finish(group, this.#connection());
    } finally {
      this.#turns.release();
    }
  }

  /** COMMIT the group's transaction (the caller holds the connection) and tell its members. */
  async #finish(group: CommitGroup, connection: DatabaseConnection): Promise<void> {
    if (group.done) return;
    if (this.#group === group) this.#group = undefined;
    if (group.lost !== undefined) return group.settle(group.lost);
    try {
      await connection.executeQuery(COMMIT);
      group.settle();
    } catch (error) {
      this.#noteError(error);
      try {
        if (this.#options.database.inTransaction) await connection.executeQuery(ROLLBACK);
      } finally {
        group.settle(error);
      }
    }
  }

  async #beginImmediate(connection: DatabaseConnection): Promise<void> {
    const deadline = Date.now() + this.#options.lockTimeoutMs;
    for (let round = 0; ; round++) {
      // With a zero busy timeout BEGIN IMMEDIATE answers at once; waiting happens in sleep()
      // below, so another connection in this same process can finish its transaction meanwhile.
      this.#setBusyTimeout("none");
      try {
        await connection.executeQuery(BEGIN);
        return;
      } catch (error) {
        if (!isBusy(error) || Date.now() >= deadline) throw error;
      } finally {
        this.#setBusyTimeout("usual");
      }
      await sleep(Math.min(50, 2 ** Math.min(round, 6)) * (0.5 + Math.random()));
    }
  }
}

/** Migrations in SQLite are transactional, so Kysely runs the whole batch under one lock. */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

/**
 * Kysely's SQLite dialect with BEGIN IMMEDIATE transactions, transactional migrations and
 * prepared statements reused across queries.
 */
export class ImmediateSqliteDialect extends SqliteDialect {
  readonly #options: ImmediateSqliteOptions;

  constructor(options: ImmediateSqliteOptions) {
    super({ database: options.database });
    this.#options = options;
  }

  #driver: ImmediateSqliteDriver | undefined;

  override createDriver(): Driver {
    this.#driver = new ImmediateSqliteDriver(this.#options);
    return this.#driver;
  }

  /** See the driver's `writeNow`; the dialect must have made its driver (the store is open). */
  writeNow<T>(work: (run: RunNow) => T): Promise<T> {
    if (this.#driver === undefined) throw new Error("the SQLite store is not open");
    return this.#driver.writeNow(work);
  }

  /** Runs `fn` outside any transaction, once the open group (if any) has committed. */
  outsideTransaction<T>(fn: () => T): Promise<T> {
    if (this.#driver === undefined) return Promise.resolve(fn());
    return this.#driver.outsideTransaction(fn);
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}
