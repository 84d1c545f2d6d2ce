// SQLite specifics: every transaction begins with BEGIN IMMEDIATE (take the write lock first, so
// two processes on one file serialize instead of failing mid-transaction), and the wait for that
// lock is an async retry loop rather than SQLite's busy handler, which would block the event loop.
// Statements are prepared once per SQL text (statement-cache.ts), and long bursts of queries
// yield to the event loop (loop-slice.ts).
import type BetterSqlite3 from "better-sqlite3";
import {
  CompiledQuery,
  SqliteAdapter,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type DialectAdapter,
  type Driver,
} from "kysely";
import type { DialectTraits } from "../dialect.ts";
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

/** The connection with every query's error shown to `onError` on its way to the caller. */
function watched(
  connection: DatabaseConnection,
  onError: (error: unknown) => void,
): DatabaseConnection {
  return {
    async executeQuery(query) {
      try {
        return await connection.executeQuery(query);
      } catch (error) {
        onError(error);
        throw error;
      }
    },
    streamQuery: (query, chunkSize) => connection.streamQuery(query, chunkSize),
  };
}

class ImmediateSqliteDriver extends SqliteDriver {
  readonly #options: ImmediateSqliteOptions;
  readonly #slice = new LoopSlice();
  #watched: DatabaseConnection | undefined;
  // better-sqlite3's pragma() prepares its statement on every call: twice per transaction, that
  // cost more than the transaction's own INSERT. Prepared once here instead.
  #busyTimeout: { none: BetterSqlite3.Statement; usual: BetterSqlite3.Statement } | undefined;

  constructor(options: ImmediateSqliteOptions) {
    super({ database: cachingStatements(options.database) });
    this.#options = options;
  }

  #setBusyTimeout(which: "none" | "usual"): void {
    const { database, busyTimeoutMs } = this.#options;
    this.#busyTimeout ??= {
      none: database.prepare("pragma busy_timeout = 0"),
      usual: database.prepare(`pragma busy_timeout = ${Math.trunc(busyTimeoutMs)}`),
    };
    this.#busyTimeout[which].get();
  }

  // Every query and transaction starts here: the place to let the event loop breathe (loop-slice.ts).
  override async acquireConnection(): Promise<DatabaseConnection> {
    await this.#slice.yieldIfLong();
    const connection = await super.acquireConnection();
    const onError = this.#options.onQueryError;
    // SQLite has one connection per driver, so one wrapper serves every acquire.
    if (onError === undefined) return connection;
    this.#watched ??= watched(connection, onError);
    return this.#watched;
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    const deadline = Date.now() + this.#options.lockTimeoutMs;
    for (let round = 0; ; round++) {
      // With a zero busy timeout BEGIN IMMEDIATE answers at once; waiting happens in sleep()
      // below, so another connection in this same process can finish its transaction meanwhile.
      this.#setBusyTimeout("none");
      try {
        await connection.executeQuery(CompiledQuery.raw("begin immediate"));
        return;
      } catch (error) {
        if (!isBusy(error) || Date.now() >= deadline) throw error;
      } finally {
        this.#setBusyTimeout("usual");
      }
      await sleep(Math.min(50, 2 ** Math.min(round, 6)) * (0.5 + Math.random()));
    }
  }

  // On SQLITE_FULL (and I/O errors) SQLite has already rolled the whole transaction back; a
  // second ROLLBACK fails with "no transaction is active" and would hide the error that matters.
  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if (!this.#options.database.inTransaction) return;
    await super.rollbackTransaction(connection);
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

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#options);
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}
