// Migration 2: API tokens say where they came from (the HIREWIRE_ADMIN_TOKEN variable, the first
// start, or created by an admin) and when they were last used, so they can be listed and revoked.
import { sql, type Kysely, type Migration } from "kysely";

export function apiTokenUseMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable("api_tokens").addColumn("last_used_at", "bigint").execute();
      await db.schema
        .alterTable("api_tokens")
        .addColumn("source", "text", (c) => c.notNull().defaultTo("created"))
        .execute();
      // Names the first version gave the two tokens it made itself.
      await sql`UPDATE api_tokens SET source = 'env' WHERE name = 'admin (HIREWIRE_ADMIN_TOKEN)'`.execute(
        db,
      );
      await sql`UPDATE api_tokens SET source = 'generated' WHERE name = 'admin'`.execute(db);
    },
  };
}
