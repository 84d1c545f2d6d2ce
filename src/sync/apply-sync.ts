// Sync users, step three: carrying a plan out in the hire store — `create` adds hires, `update`
// writes stored fields (ChiefOnboarding's extra_fields) — and recording, per run, what was done.
// A run is applied at most once: the record is the guard, and applies are serialized per store
// in this process so two requests for the same run cannot both pass the check.
import { hirewireError } from "../errors/index.ts";
import type { JsonValue } from "../manifest/types.ts";
import type { Store } from "../store/store.ts";
import type { SyncAction, SyncPlan } from "./sync-plan.ts";
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

/** Writes the plan into the store; returns how many hires were created and updated. */
async function applySyncPlan(
  store: Store,
  plan: SyncPlan,
): Promise<{ created: number; updated: number }> {
  let created = 0;
  for (const props of plan.create) {
    // Re-checked here: a hire may have been added between planning and this write.
    if ((await store.findHireByEmail(props.email as string)) !== undefined) continue;
    await store.createHire({ props });
    created += 1;
  }
  for (const update of plan.update) {
    for (const [name, value] of Object.entries(update.fields))
      await store.setStoredField(update.hireId, name, value);
  }
  return { created, updated: plan.update.length };
}

const queues = new WeakMap<Store, Promise<unknown>>();

/** Runs `task` after every earlier task on the same store has settled. */
function serialized<T>(store: Store, task: () => Promise<T>): Promise<T> {
  const previous = queues.get(store) ?? Promise.resolve();
  const next = previous.then(task, task);
  queues.set(
    store,
    next.catch(() => undefined),
  );
  return next;
}

/**
 * Applies a succeeded sync run once: plans it against the store now, carries the plan out and
 * records the counts. A second call returns the record with `alreadyApplied: true`.
 * Throws NOT_FOUND for an unknown run and CONFLICT for one that cannot be applied.
 */
export function applySyncRun(
  store: Store,
  runId: string,
  now: () => number = Date.now,
): Promise<ApplySyncOutcome> {
  return serialized(store, async () => {
    const earlier = await getAppliedSync(store, runId);
    if (earlier !== undefined) return { applied: earlier, alreadyApplied: true };
    const run = await store.getRun(runId);
    if (run === undefined) throw hirewireError("NOT_FOUND", "id", { what: "run", id: runId });
    const plan = await planSyncRun(store, run);
    const { created, updated } = await applySyncPlan(store, plan);
    const applied: AppliedSync = {
      runId,
      action: plan.action,
      created,
      updated,
      unchanged: plan.unchanged + (plan.create.length - created),
      skipped: plan.skipped.length,
      appliedAt: now(),
    };
    await store.setSetting(appliedKey(runId), applied as unknown as JsonValue);
    return { applied, alreadyApplied: false };
  });
}
