// Migration 4: one hire per email, erasure and deletable integrations.
// - hires.email_duplicate: 1 marks a hire whose email an older hire already had when this
//   migration ran. Such duplicates are kept (nothing is lost), but the partial unique index only
//   covers the others, so no NEW hire can share an email with an existing one.
// - runs.erased_at / erased_reason: the run's personal details (params, saved responses, attempt
//   bodies, headers and URLs) were erased, because its hire was deleted or by attempt retention.
// - integrations.deleted_at: an integration deleted while runs refer to it stays as a tombstone
//   (no manifest, no secrets) so those runs keep their skeleton; listings hide it.
import { sql, type Kysely, type Migration } from "kysely";

/** Builds migration 4 (the same for every dialect). */
export function erasureMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      // One column per statement: SQLite's ALTER TABLE adds one at a time.
      await db.schema
        .alterTable("hires")
        .addColumn("email_duplicate", "integer", (c) => c.notNull().defaultTo(0))
        .execute();
      await sql`UPDATE hires SET email_duplicate = 1
        WHERE email IS NOT NULL AND EXISTS (
          SELECT 1 FROM hires AS older WHERE older.email = hires.email
            AND (older.created_at < hires.created_at
              OR (older.created_at = hires.created_at AND older.id < hires.id)))`.execute(db);
      await db.schema
        .createIndex("hires_email_unique")
        .unique()
        .on("hires")
        .column("email")
        .where(sql.ref("email_duplicate"), "=", 0)
        .execute();
      await db.schema.alterTable("runs").addColumn("erased_at", "bigint").execute();
      await db.schema.alterTable("runs").addColumn("erased_reason", "text").execute();
      await db.schema.alterTable("integrations").addColumn("deleted_at", "bigint").execute();
    },
  };
}
