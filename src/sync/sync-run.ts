// The bridge from a stored sync run to a plan: the run must be a `sync` run that succeeded, its
// result must hold users, and the action comes from the integration's manifest.
import { hirewireError } from "../errors/index.ts";
import type { JsonValue } from "../manifest/types.ts";
import type { RunRecord } from "../store/records.ts";
import type { Store } from "../store/store.ts";
import { planSync, readSyncResult, type SyncAction, type SyncPlan } from "./sync-plan.ts";

/** The `action` of a sync-users manifest as stored; undefined for any other manifest. */
function syncActionOf(manifest: JsonValue): SyncAction | undefined {
  if (typeof manifest !== "object" || manifest === null || Array.isArray(manifest))
    return undefined;
  const action = manifest.action;
  return action === "create" || action === "update" ? action : undefined;
}

/** The cron pattern of a stored sync-users manifest, if it has one. */
export function syncScheduleOf(manifest: JsonValue): string | undefined {
  if (syncActionOf(manifest) === undefined) return undefined;
  const schedule = (manifest as Record<string, JsonValue>).schedule;
  return typeof schedule === "string" && schedule.trim() !== "" ? schedule.trim() : undefined;
}

/**
 * The plan of a finished sync run against the store now. Throws CONFLICT when the run is not a
 * sync run that succeeded, NOT_FOUND when its integration is gone.
 */
export async function planSyncRun(store: Store, run: RunRecord): Promise<SyncPlan> {
  if (run.block !== "sync")
    throw hirewireError("CONFLICT", "notASync", { runId: run.id, block: run.block });
  if (run.status !== "succeeded")
    throw hirewireError("CONFLICT", "syncNotSucceeded", { runId: run.id, status: run.status });
  const result = readSyncResult(run.state?.result);
  if (result === undefined) throw hirewireError("CONFLICT", "syncWithoutUsers", { runId: run.id });
  const integration = await store.getIntegration(run.integrationId);
  if (integration === undefined)
    throw hirewireError("NOT_FOUND", "syncIntegration", { runId: run.id });
  const action = syncActionOf(integration.manifest);
  if (action === undefined)
    throw hirewireError(
      "CONFLICT",
      "noLongerSync",
      { integrationId: integration.id, runId: run.id },
      { path: "action" },
    );
  return planSync(store, result, action);
}
