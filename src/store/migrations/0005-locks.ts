// Migration 5: named locks shared by every process on the store (OAuth token refresh, first-start
// set-up). A lock is a row held by `owner` until `expires_at`; the holder extends it while it
// works, and a holder that died loses it when the time passes.
import type { Kysely, Migration } from "kysely";

export function locksMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("locks")
        .addColumn("name", "text", (c) => c.primaryKey())
        .addColumn("owner", "text", (c) => c.notNull())
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .execute();
    },
  };
}
