// Opening the store a process's configuration names, with the checks every role makes first: the
// data directory, the secret key (and whether it matches the store), where run files live.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import { DiskFileStore, type FileStore } from "../files/index.ts";
import { openCipher } from "../secrets/index.ts";
import {
  describeDatabase,
  openPostgresStore,
  openSqliteStore,
  type Store,
} from "../store/index.ts";
import { checkSecretKey, keyFileMissing } from "./key-check.ts";
import type { ServiceConfig } from "./service-config.ts";

export interface OpenedStore {
  store: Store;
  files: FileStore;
  /** Problems found at start that the operator must act on (e.g. a lost secret key). */
  warnings: string[];
}

export async function openConfiguredStore(
  config: ServiceConfig,
  logger: Logger,
): Promise<OpenedStore> {
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const keyCreated = await keyFileMissing(config.dataDir, config.secretKey);
  const cipher = await openCipher(config.dataDir, config.secretKey);
  const { store, file } = await openStore(config, cipher, logger);
  const warnings: string[] = [];
  const keyWarning = await checkSecretKey({ store, cipher, file, keyCreated });
  if (keyWarning !== undefined) {
    warnings.push(keyWarning);
    logger.error({ dataDir: config.dataDir }, keyWarning);
  }
  return { store, files: runFileStore(config, store), warnings };
}

/**
 * Where run files live: the folder HIREWIRE_FILES_DIR names; else the store's own database when it
 * keeps them (PostgreSQL, reached by every worker); else DATA/files.
 */
function runFileStore(config: ServiceConfig, store: Store): FileStore {
  if (config.filesDir !== undefined) return new DiskFileStore(config.filesDir);
  return store.runFiles ?? new DiskFileStore(join(config.dataDir, "files"));
}

/**
 * The store the configuration names: PostgreSQL when HIREWIRE_DATABASE_URL is set, else the
 * SQLite file in the data directory. `file` names it in messages (never the URL's password).
 * Also for commands that only need the store (`hirewire token`), without the key checks.
 */
export async function openStore(
  config: Pick<ServiceConfig, "dataDir" | "databaseUrl" | "databasePool">,
  cipher: Awaited<ReturnType<typeof openCipher>>,
  logger?: Pick<Logger, "warn">,
): Promise<{ store: Store; file: string }> {
  if (config.databaseUrl === undefined) {
    const file = join(config.dataDir, "hirewire.sqlite");
    return { store: await openSqliteStore({ file, cipher }), file };
  }
  const store = await openPostgresStore({
    url: config.databaseUrl,
    cipher,
    max: config.databasePool ?? 10,
    onConnectionError: (error) =>
      logger?.warn({ err: { message: (error as Error)?.message } }, "a database connection failed"),
  });
  return { store, file: describeDatabase(config.databaseUrl) };
}
