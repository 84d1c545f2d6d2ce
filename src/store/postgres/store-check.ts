// Is this PostgreSQL schema a hirewire store this version can use? Checked before migrating
// (reachable, not another program's tables, not a newer schema) and after (every table present),
// and cheaply again on demand for /healthz. Messages name the database by host, port and name,
// never by the URL, which may carry a password.
import { sql, type Kysely } from "kysely";
import type { HirewireError } from "../../errors/index.ts";
import { hirewireError } from "../../errors/index.ts";
import type { Database } from "../schema.ts";
import { STORE_TABLES } from "../sqlite/store-check.ts";
import type { StoreHealth } from "../store.ts";
import { sqlState } from "./postgres-dialect.ts";

const MIGRATION_TABLE = "kysely_migration";

/** STORE_UNUSABLE naming the database. */
export function unusable(where: string, problem: string, todo: string): HirewireError {
  return hirewireError("STORE_UNUSABLE", "check", { store: where, problem, todo });
}

/** A connection or authentication failure as one sentence saying what to check. */
export function unreachable(where: string, error: unknown): HirewireError {
  const state = sqlState(error);
  const reason =
    state === "28P01" || state === "28000"
      ? "refused the user name or password"
      : state === "3D000"
        ? "does not exist"
        : `could not be reached (${(error as Error)?.message ?? String(error)})`;
  return hirewireError("STORE_UNUSABLE", "unreachable", { store: where, reason }, { cause: error });
}

async function tablesIn(db: Kysely<Database>): Promise<Set<string>> {
  const { rows } = await sql<{ name: string }>`
    select table_name as name from information_schema.tables
    where table_schema = current_schema()`.execute(db);
  return new Set(rows.map((row) => row.name));
}

/**
 * Before migrating: the schema is empty or a hirewire store, with a schema version this hirewire
 * knows. `versions` are the migration names it has, oldest first.
 */
export async function checkBeforeMigrate(
  db: Kysely<Database>,
  where: string,
  versions: readonly string[],
): Promise<void> {
  const tables = await tablesIn(db);
  if (!tables.has(MIGRATION_TABLE)) {
    const own = [...tables].filter((name) => name !== `${MIGRATION_TABLE}_lock`);
    if (own.length === 0) return;
    throw unusable(
      where,
      `holds tables of another program in its schema (${own.slice(0, 5).join(", ")}), not a hirewire store`,
      "give hirewire a database or schema of its own (see docs/operations.md, PostgreSQL)",
    );
  }
  const { rows } = await sql<{
    name: string;
  }>`select name from ${sql.table(MIGRATION_TABLE)} order by name`.execute(db);
  const unknown = rows.map((row) => row.name).filter((name) => !versions.includes(name));
  if (unknown.length > 0) {
    throw unusable(
      where,
      `has schema version ${unknown[unknown.length - 1]}, but this hirewire reads schema versions up to ${versions[versions.length - 1]}: a newer hirewire wrote it`,
      'run that newer version on every machine, or restore a backup made by this one (see docs/operations.md, "Upgrades")',
    );
  }
}

/** The latest schema's tables that are missing, in STORE_TABLES order. */
async function missingTables(db: Kysely<Database>): Promise<string[]> {
  const tables = await tablesIn(db);
  return STORE_TABLES.filter((name) => !tables.has(name));
}

function missingList(missing: string[]): string {
  return `is missing the table${missing.length === 1 ? "" : "s"} ${missing.join(", ")}`;
}

/** After migrating: every table of the schema is there. */
export async function checkAfterMigrate(db: Kysely<Database>, where: string): Promise<void> {
  const missing = await missingTables(db);
  if (missing.length > 0)
    throw unusable(
      where,
      missingList(missing),
      "restore the latest backup (see docs/operations.md)",
    );
}

/** The cheap check behind /healthz: reachable, every table present and readable. Never throws. */
export async function probeHealth(db: Kysely<Database>, where: string): Promise<StoreHealth> {
  try {
    const missing = await missingTables(db);
    if (missing.length > 0)
      return {
        ok: false,
        reason: unusable(where, missingList(missing), "restore the latest backup").message,
      };
    for (const table of STORE_TABLES)
      await sql`select 1 from ${sql.table(table)} limit 1`.execute(db);
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: unreachable(where, error).message };
  }
}
