// Running a manifest in this process, start to end: the library's `runManifest` and the CLI's
// `run`/`resume`. Waits sleep on a timer (no thread is held); checkpoints go to a callback (the
// CLI writes them to --state). The service drives runs through the same driver with a store.
import { resolve } from "node:path";
import type { ErrorInfo } from "../errors/index.ts";
import { DiskFileStore, type FileStore } from "../files/index.ts";
import type { AddressCheck } from "../http/index.ts";
import { validated, type PreparedManifest } from "./prepared-manifest.ts";
import type { JsonValue, ValidationProblem } from "../manifest/types.ts";
import { createRunState } from "../engine/machine.ts";
import { describeRunStateProblem, parseRunState } from "../engine/parse-run-state.ts";
import type { EngineOptions, RunBlock, RunEvent, RunState } from "../engine/types.ts";
import type { AttemptRecord } from "./attempt-record.ts";
import { maskState, type Checkpoint, type DriveHooks, type DriveResult } from "./drive.ts";
import { InProcessRun } from "./in-process-host.ts";
import { prepareRun, tooShortWarnings, type PreparedRun, type RunInputs } from "./lifecycle.ts";
import { newRunId } from "./run-id.ts";
import { nextState } from "../engine/state-copy.ts";
import { unmaskHeldStored } from "./stored-secrets.ts";
import type { NotificationResult, NotifyConfig } from "../notify/index.ts";
import type { Redactor } from "../redact/index.ts";

export type { RunInputs };

export interface RunOptions extends RunInputs {
  runId?: string;
  /** The manifest block to run (default `execute`). */
  block?: RunBlock;
  /** New OAuth tokens (after `oauth` or a refresh): persist them somewhere safe. */
  onOAuthTokens?: (tokens: Record<string, JsonValue>) => void | Promise<void>;
  /** One refresh at a time per integration across processes (see DriveHooks.refreshLock). */
  refreshLock?: DriveHooks["refreshLock"];
  /** Egress check for every address the run connects to (the service passes its policy). */
  checkAddress?: AddressCheck;
  /** SMTP and text settings for post_execute_notification (read at the edge: notifyConfigFromEnv). */
  notify?: NotifyConfig;
  /** Where run files are kept (default: a folder per run under the OS temp dir). */
  filesDir?: string;
  engine?: EngineOptions;
  maxBodyBytes?: number;
  maxFileBytes?: number;
  onAttempt?: (record: AttemptRecord) => void;
  onWait?: (until: number, reason: "poll" | "retry", state: RunState) => void;
  onCheckpoint?: (checkpoint: Checkpoint) => void | Promise<void>;
  signal?: AbortSignal;
}

export type RunStatusResult = "succeeded" | "failed" | "blocked" | "cancelled" | "invalid";

export interface RunResult {
  runId: string;
  status: RunStatusResult;
  /** Why the run failed or is blocked; for status "invalid", the first of `problems`. */
  error?: ErrorInfo;
  /** Validation and input problems (status "invalid"): nothing was sent. */
  problems?: Array<ErrorInfo | ValidationProblem>;
  warnings: string[];
  /** Fields stored by this run. */
  stored: Record<string, JsonValue>;
  /** What the block produced: `exists` → {exists, reason}; `sync` → {users, skipped, pages}. */
  result?: JsonValue;
  /** post_execute_notification results after a successful `execute` run (masked). */
  notifications?: NotificationResult[];
  /** Every attempt, masked, grouped by step. */
  steps: Array<{ index: number; name?: string; attempts: AttemptRecord[] }>;
  /** The final state, masked: give it to `resumeRun` to continue a failed or blocked run. */
  state: RunState;
}

/** Validates, checks inputs, then runs the manifest's `execute` block for one hire. */
export function runManifest(manifestInput: unknown, options: RunOptions): Promise<RunResult> {
  // Not an async function: a run's whole life would keep its suspended frame (and one more for
  // runPrepared) alive; thousands of runs may be waiting at once. Errors still reject.
  try {
    const validation = validated(manifestInput);
    const runId = options.runId ?? newRunId();
    if (!validation.ok) return Promise.resolve(invalid(runId, validation.problems));
    return runPrepared(validation, options, runId);
  } catch (error) {
    return Promise.reject(error as Error);
  }
}

