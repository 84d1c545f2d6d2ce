// Opens the embedded store: one SQLite file (created on first start), migrated to the latest
// schema, tuned for many short write transactions from one or a few processes.
import Database from "better-sqlite3";
import { Kysely } from "kysely";
import { HirewireError, isHirewireError } from "../../errors/index.ts";
import type { SecretCipher } from "../../secrets/index.ts";
import { migrateToLatest } from "../migrations/index.ts";
import type { Database as Schema } from "../schema.ts";
import { SqlStore } from "../sql-store.ts";
import type { Store } from "../store.ts";
import { ImmediateSqliteDialect, sqliteTraits } from "./sqlite-dialect.ts";

export interface OpenSqliteStoreOptions {
  /** Path of the database file (its directory must exist), or ":memory:" for a private store. */
  file: string;
  cipher: SecretCipher;
  /** Clock for created_at/updated_at; defaults to Date.now. */
  now?: () => number;
  /** Longest wait for the write lock held by another connection (default 10 s). */
  lockTimeoutMs?: number;
}

/** Opens (and creates or migrates) a SQLite store. Close it with `store.close()`. */
export async function openSqliteStore(options: OpenSqliteStoreOptions): Promise<Store> {
  const busyTimeoutMs = 5_000;
  let database: Database.Database | undefined;
  try {
    database = new Database(options.file, { timeout: busyTimeoutMs });
    // WAL: readers never wait for the writer. NORMAL sync is durable against process crashes
    // (the WAL is fsynced at checkpoints); only a power loss can drop the last commits.
    database.pragma("journal_mode = WAL");
    database.pragma("synchronous = NORMAL");
    database.pragma("foreign_keys = ON");
    const db = new Kysely<Schema>({
      dialect: new ImmediateSqliteDialect({
        database,
        busyTimeoutMs,
        lockTimeoutMs: options.lockTimeoutMs ?? 10_000,
      }),
    });
    try {
      await migrateToLatest(db, sqliteTraits);
    } catch (error) {
      await db.destroy();
      throw error;
    }
    return new SqlStore({
      db,
      traits: sqliteTraits,
      cipher: options.cipher,
      now: options.now ?? Date.now,
      ...(options.file !== ":memory:" ? { location: options.file } : {}),
    });
  } catch (error) {
    if (database?.open) database.close();
    if (isHirewireError(error)) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new HirewireError(
      {
        code: "INTERNAL",
        message: `The store file "${options.file}" could not be opened: ${reason}.`,
      },
      { cause: error },
    );
  }
}
