// The checkpoint: after every attempt the driver writes the run row, the attempt and the step's
// stored fields in ONE transaction, guarded by its lease. A crash leaves either all or none.
import { sql, type Selectable } from "kysely";
import { FINAL_STATUSES } from "../../engine/index.ts";
import { hirewireError, problem } from "../../errors/index.ts";
import type { JsonValue } from "../../manifest/types.ts";
import {
  announceDue,
  newId,
  notFound,
  translateConstraint,
  write,
  type StoreContext,
} from "../context.ts";
import { decodeJson, encodeJson, toMillis } from "../json-codec.ts";
import type { AttemptRecord, RunRecord } from "../records.ts";
import type { AttemptsTable } from "../schema.ts";
import type { CheckpointInput } from "../store.ts";
import { encodeState, toRun } from "./run-row.ts";
import { storedFieldColumns } from "./stored-fields.ts";

export async function checkpoint(ctx: StoreContext, input: CheckpointInput): Promise<RunRecord> {
  const now = ctx.now();
  // Encode everything before taking the write lock: a value JSON cannot hold fails here, early.
  const runChanges = {
    status: input.status,
    ...encodeState(ctx, input.state),
    error: input.error === null ? null : encodeJson(input.error, "run error"),
    wake_at: input.wakeAt,
    updated_at: now,
    finished_at: FINAL_STATUSES.has(input.status) ? now : null,
    ...(input.releaseLease ? { lease_owner: null, lease_expires_at: input.heldUntil ?? null } : {}),
  };
  const attempt = input.attempt && {
    id: newId("att"),
    run_id: input.runId,
    step: input.attempt.step,
    attempt: input.attempt.attempt,
    started_at: input.attempt.startedAt,
    // Whole milliseconds, as the BIGINT column holds them (Postgres refuses a fraction); the
    // record keeps the measured value.
    duration_ms: Math.round(input.attempt.durationMs),
    record: encodeJson(input.attempt.record, "attempt record"),
  };
  const stored = input.storedFields;
  const fieldRows = stored
    ? Object.entries(stored.fields).map(([name, value]) => ({
        hire_id: stored.hireId,
        name,
        ...storedFieldColumns(
          ctx,
          name,
          value,
          stored.shown !== undefined && Object.hasOwn(stored.shown, name)
            ? { shown: stored.shown[name]! }
            : undefined,
        ),
        run_id: stored.runId ?? input.runId,
        updated_at: now,
      }))
    : [];

  try {
    return await write(ctx, async (trx) => {
      // RETURNING hands back the row as written: no read after the writes unless a cancel
      // request is cleared below.
      const updated = await trx
        .updateTable("runs")
        .set(runChanges)
        .where("id", "=", input.runId)
        .where("lease_owner", "=", input.owner)
        .returningAll()
        .executeTakeFirst();
      if (updated === undefined) {
        const exists = await trx
          .selectFrom("runs")
          .select("id")
          .where("id", "=", input.runId)
          .executeTakeFirst();
        if (!exists) throw notFound("run", input.runId);
        throw hirewireError(
          "CONFLICT",
          "leaseLost",
          { runId: input.runId },
          { details: { owner: input.owner } },
        );
      }
      if (attempt) {
        // The next seq is computed by the insert itself (one round trip instead of two).
        await trx
          .insertInto("attempts")
          .values((eb) => ({
            ...attempt,
            seq: eb
              .selectFrom("attempts")
              .select(sql<number>`coalesce(max(seq), 0) + 1`.as("seq"))
              .where("run_id", "=", input.runId),
          }))
          .execute();
      }
      for (const field of fieldRows) {
        await trx
          .insertInto("stored_fields")
          .values(field)
          .onConflict((oc) =>
            oc.columns(["hire_id", "name"]).doUpdateSet({
              value: field.value,
              sensitive: field.sensitive,
              value_enc: field.value_enc,
              run_id: field.run_id,
              updated_at: field.updated_at,
            }),
          )
          .execute();
      }
      let row = updated;
      if (input.clearRequest !== undefined) {
        await trx
          .updateTable("runs")
          .set({ request: null })
          .where("id", "=", input.runId)
          .where("request", "=", input.clearRequest)
          .execute();
        row = await trx
          .selectFrom("runs")
          .selectAll()
          .where("id", "=", input.runId)
          .executeTakeFirstOrThrow();
      }
      // A run let go while unfinished (waiting until its wake time) is for any scheduler to take.
      if (input.releaseLease === true && !FINAL_STATUSES.has(input.status))
        await announceDue(ctx, trx);
      return toRun(ctx, row);
    });
  } catch (error) {
    throw translateConstraint(ctx, error, {
      foreignKey: problem("CONFLICT", "checkpointHire", {
        runId: input.runId,
        hireId: stored?.hireId,
      }),
    });
  }
}

function toAttempt(row: Selectable<AttemptsTable>): AttemptRecord {
  return {
    id: row.id,
    runId: row.run_id,
    seq: Number(row.seq),
    step: Number(row.step),
    attempt: Number(row.attempt),
    startedAt: toMillis(row.started_at),
    durationMs: Number(row.duration_ms),
    record: decodeJson<JsonValue>(row.record),
  };
}

export async function listAttempts(ctx: StoreContext, runId: string): Promise<AttemptRecord[]> {
  const rows = await ctx.db
    .selectFrom("attempts")
    .selectAll()
    .where("run_id", "=", runId)
    .orderBy("seq")
    .execute();
  return rows.map(toAttempt);
}