/**
 * Runs a prepared manifest in this process from the start: prepared, refused with every problem
 * when one would stop it, else driven to its end. `files` overrides `filesDir` (the exists check
 * passes the service's file store).
 */
export function runPrepared(
  manifest: PreparedManifest,
  options: RunOptions & { files?: FileStore },
  runId: string = options.runId ?? newRunId(),
): Promise<RunResult> {
  try {
    const prepared = prepareRun(manifest, options, { runId });
    if (prepared.problems.length > 0)
      return Promise.resolve(invalid(runId, prepared.redactor.redact(prepared.problems)));
    return drive(
      prepared,
      prepared.state,
      { type: "start", now: Date.now() },
      options,
      manifest.warnings.map((w) => `${w.path}: ${w.message}`),
    );
  } catch (error) {
    return Promise.reject(error as Error);
  }
}

/** Continues a failed, blocked or interrupted run from its failed step, reusing what earlier steps produced. */
export async function resumeRun(
  manifestInput: unknown,
  state: RunState,
  options: RunOptions,
): Promise<RunResult> {
  const validation = validated(manifestInput);
  const runId = typeof state?.runId === "string" ? state.runId : (options.runId ?? newRunId());
  if (!validation.ok) return invalid(runId, validation.problems);
  // A state pointing past the block's last step would "succeed" without sending what it skipped.
  const checked = parseRunState(state, { manifest: validation.manifest, block: options.block });
  if (!checked.ok)
    return invalid(runId, [
      {
        code: "STATE_INVALID",
        message: describeRunStateProblem(checked, "state"),
        path: checked.path === "" ? "state" : `state.${checked.path}`,
      },
    ]);
  const held = unmaskHeldStored(state, options.stored ?? {});
  const prepared = prepareRun(
    validation,
    { ...options, storedSecrets: [...(options.storedSecrets ?? []), ...held.storedSecrets] },
    { resume: held.state },
  );
  const event: RunEvent =
    state.status === "failed" || state.status === "blocked"
      ? { type: "resume", now: Date.now() }
      : { type: "recover", now: Date.now() };
  const missing = Object.keys(held.missing);
  // The state as prepared: every key in the engine's order, and any a newer version wrote kept.
  if (missing.length === 0) return drive(prepared, prepared.state, event, options, []);
  const warnings = missing.map(
    (name) =>
      `stored field ${name} held a secret, so it was saved masked; give its value in the "stored" object of the state file for a step to use it`,
  );
  // The masked fields stay in what is saved and shown, as they were; they are never sent.
  const keep = (saved: RunState): RunState =>
    nextState(saved, { stored: { ...held.missing, ...saved.stored } });
  const onCheckpoint = options.onCheckpoint;
  const result = await drive(
    prepared,
    prepared.state,
    event,
    {
      ...options,
      ...(onCheckpoint !== undefined
        ? {
            onCheckpoint: (checkpoint) =>
              onCheckpoint({ ...checkpoint, state: keep(checkpoint.state) }),
          }
        : {}),
    },
    warnings,
  );
  return { ...result, stored: { ...held.missing, ...result.stored }, state: keep(result.state) };
}

function drive(
  prepared: PreparedRun,
  state: RunState,
  event: RunEvent,
  options: RunOptions & { files?: FileStore },
  warnings: string[],
): Promise<RunResult> {
  const files =
    options.files ?? (options.filesDir !== undefined ? diskFiles(options.filesDir) : undefined);
  if (files !== undefined) return driveWith(files, prepared, state, event, options, warnings);
  return defaultFilesDir().then((dir) =>
    driveWith(new DiskFileStore(dir), prepared, state, event, options, warnings),
  );
}

let lastDiskFiles: { dir: string; cwd: string; files: DiskFileStore } | undefined;

