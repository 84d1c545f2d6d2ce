// The scheduler's checkpoint: one driver Checkpoint becomes one store transaction under the run's
// lease — state, status, wake-up time, the attempt's record, stored fields, and the lease let go
// when the run needs nobody (finished, waiting, handed back). New run files are recorded with
// their expiry after it. Each checkpoint answers whether a cancel is pending: the driver checks
// it before each send, and every send follows the checkpoint of its transition.
import type { JsonValue } from "../manifest/types.ts";
import { FINAL_STATUSES, type RunState } from "../engine/types.ts";
import type { ClaimedRun, RunRequest, Store } from "../store/index.ts";
import type { Checkpoint } from "./drive.ts";

export interface StoreCheckpointerOptions {
  store: Store;
  owner: string;
  run: ClaimedRun;
  /** Names of the run's files already recorded in the store. */
  knownFiles: Iterable<string>;
  /** How long run files are kept; null: forever. */
  fileRetentionMs: number | null;
  now: () => number;
  logger: {
    info(object: object, message?: string): void;
    warn(object: object, message?: string): void;
  };
  /**
   * Asked for each waiting state: until when the lease is kept while the driver waits in place
   * (undefined: the lease is let go and the run waits as a row).
   */
  holdWait?: (state: RunState) => number | undefined;
  /** How long the lease is kept past each checkpoint that does not let it go. */
  leaseMs?: number;
}

/** The driver's checkpoint hook, and what the last checkpoint learned of a pending cancel. */
export interface StoreCheckpointer {
  checkpoint(checkpoint: Checkpoint): Promise<void>;
  /** True once a checkpoint found a cancel requested (the driver's `cancelled` hook). */
  cancelRequested(): boolean;
}

/** The driver's `checkpoint` hook for a run claimed from the store. */
export function storeCheckpointer(options: StoreCheckpointerOptions): StoreCheckpointer {
  const { store, owner, run, now, logger } = options;
  const knownFiles = new Set(options.knownFiles);
  let request = run.request;
  let pending: RunRequest | null = null;
  const checkpoint = async (checkpoint: Checkpoint): Promise<void> => {
    const state = checkpoint.state;
    const letGo = checkpoint.handBack === true || letsGo(state);
    // A short wait is waited in place: the lease is kept until a little past the wake-up time.
    const holdUntil =
      letGo && checkpoint.handBack !== true && state.status === "waiting"
        ? options.holdWait?.(state)
        : undefined;
    const releaseLease = letGo && holdUntil === undefined;
    const leaseUntil = releaseLease
      ? undefined
      : (holdUntil ?? (options.leaseMs !== undefined ? now() + options.leaseMs : undefined));
    const note = await store.saveCheckpoint({
      runId: run.id,
      owner,
      state,
      status: state.status,
      wakeAt: state.status === "waiting" ? (state.wakeAt ?? now()) : null,
      error: state.error ?? null,
      ...(checkpoint.attempt !== undefined
        ? {
            attempt: {
              step: checkpoint.attempt.step,
              attempt: checkpoint.attempt.attempt,
              startedAt: checkpoint.attempt.startedAt,
              durationMs: checkpoint.attempt.durationMs,
              record: checkpoint.attempt as unknown as JsonValue,
            },
          }
        : {}),
      ...(checkpoint.stored !== undefined && run.hireId !== null
        ? {
            storedFields: {
              hireId: run.hireId,
              fields: checkpoint.stored.fields,
              shown: checkpoint.stored.shown,
            },
          }
        : {}),
      ...(request !== null ? { clearRequest: request } : {}),
      releaseLease,
      ...(checkpoint.handBack === true && checkpoint.resumeAt !== undefined
        ? { heldUntil: checkpoint.resumeAt }
        : {}),
      ...(leaseUntil !== undefined ? { leaseUntil } : {}),
    });
    request = null;
    pending = note.request;
    for (const [name, file] of Object.entries(state.files)) {
      if (knownFiles.has(name)) continue;
      knownFiles.add(name);
      await store.addFile({
        runId: run.id,
        file,
        expiresAt: options.fileRetentionMs === null ? null : now() + options.fileRetentionMs,
      });
    }
    logOutcome(run.id, state, logger);
  };
  return { checkpoint, cancelRequested: () => pending === "cancel" };
}

/**
 * A finished or waiting run needs no driver. A succeeded run keeps its lease while its
 * notifications are sent (at most once: a crash while "sending" leaves them recorded as such).
 */
function letsGo(state: RunState): boolean {
  if (state.notifications?.status === "sending") return false;
  return FINAL_STATUSES.has(state.status) || state.status === "waiting";
}

function logOutcome(
  runId: string,
  state: RunState,
  logger: StoreCheckpointerOptions["logger"],
): void {
  if (!FINAL_STATUSES.has(state.status) || state.notifications?.status === "sending") return;
  logger.info({ runId, status: state.status, error: state.error?.code }, `run ${state.status}`);
  if (state.notifications?.status !== "sent") return;
  const failed = state.notifications.results.filter(
    (result) => typeof result === "object" && result !== null && "ok" in result && !result.ok,
  ).length;
  if (failed > 0) logger.warn({ runId, failed }, "some notifications could not be sent");
}
