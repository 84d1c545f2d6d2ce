// Migration 1: every table of the first store. Types are those both SQLite and Postgres accept:
// text ids, BIGINT epoch milliseconds, JSON columns of the dialect's JSON type.
import type { Kysely, Migration } from "kysely";
import type { DialectTraits } from "../dialect.ts";

/** Builds migration 1 for a dialect. */
export function initialMigration(traits: DialectTraits): Migration {
  const json = traits.jsonType;
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("integrations")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("name", "text", (c) => c.notNull().unique())
        .addColumn("manifest", json, (c) => c.notNull())
        .addColumn("options", json, (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .execute();

      await db.schema
        .createTable("integration_secrets")
        .addColumn("integration_id", "text", (c) =>
          c.notNull().references("integrations.id").onDelete("cascade"),
        )
        .addColumn("key", "text", (c) => c.notNull())
        .addColumn("value_enc", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("integration_secrets_pk", ["integration_id", "key"])
        .execute();

      await db.schema
        .createTable("hires")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("email", "text")
        .addColumn("props", json, (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("hires_email")
        .on("hires")
        .columns(["email", "created_at"])
        .execute();
      await db.schema
        .createIndex("hires_created")
        .on("hires")
        .columns(["created_at", "id"])
        .execute();

      await db.schema
        .createTable("stored_fields")
        .addColumn("hire_id", "text", (c) => c.notNull().references("hires.id").onDelete("cascade"))
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("value", json, (c) => c.notNull())
        .addColumn("run_id", "text")
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("stored_fields_pk", ["hire_id", "name"])
        .execute();

      await db.schema
        .createTable("runs")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("integration_id", "text", (c) => c.notNull().references("integrations.id"))
        .addColumn("hire_id", "text", (c) => c.references("hires.id"))
        .addColumn("block", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("params", json, (c) => c.notNull())
        .addColumn("state", json)
        .addColumn("generated_enc", "text")
        .addColumn("error", json)
        .addColumn("idempotency_key", "text")
        .addColumn("wake_at", "bigint")
        .addColumn("lease_owner", "text")
        .addColumn("lease_expires_at", "bigint")
        .addColumn("request", "text")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .addColumn("finished_at", "bigint")
        .execute();
      // NULL keys are distinct in both dialects, so runs without a key never clash.
      await db.schema
        .createIndex("runs_idempotency")
        .unique()
        .on("runs")
        .columns(["integration_id", "idempotency_key"])
        .execute();
      // The claim queries: due waiting runs by wake time, expired leases, queued runs by age.
      await db.schema
        .createIndex("runs_status_wake")
        .on("runs")
        .columns(["status", "wake_at"])
        .execute();
      await db.schema
        .createIndex("runs_status_lease")
        .on("runs")
        .columns(["status", "lease_expires_at"])
        .execute();
      await db.schema
        .createIndex("runs_status_created")
        .on("runs")
        .columns(["status", "created_at"])
        .execute();
      await db.schema
        .createIndex("runs_created")
        .on("runs")
        .columns(["created_at", "id"])
        .execute();
      await db.schema
        .createIndex("runs_integration")
        .on("runs")
        .columns(["integration_id", "created_at"])
        .execute();
      await db.schema
        .createIndex("runs_hire")
        .on("runs")
        .columns(["hire_id", "created_at"])
        .execute();

      await db.schema
        .createTable("attempts")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("run_id", "text", (c) => c.notNull().references("runs.id").onDelete("cascade"))
        .addColumn("seq", "integer", (c) => c.notNull())
        .addColumn("step", "integer", (c) => c.notNull())
        .addColumn("attempt", "integer", (c) => c.notNull())
        .addColumn("started_at", "bigint", (c) => c.notNull())
        .addColumn("duration_ms", "bigint", (c) => c.notNull())
        .addColumn("record", json, (c) => c.notNull())
        .addUniqueConstraint("attempts_run_seq", ["run_id", "seq"])
        .execute();

      await db.schema
        .createTable("files")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("run_id", "text", (c) => c.notNull().references("runs.id").onDelete("cascade"))
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("ref", "text", (c) => c.notNull())
        .addColumn("size", "bigint", (c) => c.notNull())
        .addColumn("content_type", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("expires_at", "bigint")
        .execute();
      await db.schema
        .createIndex("files_run")
        .on("files")
        .columns(["run_id", "created_at"])
        .execute();
      await db.schema.createIndex("files_expires").on("files").columns(["expires_at"]).execute();

      await db.schema
        .createTable("api_tokens")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("token_hash", "text", (c) => c.notNull().unique())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();

      await db.schema
        .createTable("settings")
        .addColumn("key", "text", (c) => c.primaryKey())
        .addColumn("value", json, (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .execute();
    },
  };
}
