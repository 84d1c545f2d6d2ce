// `hirewire migrate --from DATA_DIR --to postgres://…`: moves an embedded installation's store (the
// SQLite file) into an empty PostgreSQL database or schema, then prints what it copied. The copy
// itself lives in the store (store/copy-store.ts); this file parses options and prints. The
// database is only ever named by host, port and name: the URL's password is never printed.
import { join, resolve } from "node:path";
import { existsSync } from "node:fs";
import { Command } from "commander";
import { hirewireError } from "../errors/index.ts";

interface MigrateOptions {
  from?: string;
  to?: string;
  json?: boolean;
}

/** The --to URL, or HIREWIRE_DATABASE_URL; never echoed (it may carry a password). */
function targetUrl(options: MigrateOptions): string {
  const url = options.to ?? process.env.HIREWIRE_DATABASE_URL ?? "";
  let protocol: string | undefined;
  try {
    protocol = new URL(url).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol !== "postgres:" && protocol !== "postgresql:")
    throw url === ""
      ? hirewireError("INPUT_INVALID", "noPostgresTarget", {}, { path: "--to" })
      : hirewireError("INPUT_INVALID", "notPostgresUrl", { name: "--to" }, { path: "--to" });
  return url;
}

function sourceFile(options: MigrateOptions): string {
  const dir = resolve(options.from ?? process.env.HIREWIRE_DATA ?? "data");
  const file = join(dir, "hirewire.sqlite");
  if (!existsSync(file))
    throw hirewireError(
      "INPUT_INVALID",
      "noDataDir",
      { dir, pass: "the service's data directory as --from DIR" },
      { path: "--from" },
    );
  return file;
}

async function migrateCommand(options: MigrateOptions): Promise<void> {
  const file = sourceFile(options);
  const url = targetUrl(options);
  const { copySqliteToPostgres } = await import("../store/copy-store.ts");
  const result = await copySqliteToPostgres({ file, url });
  if (options.json === true) {
    process.stdout.write(
      `${JSON.stringify({ from: file, to: result.where, schema: result.schema, counts: result.counts, missing_files: result.missingFiles }, null, 2)}\n`,
    );
    return;
  }
  const width = Math.max(...Object.keys(result.counts).map((table) => table.length));
  process.stdout.write(`Copied ${file}\n    to the ${result.where}, schema ${result.schema}:\n`);
  for (const [table, rows] of Object.entries(result.counts))
    process.stdout.write(`  ${table.padEnd(width)}  ${rows}\n`);
  if (result.missingFiles.length > 0)
    process.stdout.write(
      `${result.missingFiles.length} run file${result.missingFiles.length === 1 ? " was" : "s were"} listed but no longer in DATA/files, so not copied: ${result.missingFiles.join(", ")}\n`,
    );
  process.stdout.write(
    "Run files were copied into the database. Secrets were copied still encrypted: start the\n" +
      "service on PostgreSQL with the same secret key (DATA/secret.key or HIREWIRE_SECRET_KEY).\n",
  );
}

/** The `migrate` command. */
export function migrateCommandDefinition(): Command {
  return new Command("migrate")
    .description("copy a data directory's SQLite store into an empty PostgreSQL database")
    .option("--from <dir>", "data directory to copy (env HIREWIRE_DATA, default ./data)")
    .option(
      "--to <url>",
      "postgres://USER:PASSWORD@HOST:5432/DB to copy into (env HIREWIRE_DATABASE_URL)",
    )
    .option("--json", "print one JSON object: {from, to, schema, counts}")
    .addHelpText(
      "after",
      `
Copies integrations, secrets (still encrypted: nothing is decrypted), hires, stored fields,
runs and attempts, run files (streamed from DATA/files into the database, where the service
on PostgreSQL keeps them), API tokens and settings, in one transaction: on any failure nothing
is kept and the command can be run again. A database (or the URL's search_path schema) that
already holds hirewire data is refused. Stop the service first. The key stays in
DATA/secret.key: start the service with HIREWIRE_DATABASE_URL and the same key. The URL's password is never printed; give the URL in
HIREWIRE_DATABASE_URL instead of --to to keep it out of the process list.

Example:
  hirewire migrate --from ./data --to 'postgres://hirewire:PASSWORD@db.internal:5432/hirewire'`,
    )
    .action(async (options: MigrateOptions) => {
      await migrateCommand(options);
    });
}
