// Opens the shared store: a PostgreSQL schema that any number of hirewire processes use at once.
// Opening checks the schema (store-check.ts) and migrates it under an advisory lock, so processes
// starting together apply each migration exactly once; run wake-ups go through LISTEN/NOTIFY, and
// run files are kept in the database too (postgres-file-store.ts), so every worker reaches them.
import { Kysely, PostgresDialect, sql } from "kysely";
import { nameStatements } from "./named-statements.ts";
import { isHirewireError } from "../../errors/index.ts";
import type { SecretCipher } from "../../secrets/index.ts";
import { migrateToLatest, storeMigrations } from "../migrations/index.ts";
import type { Database as Schema } from "../schema.ts";
import { SqlStore } from "../sql-store.ts";
import type { Store } from "../store.ts";
import { NotifySignals } from "./notify-signals.ts";
import { PostgresFileStore } from "./postgres-file-store.ts";
import {
  clientConfig,
  createPool,
  describeDatabase,
  postgresTraits,
  quoteIdentifier,
  type PostgresPoolOptions,
} from "./postgres-dialect.ts";
import {
  checkAfterMigrate,
  checkBeforeMigrate,
  probeHealth,
  unreachable,
  unusable,
} from "./store-check.ts";

export interface OpenPostgresStoreOptions extends PostgresPoolOptions {
  cipher: SecretCipher;
  /** Clock for created_at/updated_at; defaults to Date.now. */
  now?: () => number;
  /** Told about connection errors that hirewire recovers from (an idle connection dropped). */
  onConnectionError?: (error: unknown) => void;
}

/** First key of the advisory lock held while one process checks and migrates a schema ("hire"). */
const MIGRATION_LOCK = 0x68697265;

/**
 * Opens (and creates or migrates) the store in a PostgreSQL schema. Close it with `store.close()`.
 * With `schema`, that schema is created when missing; otherwise the connection's current schema
 * (`public`, or the URL's search_path) is used. An unreachable database, another program's tables
 * or a newer schema is refused with STORE_UNUSABLE.
 */
export async function openPostgresStore(options: OpenPostgresStoreOptions): Promise<Store> {
  const where = describeDatabase(options.url);
  const pool = createPool(options);
  // An idle connection that breaks (a restarted server) must not crash the process: the pool
  // drops it and opens a new one on the next query.
  pool.on("error", (error) => options.onConnectionError?.(error));
  nameStatements(pool);
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  try {
    const schema = await prepareSchema(db, where, options.schema);
    const signals = new NotifySignals({
      client: clientConfig(options),
      schema,
      ...(options.onConnectionError !== undefined ? { onError: options.onConnectionError } : {}),
    });
    const now = options.now ?? Date.now;
    return new SqlStore(
      { db, traits: postgresTraits, cipher: options.cipher, now, signals, location: where },
      () => probeHealth(db, where),
      new PostgresFileStore({ db, traits: postgresTraits, now, location: where }),
    );
  } catch (error) {
    await db.destroy().catch(() => undefined);
    if (isHirewireError(error)) throw error;
    throw unreachable(where, error);
  }
}

/**
 * One process at a time per schema (a session advisory lock on one connection): create the schema
 * if asked, check it, migrate it, check it again. Returns the schema's name.
 */
async function prepareSchema(
  db: Kysely<Schema>,
  where: string,
  wanted: string | undefined,
): Promise<string> {
  return db.connection().execute(async (conn) => {
    const schema = wanted ?? (await currentSchema(conn));
    if (schema === null)
      throw unusable(
        where,
        "has no schema for hirewire's tables (the search_path names none that exists)",
        "create the schema, or fix search_path in HIREWIRE_DATABASE_URL",
      );
    await sql`select pg_advisory_lock(${MIGRATION_LOCK}, hashtext(${schema}))`.execute(conn);
    try {
      if (wanted !== undefined)
        await sql.raw(`create schema if not exists ${quoteIdentifier(wanted)}`).execute(conn);
      const versions = Object.keys(storeMigrations(postgresTraits)).sort();
      await checkBeforeMigrate(conn, where, versions);
      await migrateToLatest(conn, postgresTraits, schema);
      await checkAfterMigrate(conn, where);
      return schema;
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK}, hashtext(${schema}))`.execute(conn);
    }
  });
}

async function currentSchema(db: Kysely<Schema>): Promise<string | null> {
  const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(
    db,
  );
  return rows[0]?.schema ?? null;
}
