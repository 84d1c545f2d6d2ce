// Migration 7: rate_limits, one row per integration whose rate limit was used — the token
// bucket, the current (possibly slowed) rate, a 429's pause, and the slots of requests in flight
// with their lease expiry — shared by every process on the database.
import type { Kysely, Migration } from "kysely";

/** Builds migration 7 (the same for every dialect: SQLite reads "double precision" as REAL). */
export function rateLimitsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("rate_limits")
        .addColumn("integration_id", "text", (c) => c.primaryKey())
        .addColumn("tokens", "double precision", (c) => c.notNull())
        .addColumn("refilled_at", "bigint", (c) => c.notNull())
        .addColumn("rate", "double precision")
        .addColumn("paused_until", "bigint")
        .addColumn("decreased_at", "bigint")
        .addColumn("slots", "text", (c) => c.notNull())
        .addColumn("throttled", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .execute();
    },
  };
}
