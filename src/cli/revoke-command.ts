// `hirewire revoke MANIFEST --hire H`: runs the manifest's `revoke` steps (offboarding) exactly
// as `hirewire run` runs `execute` — same inputs, output, --state and `hirewire resume`.
import { resolve } from "node:path";
import { Command, Option } from "commander";
import { withHireInputs } from "./input-options.ts";
import type { RunCommandOptions } from "./run-command.ts";

/** The `revoke` command, for `program.addCommand`. */
export function revokeCommandDefinition(): Command {
  return withHireInputs(
    new Command("revoke")
      .description("remove a hire's access: run the manifest's revoke steps for one hire")
      .argument("<manifest>", "manifest file (JSON)"),
    "a run param; repeatable",
  )
    .option("--dry-run", "render every revoke step and report unknown variables; send nothing")
    .option("--json", "print one JSON object with status, error, stored and every attempt")
    .option("--files-dir <dir>", "where run files (save_as_file) are kept")
    .option("--state <file>", "save the run state here after every attempt, for `hirewire resume`")
    .addOption(new Option("--timeout <seconds>", "default per-attempt timeout").argParser(Number))
    .addHelpText(
      "after",
      `
Exit codes as for \`hirewire run\`: 0 succeeded, 1 a step failed (its status_code or expected
was not met), 2 blocked, 3 invalid manifest or inputs, or no revoke block; nothing was sent.`,
    )
    .action(async (manifest: string, options: Omit<RunCommandOptions, "block">) => {
      const { runCommand } = await import("./run-command.ts");
      process.exitCode = await runCommand(resolve(manifest), { ...options, block: "revoke" });
    });
}
