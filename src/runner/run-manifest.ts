// Running a manifest in this process, start to end: the library's `runManifest` and the CLI's
// `run`/`resume`. Waits sleep on a timer (no thread is held); checkpoints go to a callback (the
// CLI writes them to --state). The service drives runs through the same driver with a store.
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { ErrorInfo } from "../errors/index.ts";
import { DiskFileStore, type FileStore } from "../files/index.ts";
import { sendAttempt, type AddressCheck } from "../http/index.ts";
import { validated } from "./prepared-manifest.ts";
import type { JsonValue, Manifest, ValidationProblem } from "../manifest/types.ts";
import { createRunState } from "../engine/machine.ts";
import { describeRunStateProblem, parseRunState } from "../engine/parse-run-state.ts";
import { preflight } from "../engine/preflight.ts";
import type { EngineOptions, RunBlock, RunContext, RunEvent, RunState } from "../engine/types.ts";
import { generatedSecretIds, secretsToMask } from "../engine/variables.ts";
import { Redactor } from "../redact/index.ts";
import type { AttemptRecord } from "./attempt-record.ts";
import { driveRun, maskState, type Checkpoint } from "./drive.ts";
import { generateValues } from "./generate.ts";
import { unmaskHeldStored } from "./stored-secrets.ts";
import type { NotificationResult, NotifyConfig } from "../notify/index.ts";

export interface RunInputs {
  /** The hire's props (email, first_name, …: docs/manifest.md, Words). */
  hire: Record<string, JsonValue>;
  /** The hire's stored fields from earlier runs. */
  stored?: Record<string, JsonValue>;
  /**
   * Secret values among the stored fields, masked as `***stored.NAME***` (the service passes
   * those of fields it keeps encrypted; see `storedSecretEntries`).
   */
  storedSecrets?: Array<{ name: string; value: string }>;
  secrets?: Record<string, string>;
  oauth?: Record<string, JsonValue>;
  params?: Record<string, JsonValue>;
  redirectUrl?: string;
}

