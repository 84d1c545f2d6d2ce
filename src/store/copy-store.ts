// Copies an embedded SQLite store into an empty PostgreSQL schema (`hirewire migrate`): every
// table, row for row, in batches, inside ONE PostgreSQL transaction, so a failure part-way leaves
// the target as empty as it was and the copy can simply be run again. Encrypted columns (secrets,
// sensitive stored fields, generated values) are copied as ciphertext: nothing is decrypted, so no
// secret key is needed. A target that already holds any row is refused.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import Database from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect, sql } from "kysely";
import type { HirewireError } from "../errors/index.ts";
import { hirewireError } from "../errors/index.ts";
import { SecretCipher } from "../secrets/index.ts";
import { openPostgresStore } from "./postgres/open-postgres-store.ts";
import { createPool, describeDatabase } from "./postgres/postgres-dialect.ts";
import { openSqliteStore } from "./sqlite/open-sqlite-store.ts";
import { STORE_TABLES } from "./sqlite/store-check.ts";

/** A table's rows as plain column → value records (the copy never looks inside them). */
type Row = Record<string, unknown>;
type AnyTables = Record<string, Row>;

export interface CopyStoreOptions {
  /** The SQLite store file (DATA/hirewire.sqlite). */
  file: string;
  /** The target postgres:// URL (its search_path, if any, names the schema). */
  url: string;
  /** Rows per read and per INSERT (default 500). */
  batchSize?: number;
  /** Told after each table is copied. */
  onTable?: (table: string, rows: number) => void;
}

export interface CopyStoreResult {
  /** The target, named without the URL's password. */
  where: string;
  /** The schema the tables went into. */
  schema: string;
  /** Rows copied per table, parents first (STORE_TABLES order). */
  counts: Record<string, number>;
}

/**
 * Copies the SQLite store in `file` into the PostgreSQL database at `url`. Both are first checked
 * and brought to the latest schema (as a service start would). Throws CONFLICT when the target
 * already holds data, STORE_UNUSABLE when either store cannot be used.
 */
export async function copySqliteToPostgres(options: CopyStoreOptions): Promise<CopyStoreResult> {
  if (!existsSync(options.file))
    throw hirewireError("INPUT_INVALID", "noStoreToCopy", { file: options.file });
  const batchSize = options.batchSize ?? 500;
  const where = describeDatabase(options.url);
  // Opening checks and migrates each side; no secret is read, so a throwaway key is enough.
  const cipher = new SecretCipher(randomBytes(32));
  await (await openSqliteStore({ file: options.file, cipher })).close();
  await (await openPostgresStore({ url: options.url, cipher, max: 1 })).close();

  const source = new Kysely<AnyTables>({
    dialect: new SqliteDialect({ database: new Database(options.file, { readonly: true }) }),
  });
  const target = new Kysely<AnyTables>({
    dialect: new PostgresDialect({ pool: createPool({ url: options.url, max: 1 }) }),
  });
  try {
    // One read transaction: a consistent snapshot of the file even if something writes to it.
    return await source.transaction().execute((reader) =>
      target.transaction().execute(async (writer) => {
        const schema = await lockEmptyTarget(writer, where);
        const counts: Record<string, number> = {};
        // STORE_TABLES lists parents before the rows that refer to them.
        for (const table of STORE_TABLES) {
          counts[table] = await copyTable(reader, writer, table, batchSize);
          await verifyCount(writer, table, counts[table], where);
          options.onTable?.(table, counts[table]);
        }
        return { where, schema, counts };
      }),
    );
  } finally {
    await source.destroy();
    await target.destroy();
  }
}

/**
 * Locks every store table against writers (a service started on the target meanwhile waits),
 * then refuses a target with any row in it. Returns the target's schema.
 */
async function lockEmptyTarget(db: Kysely<AnyTables>, where: string): Promise<string> {
  const tables = sql.join(STORE_TABLES.map((table) => sql.table(table)));
  await sql`lock table ${tables} in exclusive mode`.execute(db);
  const held: string[] = [];
  for (const table of STORE_TABLES) {
    const rows = await countRows(db, table);
    if (rows > 0) held.push(`${rows} ${table}`);
  }
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  const schema = rows[0]?.schema ?? "public";
  if (held.length > 0) throw hirewireError("CONFLICT", "targetNotEmpty", { where, schema, held });
  return schema;
}

async function countRows(db: Kysely<AnyTables>, table: string): Promise<number> {
  const { rows } = await sql<{
    n: number | string;
  }>`select count(*) as n from ${sql.table(table)}`.execute(db);
  return Number(rows[0]?.n ?? 0);
}

/** Copies one table in rowid order, `batchSize` rows per read and per INSERT. */
async function copyTable(
  reader: Kysely<AnyTables>,
  writer: Kysely<AnyTables>,
  table: string,
  batchSize: number,
): Promise<number> {
  let after = 0;
  let copied = 0;
  for (;;) {
    const { rows } = await sql<Row & { hirewire_copy_rowid: number }>`
      select rowid as hirewire_copy_rowid, * from ${sql.table(table)}
      where rowid > ${after} order by rowid limit ${batchSize}`.execute(reader);
    if (rows.length === 0) return copied;
    const values = rows.map(({ hirewire_copy_rowid: _rowid, ...row }) => row);
    try {
      await writer.insertInto(table).values(values).execute();
    } catch (error) {
      throw batchFailed(table, copied, error);
    }
    copied += rows.length;
    after = rows[rows.length - 1]!.hirewire_copy_rowid;
    if (rows.length < batchSize) return copied;
  }
}

/**
 * A batch PostgreSQL refused (a row SQLite let through that PostgreSQL does not accept). The
 * driver's message names the problem, never a value; the transaction is rolled back.
 */
function batchFailed(table: string, copied: number, error: unknown): HirewireError {
  const reason = error instanceof Error ? error.message : String(error);
  return hirewireError(
    "STORE_UNUSABLE",
    "copyRefused",
    { table, copied, reason },
    { cause: error },
  );
}

/** The target holds exactly the rows read (a cheap guard against a silently skipped batch). */
async function verifyCount(
  db: Kysely<AnyTables>,
  table: string,
  expected: number,
  where: string,
): Promise<void> {
  const actual = await countRows(db, table);
  if (actual !== expected)
    throw hirewireError("INTERNAL", "copyCount", { table, where, actual, expected });
}
