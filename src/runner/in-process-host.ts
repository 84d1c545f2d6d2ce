// Where a prepared run is driven in this process (the library's `runManifest`, the CLI, the exists
// check, form choices): one sender built once from the options (files, egress, size limits,
// abort signal) and one way to wait — sleep on a timer, stop early when the signal aborts. The
// service's scheduler uses the same sender, and waits as rows in the store instead.
import { setTimeout as sleep } from "node:timers/promises";
import type { AttemptOutcome, RequestSpec } from "../exchange/types.ts";
import type { FileStore } from "../files/index.ts";
import { sendAttempt, type AddressCheck, type SendOptions } from "../http/index.ts";
import type { JsonValue } from "../manifest/types.ts";
import type { RunContext, RunEvent, RunState } from "../engine/types.ts";
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

/**
 * A run driven in this process: its hooks, its sender's options and what its result needs (every
 * attempt's record) in one object with its behaviour on the prototype.
 * Thousands of runs may be waiting at once; a closure per hook would be kept by each for its
 * whole life.
 */
export class InProcessRun implements DriveHooks, SendOptions {
  /** Every attempt's record, masked, in the order they ended. */
  readonly attempts: AttemptRecord[] = [];
  readonly files: FileStore;
  readonly runId: string;
  declare checkAddress?: AddressCheck;
  declare maxBodyBytes?: number;
  declare maxFileBytes?: number;
  declare signal?: AbortSignal;
  declare notify?: NotifyConfig;
  declare onOAuthTokens?: NonNullable<HostOptions["onOAuthTokens"]>;
  declare refreshLock?: NonNullable<DriveHooks["refreshLock"]>;
  declare onAttempt?: NonNullable<HostOptions["onAttempt"]>;
  readonly #onCheckpoint: HostOptions["onCheckpoint"];
  readonly #onWait: HostOptions["onWait"];

  constructor(
    readonly ctx: RunContext,
    readonly redactor: Redactor,
    runId: string,
    options: Omit<HostOptions, "files">,
    files: FileStore,
  ) {
    this.runId = runId;
    this.files = files;
    this.#onCheckpoint = options.onCheckpoint;
    this.#onWait = options.onWait;
    // Only what was given: most runs give none of these.
    if (options.checkAddress !== undefined) this.checkAddress = options.checkAddress;
    if (options.maxBodyBytes !== undefined) this.maxBodyBytes = options.maxBodyBytes;
    if (options.maxFileBytes !== undefined) this.maxFileBytes = options.maxFileBytes;
    if (options.signal !== undefined) this.signal = options.signal;
    if (options.notify !== undefined) this.notify = options.notify;
    if (options.onOAuthTokens !== undefined) this.onOAuthTokens = options.onOAuthTokens;
    if (options.refreshLock !== undefined) this.refreshLock = options.refreshLock;
    if (options.onAttempt !== undefined) this.onAttempt = options.onAttempt;
  }

  /** Drives the run from `event` until it ends (or the signal stops it). */
  drive(state: RunState, event: RunEvent): Promise<DriveResult> {
    return driveRun(this, state, event);
  }

  now(): number {
    return Date.now();
  }

  send(request: RequestSpec): Promise<AttemptOutcome> {
    return sendAttempt(request, this);
  }

  /** The sender's secret test: a redirect to another origin drops what holds one. */
  holdsSecret(text: string): boolean {
    return this.redactor.holdsSecret(text);
  }

  cancelled(): boolean {
    return this.signal?.aborted === true;
  }

  checkpoint(checkpoint: Checkpoint): void | Promise<void> {
    if (checkpoint.attempt !== undefined) this.attempts.push(checkpoint.attempt);
    const onCheckpoint = this.#onCheckpoint;
    // A plain copy: the driver's checkpoint masks its state on first read, as an accessor.
    if (onCheckpoint !== undefined) return onCheckpoint({ ...checkpoint, state: checkpoint.state });
  }

  wait(until: number, reason: "poll" | "retry", current: RunState): Promise<boolean> {
    if (this.#onWait !== undefined) this.#onWait(until, reason, maskState(current, this.redactor));
    return sleepUntil(until, this.signal);
  }
}
