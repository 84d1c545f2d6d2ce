// Is this SQLite file a hirewire store this version can use? Checked before migrating (empty or
// foreign file, damaged pages, a newer schema) and after (every table present), and cheaply again
// on demand for /healthz. Only a missing file is a new installation: an empty or damaged one is
// refused with a sentence naming the file and what to do, never silently replaced.
import { stat } from "node:fs/promises";
import type BetterSqlite3 from "better-sqlite3";
import type { HirewireError } from "../../errors/index.ts";
import { hirewireError } from "../../errors/index.ts";
import type { StoreHealth } from "../store.ts";

/** The tables of the latest schema; a store without one of them is damaged. */
export const STORE_TABLES = Object.freeze([
  "integrations",
  "integration_secrets",
  "hires",
  "stored_fields",
  "runs",
  "attempts",
  "files",
  "api_tokens",
  "settings",
  "locks",
  "run_file_bodies",
  "run_file_chunks",
  "rate_limits",
] as const);

const MIGRATION_TABLE = "kysely_migration";
const RESTORE = 'restore the latest backup (see docs/operations.md, "A corrupt database")';
// A process that has just created the file (another hirewire starting on the same directory)
// writes its first page within milliseconds; an empty file older than this is not being created.
const CREATING_MS = 2_000;

/** STORE_UNUSABLE naming the file. */
function unusable(file: string, problem: string, todo = RESTORE): HirewireError {
  return hirewireError("STORE_UNUSABLE", "check", { store: `store file "${file}"`, problem, todo });
}

/** Whether the file is new (missing); throws STORE_UNUSABLE for an empty file. */
export async function checkFileBeforeOpen(file: string): Promise<"new" | "existing"> {
  if (file === ":memory:") return "new";
  for (;;) {
    let info;
    try {
      info = await stat(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return "new";
      throw error;
    }
    if (info.size > 0) return "existing";
    if (Date.now() - info.mtimeMs > CREATING_MS) {
      throw unusable(
        file,
        "is empty (0 bytes), so it holds no hirewire data; hirewire creates a new database only when the file is missing",
        `${RESTORE}, or delete the empty file to start a new installation`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Turns SQLite's "not a database" and "malformed" errors into STORE_UNUSABLE; else undefined. */
export function damageError(file: string, error: unknown): HirewireError | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "SQLITE_NOTADB")
    return unusable(
      file,
      "is not a database: it is not in SQLite's format (it may have been overwritten)",
    );
  if (typeof code === "string" && code.startsWith("SQLITE_CORRUPT"))
    return unusable(file, `is damaged (${(error as Error).message})`);
  return undefined;
}

function tableNames(database: BetterSqlite3.Database): Set<string> {
  const rows = database
    .prepare("select name from sqlite_master where type = 'table'")
    .all() as Array<{ name: string }>;
  return new Set(rows.map((row) => row.name));
}

/**
 * Before migrating an existing file: pages readable (quick_check), a hirewire store, and a schema
 * version this hirewire knows. `versions` are the migration names it has, oldest first.
 */
export function checkBeforeMigrate(
  database: BetterSqlite3.Database,
  file: string,
  versions: readonly string[],
): void {
  const problems = (database.pragma("quick_check(3)") as Array<Record<string, string>>)
    .map((row) => Object.values(row)[0])
    .filter((text) => text !== "ok");
  if (problems.length > 0) throw unusable(file, `is damaged (${problems.join("; ")})`);
  const tables = tableNames(database);
  if (!tables.has(MIGRATION_TABLE)) {
    const own = [...tables].filter((name) => !name.startsWith("sqlite_"));
    if (own.length === 0) return; // a database another process has only just created
    throw unusable(
      file,
      `is a SQLite database but not a hirewire store (it has the tables ${own.slice(0, 5).join(", ")})`,
      "point HIREWIRE_DATA at hirewire's data directory, or restore the latest backup (see docs/operations.md)",
    );
  }
  const applied = (
    database.prepare(`select name from ${MIGRATION_TABLE} order by name`).all() as Array<{
      name: string;
    }>
  ).map((row) => row.name);
  const unknown = applied.filter((name) => !versions.includes(name));
  if (unknown.length > 0) {
    throw unusable(
      file,
      `has schema version ${unknown[unknown.length - 1]}, but this hirewire reads schema versions up to ${versions[versions.length - 1]}: a newer hirewire wrote it`,
      'run that newer version, or restore a backup made by this one (see docs/operations.md, "Upgrades")',
    );
  }
}

/** The latest schema's tables that are missing, in STORE_TABLES order. */
function missingTables(database: BetterSqlite3.Database): string[] {
  const tables = tableNames(database);
  return STORE_TABLES.filter((name) => !tables.has(name));
}

/** After migrating: every table of the schema is there. */
export function checkAfterMigrate(database: BetterSqlite3.Database, file: string): void {
  const missing = missingTables(database);
  if (missing.length > 0) throw unusable(file, `is damaged: ${missingList(missing)}`);
}

function missingList(missing: string[]): string {
  return `it is missing the table${missing.length === 1 ? "" : "s"} ${missing.join(", ")}`;
}

/**
 * The check's statements, prepared once per connection: a load balancer may ask every second, and
 * preparing is most of what the check costs. SQLite prepares a statement again by itself when the
 * schema changed; one whose table is gone fails, and the check says so.
 */
function probesOf(database: BetterSqlite3.Database): Probes {
  let probes = preparedProbes.get(database);
  if (probes === undefined) {
    probes = {
      tables: database.prepare("select name from sqlite_master where type = 'table'"),
      firstRows: [],
    };
    preparedProbes.set(database, probes);
  }
  return probes;
}

interface Probes {
  tables: BetterSqlite3.Statement;
  firstRows: BetterSqlite3.Statement[];
}

const preparedProbes = new WeakMap<BetterSqlite3.Database, Probes>();

/**
 * The cheap check behind /healthz: damage seen by any query since open, every table present and
 * its first page readable. Never throws.
 */
export function probeHealth(
  database: BetterSqlite3.Database,
  file: string,
  damageSeen: () => string | undefined,
): StoreHealth {
  try {
    const seen = damageSeen();
    if (seen !== undefined) return { ok: false, reason: seen };
    const probe = probesOf(database);
    const tables = new Set((probe.tables.all() as Array<{ name: string }>).map((row) => row.name));
    const missing = STORE_TABLES.filter((name) => !tables.has(name));
    if (missing.length > 0)
      return { ok: false, reason: unusable(file, `is damaged: ${missingList(missing)}`).message };
    // Prepared on the first check that finds every table there (before that, preparing one fails).
    if (probe.firstRows.length === 0)
      probe.firstRows = STORE_TABLES.map((table) =>
        database.prepare(`select * from ${table} limit 1`),
      );
    for (const read of probe.firstRows) read.all();
    return { ok: true };
  } catch (error) {
    const reason = damageError(file, error)?.message ?? (error as Error).message;
    return { ok: false, reason };
  }
}
