// `hirewire token create|list|revoke --data DIR`: API tokens of the service's store (its data
// directory's SQLite file, or PostgreSQL when HIREWIRE_DATABASE_URL is set), also while the
// service runs and when no token works any more. A created token is
// the only thing printed on stdout, so `TOKEN=$(hirewire token create --name ci)` keeps it.
// The store and the token functions are imported when a subcommand runs: the CLI's other commands
// load this file for its definition alone.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { Command } from "commander";
import { hirewireError } from "../errors/index.ts";
import type { Store } from "../store/index.ts";
import type { ApiTokenRecord } from "../store/records.ts";

interface DataOption {
  data?: string;
}

/**
 * The store the service is configured with: PostgreSQL when HIREWIRE_DATABASE_URL is set (as for
 * `serve` and `worker`), else the SQLite file in the data directory, which must exist.
 */
async function withStore<T>(options: DataOption, fn: (store: Store) => Promise<T>): Promise<T> {
  const { configFromEnv } = await import("../service/service-config.ts");
  const config = configFromEnv(process.env);
  const dataDir = options.data !== undefined ? resolve(options.data) : config.dataDir;
  if (config.databaseUrl === undefined && !existsSync(join(dataDir, "hirewire.sqlite"))) {
    throw hirewireError(
      "INPUT_INVALID",
      "noDataDir",
      {
        dir: dataDir,
        pass: "the service's --data DIR, or set HIREWIRE_DATABASE_URL when it keeps its data in PostgreSQL",
      },
      { path: "--data" },
    );
  }
  const { SecretCipher } = await import("../secrets/index.ts");
  const { openStore } = await import("../service/open-store.ts");
  // Tokens are hashes, never encrypted: a throwaway key keeps this command away from the real one.
  const { store } = await openStore({ ...config, dataDir }, new SecretCipher(randomBytes(32)));
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

function row(token: ApiTokenRecord): Record<string, string | null> {
  return {
    id: token.id,
    name: token.name,
    source: token.source,
    created_at: new Date(token.createdAt).toISOString(),
    last_used_at: token.lastUsedAt === null ? null : new Date(token.lastUsedAt).toISOString(),
  };
}

/** The `token` command and its subcommands. */
export function tokenCommandDefinition(): Command {
  const token = new Command("token").description(
    "manage the service's API tokens (create, list, revoke) in its store: the data directory, or PostgreSQL when HIREWIRE_DATABASE_URL is set",
  );
  token
    .command("create")
    .description("create an API token; prints the token alone on stdout, once")
    .requiredOption("--name <name>", "what the token is for (e.g. ci deploys)")
    .option("--data <dir>", "data directory (env HIREWIRE_DATA, default ./data)")
    .action(async (options: DataOption & { name: string }) => {
      const { issueApiToken } = await import("../service/api-tokens.ts");
      await withStore(options, async (store) => {
        const { record, token: value } = await issueApiToken(store, options.name);
        process.stderr.write(
          `Created API token ${record.id} (${record.name}); it is shown once, store it now:\n`,
        );
        process.stdout.write(`${value}\n`);
      });
    });
  token
    .command("list")
    .description("list API tokens: id, name, source, created, last used (never the tokens)")
    .option("--data <dir>", "data directory (env HIREWIRE_DATA, default ./data)")
    .option("--json", "print one JSON object: {items: [...]}")
    .action(async (options: DataOption & { json?: boolean }) => {
      await withStore(options, async (store) => {
        const items = (await store.listApiTokens()).map(row);
        if (options.json === true) {
          process.stdout.write(`${JSON.stringify({ items }, null, 2)}\n`);
          return;
        }
        for (const item of items) {
          process.stdout.write(
            `${item.id}  ${item.name}  (${item.source})  created ${item.created_at}  last used ${item.last_used_at ?? "never"}\n`,
          );
        }
        if (items.length === 0) process.stdout.write("no API tokens\n");
      });
    });
  token
    .command("revoke")
    .description("revoke an API token at once (by id, or by name when only one has it)")
    .argument("<id-or-name>", "the token's id (tok_…) or its name")
    .option("--data <dir>", "data directory (env HIREWIRE_DATA, default ./data)")
    .action(async (idOrName: string, options: DataOption) => {
      const { revokeApiToken } = await import("../service/api-tokens.ts");
      await withStore(options, async (store) => {
        const record = await revokeApiToken(store, idOrName);
        process.stdout.write(`revoked ${record.id} (${record.name})\n`);
        if (record.source === "env")
          process.stdout.write(
            "it was HIREWIRE_ADMIN_TOKEN: set the variable to a new value before the next start\n",
          );
      });
    });
  return token;
}
