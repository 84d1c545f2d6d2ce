// The `hirewire` command: a thin shell over the runner. Parses arguments, reads input files,
// prints results, and maps outcomes to exit codes scripts can use.
import { Command, Option } from "commander";
import { resolve } from "node:path";
import { HirewireError, toErrorInfo } from "../errors/index.ts";
import { EXIT, exitCodeFor } from "./exit-codes.ts";
import { validateCommand } from "./validate-command.ts";
import { resumeCommand, runCommand } from "./run-command.ts";

const program = new Command();
program
  .name("hirewire")
  .description("Run ChiefOnboarding integration manifests: validate, run for one hire, resume.")
  .showHelpAfterError()
  .addHelpText(
    "after",
    `
Exit codes:
  0  succeeded (or: manifest valid)
  1  the run failed
  2  the run is blocked (a continue_if did not match)
  3  invalid manifest or inputs; nothing was sent

Examples:
  hirewire validate examples/*.json
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
    process.exitCode = await validateCommand(files, options);
  });

const collect = (value: string, previous: string[]) => [...previous, value];

program
  .command("run")
  .description("run a manifest's execute block for one hire")
  .argument("<manifest>", "manifest file (JSON)")
  .requiredOption(
    "--hire <file>",
    'the hire\'s props as JSON, with an optional "stored" object of stored fields',
  )
  .option(
    "--secrets <file>",
    'secrets as a JSON object (id → value; "oauth": {...} for oauth.*) or a .env file',
  )
  .option("--param <KEY=VALUE>", "a run param (form answer); repeatable", collect, [])
  .option("--dry-run", "render every step and report unknown variables; send nothing")
  .option("--json", "print one JSON object with status, error, stored and every attempt")
  .option("--files-dir <dir>", "where run files (save_as_file) are kept")
  .option("--state <file>", "save the run state here after every attempt, for `hirewire resume`")
  .addOption(new Option("--timeout <seconds>", "default per-attempt timeout").argParser(Number))
  .action(async (manifest: string, options) => {
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
    process.exitCode = await resumeCommand(resolve(state), options);
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  const info = toErrorInfo(error);
  process.stderr.write(`hirewire: ${info.message}\n`);
  process.exitCode = error instanceof HirewireError ? exitCodeFor(info.code) : EXIT.failed;
}
