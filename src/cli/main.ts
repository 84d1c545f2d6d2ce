// The `hirewire` command: a thin shell over the runner. Parses arguments, reads input files,
// prints results, and maps outcomes to exit codes scripts can use. Each command's module is
// imported when that command runs, so `hirewire run` never loads the service (hono, the store,
// pino) and starts about as fast as a plain node script: keep the static imports below light.
import { Command, CommanderError, Option } from "commander";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { HirewireError, toErrorInfo } from "../errors/index.ts";
import { EXIT, exitCodeFor } from "./exit-codes.ts";
import { withHireInputs, withParams } from "./input-options.ts";
import { existsCommandDefinition } from "./exists-command.ts";
import { migrateCommandDefinition } from "./migrate-command.ts";
import { revokeCommandDefinition } from "./revoke-command.ts";
import { tokenCommandDefinition } from "./token-command.ts";

// dist/cli/main.js and src/cli/main.ts both sit two folders below the package root.
const { version } = JSON.parse(
  readFileSync(new URL("../../package.json", import.meta.url), "utf8"),
) as { version: string };

// `hirewire --help | head`: the reader went away, which is no error of ours (no stack trace).
for (const stream of [process.stdout, process.stderr])
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });

const program = new Command();
program
  .name("hirewire")
  .description("Run ChiefOnboarding integration manifests: validate, run for one hire, resume.")
  .version(version, "-V, --version", "print the hirewire version")
  .showHelpAfterError()
  .addHelpText(
    "after",
    `
Exit codes:
  0  succeeded (or: manifest valid)
  1  the run failed
  2  the run is blocked (a continue_if did not match)
  3  invalid manifest or inputs, or a usage error; nothing was sent
  4  exists: the hire has no account
  5  exists: unknown (the check's request failed)

Examples:
  hirewire validate examples/*-*.json
  hirewire run examples/create-account.json --hire examples/hire.json --secrets examples/secrets.example.json --dry-run
  hirewire run manifest.json --hire hire.json --secrets .env --state run.json
  hirewire resume run.json --secrets .env`,
  );

program
  .command("validate")
  .description("check manifests; every problem is printed with its JSON path")
  .argument("<manifest...>", "manifest files (JSON)")
  .option("--json", "print one JSON object: {valid, files: [{file, valid, problems}]}")
  .action(async (files: string[], options: { json?: boolean }) => {
    const { validateCommand } = await import("./validate-command.ts");
    process.exitCode = await validateCommand(files, options);
  });

withHireInputs(
  program
    .command("run")
    .description("run a manifest's execute block for one hire")
    .argument("<manifest>", "manifest file (JSON)"),
)
  .option("--dry-run", "render every step and report unknown variables; send nothing")
  .option("--json", "print one JSON object with status, error, stored and every attempt")
  .option("--files-dir <dir>", "where run files (save_as_file) are kept")
  .option("--state <file>", "save the run state here after every attempt, for `hirewire resume`")
  .addOption(new Option("--timeout <seconds>", "default per-attempt timeout").argParser(Number))
  .action(async (manifest: string, options) => {
    const { runCommand } = await import("./run-command.ts");
    process.exitCode = await runCommand(resolve(manifest), options);
  });

program
  .command("resume")
  .description(
    "continue a failed, blocked or killed run from its failed step (secrets are given again)",
  )
  .argument("<state>", "state file written by `hirewire run --state`")
  .option("--secrets <file>", "the same secrets file the run was started with")
  .option("--json", "print one JSON object with status, error, stored and every attempt")
  .action(async (state: string, options) => {
    const { resumeCommand } = await import("./run-command.ts");
    process.exitCode = await resumeCommand(resolve(state), options);
  });

withParams(program.command("sync"))
  .description(
    "run a sync-users manifest and list the users it finds (a preview: nothing is applied)",
  )
  .argument("<manifest>", "sync-users manifest file (JSON)")
  .option("--secrets <file>", "secrets as a JSON object or a .env file")
  .option("--json", "print one JSON object: {status, action, pages, users, skipped, error?}")
  .option("--files-dir <dir>", "where run files (save_as_file) are kept")
  .addHelpText(
    "after",
    "\nThe CLI keeps no hires, so it cannot create or update any: it shows who the sync found.\nTo apply a sync, use the service (POST /api/integrations/{id}/sync, then .../apply) or a `schedule`.",
  )
  .action(async (manifest: string, options) => {
    const { syncCommand } = await import("./sync-command.ts");
    process.exitCode = await syncCommand(resolve(manifest), options);
  });

