// Brings a database up to the latest schema on open. Each dialect makes this safe when several
// processes open the same database at once: SQLite runs the whole batch in one BEGIN IMMEDIATE
// transaction (see sqlite-dialect.ts); Postgres holds an advisory lock per schema (postgres/open-postgres-store.ts).
import { Migrator, type Kysely } from "kysely";
import { hirewireError } from "../../errors/index.ts";
import type { DialectTraits } from "../dialect.ts";
import type { Database } from "../schema.ts";
import { migrationProvider } from "./provider.ts";

/**
 * Applies pending migrations; returns the names applied. Throws INTERNAL on failure. `schema`
 * (Postgres) names the schema of the migration tables: without it Kysely would take a
 * `kysely_migration` table in any schema of the database for this one's.
 */
export async function migrateToLatest(
  db: Kysely<Database>,
  traits: DialectTraits,
  schema?: string,
): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: migrationProvider(traits),
    ...(schema !== undefined ? { migrationTableSchema: schema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName;
    throw hirewireError(
      "INTERNAL",
      "migrate",
      { migration: failed || undefined },
      { cause: error },
    );
  }
  return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
}
