// Erasing runs' personal details in place (see erase-details.ts for what is kept), for a deleted
// hire and for attempt retention. Rows are rewritten, not deleted, so the audit skeleton stays;
// with SQLite's secure_delete the old bytes are zeroed rather than left in free space.
import type { Kysely } from "kysely";
import { FINAL_STATUSES, type RunStatus } from "../../engine/index.ts";
import { write, type StoreContext } from "../context.ts";
import { erasedAttempt, erasedError, erasedState, type ErasedReason } from "../erase-details.ts";
import { decodeJsonOrNull, encodeJson } from "../json-codec.ts";
import type { Database } from "../schema.ts";

/** Rewrites the given runs and their attempts without personal details, in `trx`. */
export async function eraseRunDetails(
  trx: Kysely<Database>,
  runIds: string[],
  reason: ErasedReason,
  now: number,
): Promise<void> {
  for (const runId of runIds) {
    const run = await trx
      .selectFrom("runs")
      .select(["state", "error"])
      .where("id", "=", runId)
      .executeTakeFirst();
    if (!run) continue;
    const state = erasedState(safeDecode(run.state), reason);
    const error = erasedError(safeDecode(run.error), reason);
    await trx
      .updateTable("runs")
      .set({
        params: "{}",
        state: state === null ? null : encodeJson(state, "run state"),
        generated_enc: null,
        error: error === null ? null : encodeJson(error, "run error"),
        erased_at: now,
        erased_reason: reason,
      })
      .where("id", "=", runId)
      .execute();
    const attempts = await trx
      .selectFrom("attempts")
      .select(["id", "record"])
      .where("run_id", "=", runId)
      .execute();
    for (const attempt of attempts) {
      const record = erasedAttempt(safeDecode(attempt.record), reason);
      await trx
        .updateTable("attempts")
        .set({ record: encodeJson(record, "attempt record") })
        .where("id", "=", attempt.id)
        .execute();
    }
    // The janitor removes them from disk (the caller may do it sooner).
    await trx.updateTable("files").set({ expires_at: now }).where("run_id", "=", runId).execute();
  }
}

function safeDecode(raw: unknown): unknown {
  try {
    return decodeJsonOrNull<unknown>(raw);
  } catch {
    return null;
  }
}

/**
 * Attempt retention: erases the details of up to `limit` finished runs that finished before
 * `before` and are not erased yet; returns how many were erased.
 */
export async function eraseFinishedBefore(
  ctx: StoreContext,
  before: number,
  limit = 200,
): Promise<number> {
  const finished = [...FINAL_STATUSES] as RunStatus[];
  const count = await write(ctx, async (trx) => {
    const rows = await trx
      .selectFrom("runs")
      .select("id")
      .where("status", "in", finished)
      .where("finished_at", "<", before)
      .where("erased_at", "is", null)
      .orderBy("finished_at")
      .limit(limit)
      .execute();
    await eraseRunDetails(
      trx,
      rows.map((row) => row.id),
      "retention",
      ctx.now(),
    );
    return rows.length;
  });
  if (count > 0) await ctx.afterErase?.();
  return count;
}