program.addCommand(revokeCommandDefinition());
program.addCommand(existsCommandDefinition());
program.addCommand(tokenCommandDefinition());
program.addCommand(migrateCommandDefinition());

program
  .command("serve")
  .description(
    "run the service: HTTP API, durable runs on the embedded SQLite store (or PostgreSQL), sandbox",
  )
  .option("--port <port>", "port to listen on (env PORT, default 8787)")
  .option("--host <host>", "address to listen on (env HOST, default 127.0.0.1)")
  .option("--data <dir>", "data directory (env HIREWIRE_DATA, default ./data)")
  .option(
    "--concurrency <n>",
    "runs driven at once by this process (env HIREWIRE_CONCURRENCY, default 100)",
  )
  .option(
    "--no-worker",
    "API and web UI only: drive no runs and start no scheduled syncs here (run `hirewire worker` elsewhere)",
  )
  .addHelpText(
    "after",
    `
Environment:
  HIREWIRE_DATA                 data directory (SQLite file, secret key, run files); default ./data
  HIREWIRE_DATABASE_URL         postgres://USER:PASSWORD@HOST:5432/DB: keep the store in PostgreSQL,
                                shared by every process given the same URL (default: SQLite file)
  HIREWIRE_DATABASE_POOL        PostgreSQL connections per process (default 10)
  HIREWIRE_FILES_DIR            keep run files in this folder (default: DATA/files, or the database
                                with PostgreSQL)
  PORT, HOST                    where to listen; default 127.0.0.1:8787
  HIREWIRE_ADMIN_TOKEN          an admin API token, valid while the variable holds it (a new value
                                replaces the old one); tokens: \`hirewire token --help\`
  HIREWIRE_SECRET_KEY           base64 AES-256 key for secrets instead of DATA/secret.key
  HIREWIRE_FILE_RETENTION_DAYS  days run files are kept (default 7; "forever" keeps them)
  HIREWIRE_PUBLIC_URL           URL the service is reached at (OAuth callbacks)
  HIREWIRE_LEASE_MS             how soon runs of a crashed process are taken over (default 60000)
  HIREWIRE_CONCURRENCY          runs driven at once by this process (default 100)
  HIREWIRE_SANDBOX=off          do not mount the sandbox API or seed example integrations
  LOG_LEVEL                     pino log level (default info)`,
  )
  .action(async (options) => {
    const { serveCommand } = await import("./serve-command.ts");
    await serveCommand(options);
  });

program
  .command("worker")
  .description(
    "drive runs and start scheduled syncs from the shared store, with no HTTP API (beside `hirewire serve --no-worker`)",
  )
  .option(
    "--data <dir>",
    "data directory (env HIREWIRE_DATA, default ./data): secret key, run files, SQLite file",
  )
  .option(
    "--concurrency <n>",
    "runs driven at once by this process (env HIREWIRE_CONCURRENCY, default 100)",
  )
  .option(
    "--metrics-port <port>",
    "serve /metrics and /healthz on this port (env HIREWIRE_METRICS_PORT; default: none)",
  )
  .addHelpText(
    "after",
    `
Environment: as for \`hirewire serve\` (HIREWIRE_DATABASE_URL, HIREWIRE_SECRET_KEY, HIREWIRE_LEASE_MS,
HIREWIRE_CONCURRENCY, HIREWIRE_PUBLIC_URL for OAuth redirect URLs, …), plus
  HIREWIRE_METRICS_PORT         serve /metrics and /healthz on HOST:PORT (0 picks a free port)`,
  )
  .action(async (options) => {
    const { workerCommand } = await import("./worker-command.ts");
    await workerCommand(options);
  });

// A usage error (a missing --hire, an unknown command or option) sent nothing: exit 3 as for any
// invalid input, not commander's 1, which means "the run failed" here.
for (const command of [program, ...program.commands]) command.exitOverride();

// Not a top-level await: the CLI also runs as one CommonJS bundle (scripts/bundle-cli.js).
void (async () => {
  try {
    await program.parseAsync(process.argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander has printed the message (or the help, or the version) already.
      process.exitCode = error.exitCode === 0 ? EXIT.succeeded : EXIT.invalid;
    } else {
      const info = toErrorInfo(error);
      process.stderr.write(`hirewire: ${info.message}\n`);
      process.exitCode = error instanceof HirewireError ? exitCodeFor(info.code) : EXIT.failed;
    }
  }
})();
