// The few things that differ between SQL dialects, kept behind one small interface so the shared
// query code never branches on a dialect name. Adding Postgres means adding one of these.
import type { ColumnDataType, CompiledQuery, QueryResult } from "kysely";

/** Runs one compiled statement before returning, inside a synchronous write (`writeNow`). */
export type RunNow = <R = unknown>(query: CompiledQuery) => QueryResult<R>;

/**
 * A write transaction whose statements all run in one synchronous stretch, where the driver is
 * synchronous (SQLite). `work` must not wait for anything; what it throws undoes it alone.
 */
export type WriteNow = <T>(work: (run: RunNow) => T) => Promise<T>;

export interface DialectTraits {
  readonly name: "sqlite" | "postgres";
  /**
   * Whether `SELECT … FOR UPDATE SKIP LOCKED` is available. Postgres uses it so concurrent
   * claimers take different runs; SQLite has no row locks and instead serializes writers
   * (every store transaction starts with `BEGIN IMMEDIATE`).
   */
  readonly skipLocked: boolean;
  /**
   * Whether one write statement may run on its own, outside `write`'s transaction. Postgres: each
   * statement is atomic by itself and waits for row locks on the server. SQLite: no, the write
   * lock is taken up front with BEGIN IMMEDIATE so that waiting for it never blocks the event loop.
   */
  readonly standaloneWrites: boolean;
  /** Column type of JSON columns in migrations (`text` in SQLite, `jsonb` in Postgres). */
  readonly jsonType: ColumnDataType;
  /** Column type of byte columns in migrations (`blob` in SQLite, `bytea` in Postgres). */
  readonly bytesType: ColumnDataType;
  isUniqueViolation(error: unknown): boolean;
  isForeignKeyViolation(error: unknown): boolean;
  /** The database could not grow: the disk (or a quota) is full. */
  isDiskFull(error: unknown): boolean;
}
