// Brings a database up to the latest schema on open. Each dialect makes this safe when several
// processes open the same database at once: SQLite runs the whole batch in one BEGIN IMMEDIATE
// transaction (see sqlite-dialect.ts); Postgres' Migrator adapter holds an advisory lock.
import { Migrator, type Kysely } from "kysely";
import { HirewireError } from "../../errors/index.ts";
import type { DialectTraits } from "../dialect.ts";
import type { Database } from "../schema.ts";
import { migrationProvider } from "./provider.ts";

/** Applies pending migrations; returns the names applied. Throws INTERNAL on failure. */
export async function migrateToLatest(
  db: Kysely<Database>,
  traits: DialectTraits,
): Promise<string[]> {
  const migrator = new Migrator({ db, provider: migrationProvider(traits) });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName;
    throw new HirewireError(
      {
        code: "INTERNAL",
        message: `The store's schema could not be updated${failed ? ` (migration ${failed})` : ""}.`,
      },
      { cause: error },
    );
  }
  return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
}
