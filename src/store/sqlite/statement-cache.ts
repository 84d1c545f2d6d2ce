// A prepared-statement cache between Kysely and better-sqlite3. Kysely's SQLite driver prepares
// every query again; preparing (parsing and planning the SQL) was about half the driver's time in
// the service profile, while the store sends the same few dozen SQL texts over and over.
import type BetterSqlite3 from "better-sqlite3";
import type { SqliteDatabase } from "kysely";

/** Distinct SQL texts kept; `in (...)` lists of varying length make the set open-ended. */
const STATEMENT_CACHE_LIMIT = 500;

/**
 * The database as Kysely's SQLite driver sees it, preparing each SQL text once. Statements are
 * reused only when idle: one still being iterated is never handed out again. The oldest entry
 * goes when the cache is full (better-sqlite3 finalizes dropped statements when collected).
 */
export function cachingStatements(
  database: BetterSqlite3.Database,
  limit = STATEMENT_CACHE_LIMIT,
): SqliteDatabase {
  const statements = new Map<string, BetterSqlite3.Statement>();
  return {
    prepare(sql: string): BetterSqlite3.Statement {
      const cached = statements.get(sql);
      if (cached !== undefined && !cached.busy) return cached;
      const statement = database.prepare(sql);
      if (cached === undefined && statements.size >= limit) {
        const oldest = statements.keys().next();
        if (oldest.done !== true) statements.delete(oldest.value);
      }
      statements.set(sql, statement);
      return statement;
    },
    close(): void {
      statements.clear();
      database.close();
    },
  };
}
