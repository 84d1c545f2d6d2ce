// Copies an embedded SQLite store into an empty PostgreSQL schema (`hirewire migrate`): every
// table, row for row, in batches, inside ONE PostgreSQL transaction, so a failure part-way leaves
// the target as empty as it was and the copy can simply be run again. Encrypted columns (secrets,
// sensitive stored fields, generated values) are copied as ciphertext: nothing is decrypted, so no
// secret key is needed. Run files are streamed from DATA/files into the database in the same
// transaction, where PostgreSQL stores keep them. A target that already holds any row is refused.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import Database from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect, sql } from "kysely";
import { hirewireError, type HirewireError } from "../errors/index.ts";
import { DiskFileStore } from "../files/index.ts";
import { SecretCipher } from "../secrets/index.ts";
import { openPostgresStore } from "./postgres/open-postgres-store.ts";
import { createPool, describeDatabase, postgresTraits } from "./postgres/postgres-dialect.ts";
import { PostgresFileStore } from "./postgres/postgres-file-store.ts";
import type { Database as Schema } from "./schema.ts";
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
  /** The run files' folder (default: `files` beside the store file, DATA/files). */
  filesDir?: string;
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
  /** Run files the store lists that were no longer in the files folder (refs), not copied. */
  missingFiles: string[];
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
  const filesDir = options.filesDir ?? join(dirname(options.file), "files");
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
          if (FILE_TABLES.has(table)) continue;
          counts[table] = await copyTable(reader, writer, table, batchSize);
          await verifyCount(writer, table, counts[table], where);
          options.onTable?.(table, counts[table]);
        }
        const missingFiles = await importRunFiles(reader, writer, filesDir, where);
        for (const table of FILE_TABLES) {
          counts[table] = await countRows(writer, table);
          options.onTable?.(table, counts[table]);
        }
        return { where, schema, counts, missingFiles };
      }),
    );
  } finally {
    await source.destroy();
    await target.destroy();
  }
}

/** Tables the SQLite store leaves empty: its run files are on disk, imported by importRunFiles. */
const FILE_TABLES: ReadonlySet<string> = new Set(["run_file_bodies", "run_file_chunks"]);

/**
 * Streams every run file the copied `files` rows refer to from the disk folder into the target's
 * run_file_bodies/run_file_chunks, inside the copy's transaction, where PostgreSQL stores keep
 * them (so every worker reaches them). Returns the refs that were no longer on disk.
 */
async function importRunFiles(
  reader: Kysely<AnyTables>,
  writer: Kysely<AnyTables>,
  filesDir: string,
  where: string,
): Promise<string[]> {
  const disk = new DiskFileStore(filesDir);
  const files = new PostgresFileStore({
    db: writer as unknown as Kysely<Schema>,
    traits: postgresTraits,
    now: Date.now,
    location: where,
  });
  // A name saved again by a resumed run has several rows with one ref: the newest row's file.
  const { rows } = await sql<{ run_id: string; name: string; ref: string; content_type: string }>`
    select run_id, name, ref, content_type from files order by created_at desc, id desc`.execute(
    reader,
  );
  const missing: string[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    if (seen.has(row.ref)) continue;
    seen.add(row.ref);
    const ref = { name: row.name, ref: row.ref, size: 0, contentType: row.content_type };
    const blob = await disk.openBlob(ref).catch(() => undefined);
    if (blob === undefined) {
      missing.push(row.ref);
      continue;
    }
    const saved = await files.save(row.run_id, row.name, disk.openRead(ref), {
      contentType: row.content_type,
      maxBytes: Number.MAX_SAFE_INTEGER,
    });
    if (saved.ref !== row.ref)
      throw hirewireError("INTERNAL", "copyFileRef", { ref: row.ref, storedAs: saved.ref });
  }
  return missing;
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