/** The file store of a folder: the last one made, while runs keep naming the same folder. */
function diskFiles(dir: string): DiskFileStore {
  const cwd = process.cwd();
  if (lastDiskFiles?.dir === dir && lastDiskFiles.cwd === cwd) return lastDiskFiles.files;
  const root = resolve(dir);
  const files =
    lastDiskFiles?.files.rootDir === root ? lastDiskFiles.files : new DiskFileStore(root);
  lastDiskFiles = { dir, cwd, files };
  return files;
}

/**
 * Drives the run with its files kept in `files`, then builds its result. Continuations rather than
 * an async function: a suspended frame per run, for its whole life, adds up over thousands of runs.
 */
function driveWith(
  files: FileStore,
  prepared: PreparedRun,
  state: RunState,
  event: RunEvent,
  options: RunOptions,
  warnings: string[],
): Promise<RunResult> {
  const redactor = prepared.redactor;
  warnings.push(...tooShortWarnings(redactor));
  // The options as the caller gave them (a copy with `files` set would be one more object of a
  // shape all its own, per run): the file store is handed over beside them.
  const run = new InProcessRun(prepared.context, redactor, state.runId, options, files);
  // What the continuation keeps for the run's whole life: not the first state, only its id.
  const runId = state.runId;
  return run
    .drive(state, event)
    .then((result) => runResult(result, runId, redactor, run.attempts, warnings));
}

/** What a drive came to, masked: status, stored fields, attempts by step, final state. */
function runResult(
  result: DriveResult,
  runId: string,
  redactor: Redactor,
  attempts: AttemptRecord[],
  warnings: string[],
): RunResult {
  const final = maskState(result.state, redactor);
  const notifications = result.notifications;
  const steps = new Map<number, RunResult["steps"][number]>();
  for (const record of attempts) {
    const entry = steps.get(record.step) ?? {
      index: record.step,
      ...(record.name !== undefined ? { name: record.name } : {}),
      attempts: [],
    };
    entry.attempts.push(record);
    steps.set(record.step, entry);
  }
  const status = result.yielded ? "cancelled" : (final.status as RunStatusResult);
  const out: RunResult = {
    runId,
    status,
    warnings,
    // The fields in the final state: those the run started with and every one it stored.
    stored: redactor.redact(result.state.stored),
    steps: [...steps.values()],
    state: final,
  };
  if (final.error !== undefined) out.error = final.error;
  if (final.result !== undefined) out.result = final.result;
  if (notifications !== undefined) out.notifications = notifications;
  return out;
}

/** A run refused before sending: every problem, and the first as `error` (what callers print). */
function invalid(runId: string, problems: Array<ErrorInfo | ValidationProblem>): RunResult {
  const first = problems[0]!;
  const { severity: _severity, ...error } = first;
  return {
    runId,
    status: "invalid",
    error,
    problems,
    warnings: [],
    stored: {},
    steps: [],
    state: createRunState(runId),
  };
}

async function defaultFilesDir(): Promise<string> {
  const { mkdtemp } = await import("node:fs/promises");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  return mkdtemp(join(tmpdir(), "hirewire-files-"));
}

export interface DryRunResult {
  status: "dry-run" | "invalid";
  steps: Array<{
    index: number;
    name?: string;
    request: import("../exchange/types.ts").RequestSpec;
  }>;
  problems: Array<ErrorInfo | ValidationProblem>;
  warnings: string[];
}

/**
 * Renders every step without sending: run-time values as placeholders, all masked
 * (docs/manifest.md, Dry-run).
 */
export function dryRun(
  manifestInput: unknown,
  inputs: RunInputs & { block?: RunBlock },
): DryRunResult {
  const validation = validated(manifestInput);
  if (!validation.ok)
    return { status: "invalid", steps: [], problems: validation.problems, warnings: [] };
  const prepared = prepareRun(validation, inputs, { plan: true });
  const warnings = [
    ...validation.warnings.map((w) => `${w.path}: ${w.message}`),
    ...tooShortWarnings(prepared.redactor),
  ];
  return prepared.redactor.redact({
    status: prepared.problems.length > 0 ? "invalid" : "dry-run",
    steps: prepared.steps,
    problems: prepared.problems,
    warnings,
  });
}