export interface RunOptions extends RunInputs {
  runId?: string;
  /** The manifest block to run (default `execute`). */
  block?: RunBlock;
  /** New OAuth tokens (after `oauth` or a refresh): persist them somewhere safe. */
  onOAuthTokens?: (tokens: Record<string, JsonValue>) => void | Promise<void>;
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
export async function runManifest(manifestInput: unknown, options: RunOptions): Promise<RunResult> {
  const validation = validated(manifestInput);
  const runId = options.runId ?? randomUUID();
  if (!validation.ok) return invalid(runId, validation.problems);
  const ctx = contextFor(validation.manifest, options);
  const check = preflight(ctx);
  if (check.problems.length > 0) return invalid(runId, check.problems);
  const state = createRunState(runId, generateValues(generatedSecretIds(ctx)));
  return drive(
    ctx,
    state,
    { type: "start", now: Date.now() },
    options,
    validation.warnings.map((w) => `${w.path}: ${w.message}`),
  );
}

/** Continues a failed, blocked or interrupted run from its failed step, reusing what earlier steps produced. */
export async function resumeRun(
  manifestInput: unknown,
  state: RunState,
  options: RunOptions,
): Promise<RunResult> {
  const validation = validated(manifestInput);
  const runId = typeof state?.runId === "string" ? state.runId : (options.runId ?? randomUUID());
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
  const ctx = contextFor(validation.manifest, {
    ...options,
    storedSecrets: [...(options.storedSecrets ?? []), ...held.storedSecrets],
  });
  const event: RunEvent =
    state.status === "failed" || state.status === "blocked"
      ? { type: "resume", now: Date.now() }
      : { type: "recover", now: Date.now() };
  const missing = Object.keys(held.missing);
  if (missing.length === 0) return drive(ctx, held.state, event, options, []);
  const warnings = missing.map(
    (name) =>
      `stored field ${name} held a secret, so it was saved masked; give its value in the "stored" object of the state file for a step to use it`,
  );
  // The masked fields stay in what is saved and shown, as they were; they are never sent.
  const keep = (saved: RunState): RunState => ({
    ...saved,
    stored: { ...held.missing, ...saved.stored },
  });
  const onCheckpoint = options.onCheckpoint;
  const result = await drive(
    ctx,
    held.state,
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

/** The engine's context for running `manifest` with these inputs. */
export function contextFor(
  manifest: Manifest,
  options: RunInputs & Pick<RunOptions, "engine" | "block">,
): RunContext {
  const ctx: RunContext = {
    manifest,
    hire: options.hire,
    hireStored: options.stored ?? {},
    secrets: options.secrets ?? {},
    params: options.params ?? {},
  };
  if (options.oauth !== undefined) ctx.oauth = options.oauth;
  if (options.storedSecrets !== undefined) ctx.storedSecrets = options.storedSecrets;
  if (options.redirectUrl !== undefined) ctx.redirectUrl = options.redirectUrl;
  if (options.engine !== undefined) ctx.options = options.engine;
  if ("block" in options && options.block !== undefined) ctx.block = options.block;
  return ctx;
}

async function drive(
  ctx: RunContext,
  state: RunState,
  event: RunEvent,
  options: RunOptions,
  warnings: string[],
): Promise<RunResult> {
  const redactor = new Redactor(secretsToMask(ctx, state.generated));
  for (const name of redactor.tooShort)
    warnings.push(`secret ${name} is shorter than 4 characters and cannot be masked in output`);
  const files: FileStore = new DiskFileStore(options.filesDir ?? (await defaultFilesDir()));
  const attempts: AttemptRecord[] = [];
  const storedByRun: Record<string, JsonValue> = { ...state.stored };
  const result = await driveRun(
    {
      ctx,
      redactor,
      now: () => Date.now(),
      send: (request) =>
        sendAttempt(request, {
          files,
          runId: state.runId,
          holdsSecret: (text) => redactor.holdsSecret(text),
          ...(options.maxBodyBytes !== undefined ? { maxBodyBytes: options.maxBodyBytes } : {}),
          ...(options.maxFileBytes !== undefined ? { maxFileBytes: options.maxFileBytes } : {}),
          ...(options.signal !== undefined ? { signal: options.signal } : {}),
          ...(options.checkAddress !== undefined ? { checkAddress: options.checkAddress } : {}),
        }),
      checkpoint: async (checkpoint) => {
        if (checkpoint.attempt !== undefined) attempts.push(checkpoint.attempt);
        if (checkpoint.stored !== undefined) Object.assign(storedByRun, checkpoint.stored.fields);
        await options.onCheckpoint?.(checkpoint);
      },
      wait: async (until, reason, current) => {
        if (options.onWait !== undefined)
          options.onWait(until, reason, maskState(current, redactor));
        const delay = until - Date.now();
        if (delay > 0)
          await sleep(
            delay,
            undefined,
            options.signal !== undefined ? { signal: options.signal } : undefined,
          ).catch(() => undefined);
        return options.signal?.aborted !== true;
      },
      cancelled: () => options.signal?.aborted === true,
      ...(options.notify !== undefined ? { notify: options.notify } : {}),
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
      ...(options.onOAuthTokens !== undefined ? { onOAuthTokens: options.onOAuthTokens } : {}),
      ...(options.onAttempt !== undefined ? { onAttempt: options.onAttempt } : {}),
    },
    state,
    event,
  );
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
    runId: state.runId,
    status,
    warnings,
    stored: redactor.redact(storedByRun),
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
  const ctx = contextFor(validation.manifest, inputs);
  const redactor = new Redactor(secretsToMask(ctx, {}));
  const plan = preflight(ctx);
  for (const value of plan.derived) redactor.add(value.name, value.value);
  const warnings = validation.warnings.map((w) => `${w.path}: ${w.message}`);
  for (const name of redactor.tooShort)
    warnings.push(`secret ${name} is shorter than 4 characters and cannot be masked in output`);
  return redactor.redact({
    status: plan.problems.length > 0 ? "invalid" : "dry-run",
    steps: plan.steps,
    problems: plan.problems,
    warnings,
  });
}
