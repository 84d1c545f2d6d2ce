// `hirewire run` and `hirewire resume`: read inputs, drive the run in this process, print.
import { problem } from "../errors/index.ts";
import { parseManifest } from "../manifest/index.ts";
import type { ValidationProblem } from "../manifest/types.ts";
import {
  dryRun,
  preparedFrom,
  resumeRun,
  runManifest,
  type RunOptions,
  type RunResult,
} from "../runner/index.ts";
import { exitCodeForStatus, EXIT } from "./exit-codes.ts";
import { HumanOutput } from "./human-output.ts";
import { dryRunJson, runResultJson } from "./json-output.ts";
import { oauthWriteBack } from "./oauth-write-back.ts";
import { parseParams, readHire, readSecrets, readText } from "./inputs.ts";
import { filesLine, runFilesDir, savedFileNames, withFilesDir } from "./run-files.ts";
import {
  manifestDigest,
  readStateFile,
  recordedFilesDir,
  STATE_FORMAT,
  writeStateFile,
  type StateFile,
} from "./state-file.ts";
import { STATE_VERSION, type RunBlock } from "../engine/types.ts";
import { blockSteps } from "../engine/blocks.ts";
import { notifyConfigFromEnv } from "../notify/index.ts";

export interface RunCommandOptions {
  hire: string;
  secrets?: string;
  param: string[];
  dryRun?: boolean;
  json?: boolean;
  filesDir?: string;
  state?: string;
  timeout?: number;
  /** The block to run (default `execute`); `hirewire revoke` runs `revoke`. */
  block?: "execute" | "revoke";
}

export async function runCommand(
  manifestPath: string,
  options: RunCommandOptions,
): Promise<number> {
  const out = new HumanOutput();
  const parsed = parseManifest(await readText(manifestPath, "manifest"));
  if (!parsed.ok) return printInvalid(out, parsed.problems, manifestPath, options.json);
  // Validated once, here: the runner takes the prepared manifest as it is.
  const prepared = preparedFrom(parsed);
  const block = options.block ?? "execute";
  const stepCount = blockSteps({ manifest: parsed.manifest, block }).length;
  if (stepCount === 0) return printInvalid(out, [noBlock(block)], manifestPath, options.json);
  const { hire, stored } = await readHire(options.hire);
  const secrets =
    options.secrets !== undefined ? await readSecrets(options.secrets) : { secrets: {} };
  const params = parseParams(options.param);
  const inputs = {
    hire,
    stored,
    secrets: secrets.secrets,
    params,
    ...(secrets.oauth !== undefined ? { oauth: secrets.oauth } : {}),
    ...(typeof params.redirect_url === "string" ? { redirectUrl: params.redirect_url } : {}),
    ...(block !== "execute" ? { block } : {}),
  };

  if (options.dryRun === true) {
    const result = dryRun(prepared, inputs);
    if (options.json === true) {
      process.stdout.write(`${JSON.stringify(dryRunJson(result), null, 2)}\n`);
    } else {
      for (const step of result.steps) {
        process.stdout.write(
          `step ${step.index + 1}${step.name !== undefined ? ` ${JSON.stringify(step.name)}` : ""}: ${step.request.method} ${step.request.url}\n`,
        );
        for (const [name, value] of step.request.headers)
          process.stdout.write(`  ${name}: ${value}\n`);
        if (step.request.body.kind === "text")
          process.stdout.write(`  body: ${step.request.body.text}\n`);
        if (step.request.body.kind === "multipart")
          process.stdout.write(
            `  multipart: fields ${JSON.stringify(step.request.body.fields.map((f) => f.name))}, files ${JSON.stringify(step.request.body.files.map((f) => `${f.field}=${f.file.name}`))}\n`,
          );
      }
      for (const warning of result.warnings) process.stdout.write(`warning: ${warning}\n`);
      out.problems(result.problems);
      process.stdout.write(
        result.status === "dry-run"
          ? "dry run: nothing was sent\n"
          : "dry run found problems: nothing would be sent\n",
      );
    }
    return exitCodeForStatus(result.status);
  }

  const givenFilesDir =
    options.filesDir ?? (options.state !== undefined ? `${options.state}.files` : undefined);
  // Checked before the folder is made: resume only ever writes inside the state file's folder.
  const base: Omit<StateFile, "state"> | undefined =
    options.state !== undefined
      ? {
          format: STATE_FORMAT,
          version: STATE_VERSION,
          manifestPath,
          manifest: parsed.manifest,
          manifestDigest: manifestDigest(parsed.manifest),
          ...(block !== "execute" ? { block } : {}),
          hire,
          stored,
          params,
          filesDir: recordedFilesDir(options.state, givenFilesDir!),
        }
      : undefined;
  return withFilesDir(givenFilesDir, async (filesDir, kept) => {
    const started = Date.now();
    const result = await runManifest(prepared, {
      notify: notifyConfigFromEnv(process.env),
      ...inputs,
      ...oauthWriteBack(options.secrets, secrets.oauth !== undefined),
      filesDir,
      ...(options.timeout !== undefined
        ? { engine: { defaultTimeoutMs: options.timeout * 1000 } }
        : {}),
      ...hooks(
        out,
        options.json === true,
        stepCount,
        base !== undefined
          ? (state) => writeStateFile(options.state!, { ...base, state })
          : undefined,
      ),
    });
    return finish(out, result, options.json === true, started, { filesDir, kept });
  });
}

