// Migration 2: stored fields that hold a secret. `sensitive` marks them (0/1: SQLite has no
// boolean); `value_enc` holds their value encrypted like integration secrets, and `value` then
// holds only the masked view that is safe to show. Existing rows stay as they were (not sensitive).
import type { Kysely, Migration } from "kysely";

/** Builds migration 2 (the same for every dialect). */
export function sensitiveStoredFieldsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      // One column per statement: SQLite's ALTER TABLE adds one at a time.
      await db.schema
        .alterTable("stored_fields")
        .addColumn("sensitive", "integer", (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.alterTable("stored_fields").addColumn("value_enc", "text").execute();
    },
  };
}
