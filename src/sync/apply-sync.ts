// Sync users, step three: carrying a plan out in the hire store — `create` adds hires, `update`
// writes stored fields (ChiefOnboarding's extra_fields) — and recording, per run, what was done.
// A run is applied at most once, whichever process asks (the API, the sync schedule of another
// process): the store writes the record in the same transaction as the hires, once per run.
import { hirewireError } from "../errors/index.ts";
import type { JsonValue } from "../manifest/types.ts";
import type { Store } from "../store/store.ts";
import type { SyncAction } from "./sync-plan.ts";
import { planSyncRun } from "./sync-run.ts";

/** What applying a sync run did, as recorded with the run. */
export interface AppliedSync {
  runId: string;
  action: SyncAction;
  /** Hires created (action `create`). */
  created: number;
  /** Hires whose stored fields were written (action `update`). */
  updated: number;
  unchanged: number;
  skipped: number;
  /** Epoch milliseconds. */
  appliedAt: number;
}

export interface ApplySyncOutcome {
  applied: AppliedSync;
  /** True when the run had been applied before: nothing was done this time. */
  alreadyApplied: boolean;
}

/** The settings key the record of an applied run is kept under. */
function appliedKey(runId: string): string {
  return `sync.applied.${runId}`;
}

/** The record of an applied run, or undefined when the run has not been applied. */
export async function getAppliedSync(
  store: Store,
  runId: string,
): Promise<AppliedSync | undefined> {
  const value = await store.getSetting(appliedKey(runId));
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  return value as unknown as AppliedSync;
}

/**
 * Applies a succeeded sync run once: plans it against the store now, carries the plan out and
 * records the counts. A second call returns the record with `alreadyApplied: true`.
 * Throws NOT_FOUND for an unknown run and CONFLICT for one that cannot be applied.
 */
export async function applySyncRun(
  store: Store,
  runId: string,
  now: () => number = Date.now,
): Promise<ApplySyncOutcome> {
  const earlier = await getAppliedSync(store, runId);
  if (earlier !== undefined) return { applied: earlier, alreadyApplied: true };
  const run = await store.getRun(runId);
  if (run === undefined) throw hirewireError("NOT_FOUND", "id", { what: "run", id: runId });
  const plan = await planSyncRun(store, run);
  // The record is written in the same transaction as the hires, once per run across processes.
  const outcome = await store.applyHireChanges({
    key: appliedKey(runId),
    create: plan.create,
    update: plan.update.map((update) => ({ hireId: update.hireId, fields: update.fields })),
    record: ({ created, updated }) => {
      const applied: AppliedSync = {
        runId,
        action: plan.action,
        created,
        updated,
        unchanged: plan.unchanged + (plan.create.length - created),
        skipped: plan.skipped.length,
        appliedAt: now(),
      };
      return applied as unknown as JsonValue;
    },
  });
  return {
    applied: outcome.record as unknown as AppliedSync,
    alreadyApplied: !outcome.applied,
  };
}
