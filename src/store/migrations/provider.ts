// The list of migrations, given to Kysely's Migrator directly (no file-system discovery, so the
// set is fixed at build time). Names are zero-padded integers: their sort order is their version.
import type { Migration, MigrationProvider } from "kysely";
import type { DialectTraits } from "../dialect.ts";
import { initialMigration } from "./0001-initial.ts";
import { sensitiveStoredFieldsMigration } from "./0002-sensitive-stored-fields.ts";
import { apiTokenUseMigration } from "./0003-api-token-use.ts";
import { erasureMigration } from "./0004-erasure.ts";
import { locksMigration } from "./0005-locks.ts";
import { runFileBodiesMigration } from "./0006-run-file-bodies.ts";
import { rateLimitsMigration } from "./0007-rate-limits.ts";

/** All migrations for a dialect, by version name. Append new ones; never edit a released one. */
export function storeMigrations(traits: DialectTraits): Record<string, Migration> {
  return {
    "0001": initialMigration(traits),
    "0002": sensitiveStoredFieldsMigration(),
    "0003": apiTokenUseMigration(),
    "0004": erasureMigration(),
    "0005": locksMigration(),
    "0006": runFileBodiesMigration(traits),
    "0007": rateLimitsMigration(),
  };
}

/** A Migrator provider over `storeMigrations`. */
export function migrationProvider(traits: DialectTraits): MigrationProvider {
  return { getMigrations: async () => storeMigrations(traits) };
}
