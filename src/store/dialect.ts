// The few things that differ between SQL dialects, kept behind one small interface so the shared
// query code never branches on a dialect name. Adding Postgres means adding one of these.
import type { ColumnDataType } from "kysely";

export interface DialectTraits {
  readonly name: "sqlite" | "postgres";
  /**
   * Whether `SELECT … FOR UPDATE SKIP LOCKED` is available. Postgres uses it so concurrent
   * claimers take different runs; SQLite has no row locks and instead serializes writers
   * (every store transaction starts with `BEGIN IMMEDIATE`).
   */
  readonly skipLocked: boolean;
  /** Column type of JSON columns in migrations (`text` in SQLite, `jsonb` in Postgres). */
  readonly jsonType: ColumnDataType;
  /** Column type of byte columns in migrations (`blob` in SQLite, `bytea` in Postgres). */
  readonly bytesType: ColumnDataType;
  isUniqueViolation(error: unknown): boolean;
  isForeignKeyViolation(error: unknown): boolean;
  /** The database could not grow: the disk (or a quota) is full. */
  isDiskFull(error: unknown): boolean;
}
