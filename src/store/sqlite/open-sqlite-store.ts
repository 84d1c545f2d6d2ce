// Opens the embedded store: one SQLite file (created on first start), checked (store-check.ts),
// migrated to the latest schema, tuned for many short write transactions from one or a few
// processes.
import Database from "better-sqlite3";
import { Kysely } from "kysely";
import { hirewireError, isHirewireError } from "../../errors/index.ts";
import type { SecretCipher } from "../../secrets/index.ts";
import { migrateToLatest, storeMigrations } from "../migrations/index.ts";
import { LocalRunSignals } from "../run-signals.ts";
import type { Database as Schema } from "../schema.ts";
import { SqlStore } from "../sql-store.ts";
import type { Store } from "../store.ts";
import { ImmediateSqliteDialect, sqliteTraits } from "./sqlite-dialect.ts";
import {
  checkAfterMigrate,
  checkBeforeMigrate,
  checkFileBeforeOpen,
  damageError,
  probeHealth,
} from "./store-check.ts";

export interface OpenSqliteStoreOptions {
  /** Path of the database file (its directory must exist), or ":memory:" for a private store. */
  file: string;
  cipher: SecretCipher;
  /** Clock for created_at/updated_at; defaults to Date.now. */
  now?: () => number;
  /** Longest wait for the write lock held by another connection (default 10 s). */
  lockTimeoutMs?: number;
}

/**
 * Opens (and creates or migrates) a SQLite store. Close it with `store.close()`. Only a missing
 * file makes a new store; an empty, foreign, damaged or newer-schema file is refused with
 * STORE_UNUSABLE (store-check.ts).
 */
export async function openSqliteStore(options: OpenSqliteStoreOptions): Promise<Store> {
  const busyTimeoutMs = 5_000;
  const { file } = options;
  const kind = await checkFileBeforeOpen(file);
  let database: Database.Database | undefined;
  let damage: string | undefined;
  try {
    database = new Database(file, { timeout: busyTimeoutMs });
    // WAL: readers never wait for the writer. NORMAL sync is durable against process crashes
    // (the WAL is fsynced at checkpoints); only a power loss can drop the last commits.
    database.pragma("journal_mode = WAL");
    database.pragma("synchronous = NORMAL");
    database.pragma("foreign_keys = ON");
    // Deleted and rewritten content is zeroed, so an erased hire's data is not left in free pages.
    database.pragma("secure_delete = ON");
    if (kind === "existing")
      checkBeforeMigrate(database, file, Object.keys(storeMigrations(sqliteTraits)).sort());
    const dialect = new ImmediateSqliteDialect({
      database,
      busyTimeoutMs,
      lockTimeoutMs: options.lockTimeoutMs ?? 10_000,
      onQueryError: (error) => (damage ??= damageError(file, error)?.message),
    });
    const db = new Kysely<Schema>({ dialect });
    try {
      await migrateToLatest(db, sqliteTraits);
      checkAfterMigrate(database, file);
    } catch (error) {
      await db.destroy();
      throw error;
    }
    const opened = database;
    return new SqlStore(
      {
        db,
        traits: sqliteTraits,
        cipher: options.cipher,
        now: options.now ?? Date.now,
        // Old versions of erased rows also live in the WAL until it is checkpointed and cut.
        // A checkpoint inside a transaction does nothing: it runs once the open group committed.
        afterErase: () =>
          dialect.outsideTransaction(() => {
            try {
              if (opened.open) opened.pragma("wal_checkpoint(TRUNCATE)");
            } catch {
              // Another process is reading: its next checkpoint does it.
            }
          }),
        signals: new LocalRunSignals(),
        writeNow: (work) => dialect.writeNow(work),
        ...(options.file !== ":memory:" ? { location: options.file } : {}),
      },
      async () => probeHealth(opened, file, () => damage),
    );
  } catch (error) {
    if (database?.open) database.close();
    if (isHirewireError(error)) throw error;
    const damaged = damageError(file, error);
    if (damaged !== undefined) throw damaged;
    const reason = error instanceof Error ? error.message : String(error);
    throw hirewireError("INTERNAL", "openStore", { file, reason }, { cause: error });
  }
}