export async function resumeCommand(
  statePath: string,
  options: { secrets?: string; json?: boolean },
): Promise<number> {
  const out = new HumanOutput();
  const { file, manifest, prepared, filesDir } = await readStateFile(statePath);
  if (file.state.status === "succeeded") {
    process.stdout.write(
      options.json === true
        ? `${JSON.stringify({ run_id: file.state.runId, status: "succeeded", stored: file.state.stored, note: "already succeeded; nothing to resume" })}\n`
        : `run ${file.state.runId} already succeeded; nothing to resume\n`,
    );
    return EXIT.succeeded;
  }
  const secrets =
    options.secrets !== undefined ? await readSecrets(options.secrets) : { secrets: {} };
  const block = file.block ?? "execute";
  const stepCount = blockSteps({ manifest, block }).length;
  const started = Date.now();
  const result = await resumeRun(prepared, file.state, {
    notify: notifyConfigFromEnv(process.env),
    hire: file.hire,
    stored: file.stored,
    params: file.params,
    ...(block !== "execute" ? { block } : {}),
    secrets: secrets.secrets,
    ...(secrets.oauth !== undefined ? { oauth: secrets.oauth } : {}),
    ...oauthWriteBack(options.secrets, secrets.oauth !== undefined),
    filesDir,
    ...hooks(out, options.json === true, stepCount, (state) =>
      writeStateFile(statePath, { ...file, state }),
    ),
  });
  return finish(out, result, options.json === true, started, { filesDir, kept: true });
}

function hooks(
  out: HumanOutput,
  json: boolean,
  stepCount: number,
  save: ((state: RunResult["state"]) => Promise<void>) | undefined,
): Partial<RunOptions> {
  const hooks: Partial<RunOptions> = {};
  if (save !== undefined) hooks.onCheckpoint = (checkpoint) => save(checkpoint.state);
  if (!json) {
    hooks.onAttempt = (record) => out.attempt(record, stepCount);
    hooks.onWait = (until, reason, state) => out.waiting(until, reason, state.lastOutcome);
  }
  return hooks;
}

function finish(
  out: HumanOutput,
  result: RunResult,
  json: boolean,
  started: number,
  files: { filesDir: string; kept: boolean },
): number {
  const saved = savedFileNames(result).length > 0;
  if (json) {
    const where =
      saved && files.kept ? { filesDir: runFilesDir(files.filesDir, result.runId) } : {};
    process.stdout.write(`${JSON.stringify(runResultJson(result, where), null, 2)}\n`);
  } else {
    out.result(result, Date.now() - started);
    process.stdout.write(filesLine(result, files.filesDir, files.kept));
  }
  return exitCodeForStatus(result.status);
}

/** A block the manifest does not have: nothing to run, said like a validation problem. */
function noBlock(block: RunBlock): ValidationProblem {
  return { ...problem("VALIDATION", "noBlock", { block }), path: block, severity: "error" };
}

function printInvalid(
  out: HumanOutput,
  problems: Parameters<HumanOutput["problems"]>[0],
  file: string,
  json: boolean | undefined,
): number {
  if (json === true)
    process.stdout.write(`${JSON.stringify({ status: "invalid", problems }, null, 2)}\n`);
  else out.problems(problems, file);
  return EXIT.invalid;
}
