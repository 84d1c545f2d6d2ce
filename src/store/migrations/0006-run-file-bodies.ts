// Migration 6: run files kept in the database, for stores shared by several machines (PostgreSQL),
// where a file saved by one worker must be uploadable by whichever worker continues the run.
// - run_file_bodies: one row per saved body. `ref` is the FileRef.ref callers keep (the same
//   `<run>/<name>` shape as on disk); `complete` = 0 while it is being written, so a save whose
//   process died stays listed as a partial until the janitor removes it. At most one complete
//   body per ref: a new save of a name replaces the old one when it completes.
// - run_file_chunks: the bytes, in chunks of at most 256 KiB, keyed by the byte position each one
//   starts at (so a range is found without knowing the chunk size it was written with). Plain rows rather
//   than large objects: they live in hirewire's schema (dumped, restored and dropped with it),
//   go with their body on DELETE (no orphaned large objects to vacuum), and each chunk is read or
//   written by one short statement, so no transaction stays open for a whole upload.
// SQLite stores get the same (unused) tables: its run files stay on disk, and both schemas keep one
// table list.
import { sql, type Kysely, type Migration } from "kysely";
import type { DialectTraits } from "../dialect.ts";

/** Builds migration 6 for a dialect. */
export function runFileBodiesMigration(traits: DialectTraits): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("run_file_bodies")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("run_id", "text", (c) => c.notNull())
        .addColumn("ref", "text", (c) => c.notNull())
        .addColumn("size", "bigint", (c) => c.notNull().defaultTo(0))
        .addColumn("complete", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("run_file_bodies_run")
        .on("run_file_bodies")
        .columns(["run_id", "complete"])
        .execute();
      await db.schema
        .createIndex("run_file_bodies_ref")
        .unique()
        .on("run_file_bodies")
        .column("ref")
        .where(sql.ref("complete"), "=", 1)
        .execute();
      await db.schema
        .createTable("run_file_chunks")
        .addColumn("body_id", "text", (c) =>
          c.notNull().references("run_file_bodies.id").onDelete("cascade"),
        )
        .addColumn("position", "bigint", (c) => c.notNull())
        .addColumn("bytes", traits.bytesType, (c) => c.notNull())
        .addPrimaryKeyConstraint("run_file_chunks_pk", ["body_id", "position"])
        .execute();
    },
  };
}
