// Where a prepared run is driven in this process (the library's `runManifest`, the CLI, the exists
// check, form choices): one sender built once from the options (files, egress, size limits,
// abort signal) and one way to wait — sleep on a timer, stop early when the signal aborts. The
// service's scheduler uses the same sender, and waits as rows in the store instead.
import { setTimeout as sleep } from "node:timers/promises";
import type { AttemptOutcome, RequestSpec } from "../exchange/types.ts";
import type { FileStore } from "../files/index.ts";
import { sendAttempt, type AddressCheck } from "../http/index.ts";
import type { JsonValue } from "../manifest/types.ts";
import type { RunEvent, RunState } from "../engine/types.ts";
import type { NotifyConfig } from "../notify/index.ts";
import type { Redactor } from "../redact/index.ts";
import type { AttemptRecord } from "./attempt-record.ts";
import {
  driveRun,
  maskState,
  type Checkpoint,
  type DriveHooks,
  type DriveResult,
} from "./drive.ts";
import type { PreparedRun } from "./lifecycle.ts";

/** What every request of a run is sent with. */
export interface SenderOptions {
  /** Where saved response bodies go. */
  files: FileStore;
  /** Egress check for every address the run connects to. */
  checkAddress?: AddressCheck;
  maxBodyBytes?: number;
  maxFileBytes?: number;
  signal?: AbortSignal;
}

/** The run's sender: every request with the same options, refusing to carry a secret across origins. */
export function senderFor(
  options: SenderOptions,
  runId: string,
  redactor: Redactor,
): (request: RequestSpec) => Promise<AttemptOutcome> {
  const sendOptions = {
    files: options.files,
    runId,
    holdsSecret: (text: string) => redactor.holdsSecret(text),
    ...(options.maxBodyBytes !== undefined ? { maxBodyBytes: options.maxBodyBytes } : {}),
    ...(options.maxFileBytes !== undefined ? { maxFileBytes: options.maxFileBytes } : {}),
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
    ...(options.checkAddress !== undefined ? { checkAddress: options.checkAddress } : {}),
  };
  return (request) => sendAttempt(request, sendOptions);
}

/** Sleeps until `until`; false when the signal aborted (the run stops there, cancelled). */
export function sleepUntil(until: number, signal?: AbortSignal): Promise<boolean> {
  const delay = until - Date.now();
  if (signal === undefined) {
    // One timer and one promise: thousands of runs may be sleeping between polls.
    return delay > 0
      ? new Promise((resolve) => setTimeout(resolve, delay, true))
      : Promise.resolve(true);
  }
  if (delay <= 0) return Promise.resolve(!signal.aborted);
  return sleep(delay, undefined, { signal }).then(
    () => !signal.aborted,
    () => !signal.aborted,
  );
}

export interface HostOptions extends SenderOptions {
  notify?: NotifyConfig;
  onOAuthTokens?: (tokens: Record<string, JsonValue>) => void | Promise<void>;
  refreshLock?: DriveHooks["refreshLock"];
  onAttempt?: (record: AttemptRecord) => void;
  onWait?: (until: number, reason: "poll" | "retry", state: RunState) => void;
  onCheckpoint?: (checkpoint: Checkpoint) => void | Promise<void>;
}

/** Drives a prepared run in this process until it ends (or the signal stops it). */
export function driveInProcess(
  run: Pick<PreparedRun, "context" | "redactor">,
  state: RunState,
  event: RunEvent,
  options: HostOptions,
): Promise<DriveResult> {
  const { context, redactor } = run;
  const signal = options.signal;
  const onCheckpoint = options.onCheckpoint;
  const onWait = options.onWait;
  const hooks: DriveHooks = {
    ctx: context,
    redactor,
    now: Date.now,
    send: senderFor(options, state.runId, redactor),
    // Nothing to persist: the driver goes on at once.
    checkpoint: onCheckpoint === undefined ? () => undefined : onCheckpoint,
    wait: (until, reason, current) => {
      if (onWait !== undefined) onWait(until, reason, maskState(current, redactor));
      return sleepUntil(until, signal);
    },
  };
  // Only what was given: most runs give none of these.
  if (signal !== undefined) {
    hooks.signal = signal;
    hooks.cancelled = () => signal.aborted;
  }
  if (options.notify !== undefined) hooks.notify = options.notify;
  if (options.onOAuthTokens !== undefined) hooks.onOAuthTokens = options.onOAuthTokens;
  if (options.refreshLock !== undefined) hooks.refreshLock = options.refreshLock;
  if (options.onAttempt !== undefined) hooks.onAttempt = options.onAttempt;
  return driveRun(hooks, state, event);
}
