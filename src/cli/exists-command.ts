// `hirewire exists MANIFEST --hire H`: runs the manifest's `exists` block for one hire and says
// whether the hire has an account — true, false or unknown, with the reason — in words and in the
// exit code, so a script can branch on it.
import { problem } from "../errors/index.ts";
import { withHireInputs } from "./input-options.ts";
import { resolve } from "node:path";
import { Command, Option } from "commander";
import type { ExistsAnswer } from "../engine/exists-result.ts";
import { withFilesDir } from "./run-files.ts";
import { EXIT } from "./exit-codes.ts";
import { runResultJson } from "./json-output.ts";
import { describeFailure, HumanOutput } from "./human-output.ts";
import { parseParams, readHire, readSecrets, readText } from "./inputs.ts";

/** Exit codes of `hirewire exists`: 0/4/5 answer the question; 1 and 3 as for `run`. */
const EXISTS_EXIT = Object.freeze({
  exists: 0,
  failed: EXIT.failed,
  invalid: EXIT.invalid,
  missing: 4,
  unknown: 5,
});

export interface ExistsCommandOptions {
  hire: string;
  secrets?: string;
  param: string[];
  json?: boolean;
  timeout?: number;
}

/** Runs the check and prints it; returns the exit code. */
async function existsCommand(manifestPath: string, options: ExistsCommandOptions): Promise<number> {
  // Imported here, not at the top: main.ts loads this file for the command's definition alone.
  const { parseManifest } = await import("../manifest/index.ts");
  const { preparedFrom, runManifest } = await import("../runner/index.ts");
  const out = new HumanOutput();
  const json = options.json === true;
  const print = (value: object) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  const parsed = parseManifest(await readText(manifestPath, "manifest"));
  const problems = !parsed.ok
    ? parsed.problems
    : "exists" in parsed.manifest && parsed.manifest.exists !== undefined
      ? []
      : [
          problem(
            "VALIDATION",
            "noBlock",
            { block: "exists" },
            { path: "exists", severity: "error" },
          ),
        ];
  if (!parsed.ok || problems.length > 0) {
    if (json) print({ status: "invalid", exists: null, problems });
    else out.problems(problems, manifestPath);
    return EXISTS_EXIT.invalid;
  }
  const { hire, stored } = await readHire(options.hire);
  const secrets =
    options.secrets !== undefined ? await readSecrets(options.secrets) : { secrets: {} };
  const params = parseParams(options.param);
  // The check keeps no files: whatever it saves goes to a temporary folder removed afterwards.
  const result = await withFilesDir(undefined, (filesDir) =>
    runManifest(preparedFrom(parsed), {
      filesDir,
      block: "exists",
      hire,
      stored,
      secrets: secrets.secrets,
      params,
      ...(secrets.oauth !== undefined ? { oauth: secrets.oauth } : {}),
      ...(typeof params.redirect_url === "string" ? { redirectUrl: params.redirect_url } : {}),
      ...(options.timeout !== undefined
        ? { engine: { defaultTimeoutMs: options.timeout * 1000 } }
        : {}),
      ...(json ? {} : { onAttempt: (record) => out.attempt(record, 1) }),
    }),
  );
  const answer = result.result as ExistsAnswer | undefined;
  const code =
    result.status === "invalid"
      ? EXISTS_EXIT.invalid
      : result.status !== "succeeded" || answer === undefined
        ? EXISTS_EXIT.failed
        : answer.exists === true
          ? EXISTS_EXIT.exists
          : answer.exists === false
            ? EXISTS_EXIT.missing
            : EXISTS_EXIT.unknown;
  if (json) {
    const { result: _result, ...rest } = runResultJson(result);
    print({ ...rest, exists: answer?.exists ?? null, reason: answer?.reason ?? null });
    return code;
  }
  for (const warning of result.warnings) process.stdout.write(`warning: ${warning}\n`);
  if (result.status === "invalid") out.problems(result.problems ?? []);
  else if (answer === undefined)
    process.stdout.write(`exists: unknown — ${describeFailure(result.error)}\n`);
  else process.stdout.write(`exists: ${answer.exists ?? "unknown"} — ${answer.reason}\n`);
  return code;
}

/** The `exists` command, for `program.addCommand`. */
export function existsCommandDefinition(): Command {
  return withHireInputs(
    new Command("exists")
      .description("check whether a hire has an account: run the manifest's exists block")
      .argument("<manifest>", "manifest file (JSON)"),
    "a param the check's templates use; repeatable",
  )
    .option("--json", "print one JSON object with exists (true/false/null), reason and attempts")
    .addOption(new Option("--timeout <seconds>", "per-attempt timeout").argParser(Number))
    .addHelpText(
      "after",
      `
Exit codes:
  0  the hire has an account (exists: true)
  4  the hire has no account (exists: false)
  5  unknown: the request failed after its retries (exists: unknown)
  1  the check failed (e.g. its expected text could not be rendered)
  3  invalid manifest or inputs, or no exists block; nothing was sent`,
    )
    .action(async (manifest: string, options: ExistsCommandOptions) => {
      process.exitCode = await existsCommand(resolve(manifest), options);
    });
}
