// The checkpoint: after every attempt the driver writes the run row, the attempt and the step's
// stored fields in ONE transaction, guarded by its lease. A crash leaves either all or none.
import { sql, type CompiledQuery, type Selectable } from "kysely";
import { FINAL_STATUSES } from "../../engine/index.ts";
import { hirewireError, problem } from "../../errors/index.ts";
import type { JsonValue } from "../../manifest/types.ts";
import {
  announceDue,
  newId,
  notFound,
  translateConstraint,
  write,
  writeAtOnce,
  type StoreContext,
} from "../context.ts";
import { decodeJson, encodeJson, toMillis } from "../json-codec.ts";
import type { AttemptRecord, RunRecord, RunRequest } from "../records.ts";
import type { AttemptsTable } from "../schema.ts";
import type { CheckpointInput, CheckpointNote } from "../store.ts";
import { compiledShape } from "../query-shapes.ts";
import { encodeState, toRun, type RunRow } from "./run-row.ts";
import { storedFieldColumns } from "./stored-fields.ts";

export async function checkpoint(ctx: StoreContext, input: CheckpointInput): Promise<RunRecord> {
  return toRun(ctx, (await writeCheckpoint(ctx, input, "row")) as RunRow);
}

/** The driver's checkpoint: the same write, reading back only the run's pending request. */
export async function saveCheckpoint(
  ctx: StoreContext,
  input: CheckpointInput,
): Promise<CheckpointNote> {
  const { request } = await writeCheckpoint(ctx, input, "request");
  return { request: request as RunRequest | null };
}

/** What a checkpoint reads back: the whole row, or only its pending request. */
type Returning = "row" | "request";

async function writeCheckpoint(
  ctx: StoreContext,
  input: CheckpointInput,
  returning: Returning,
): Promise<Pick<RunRow, "request">> {
  const now = ctx.now();
  // Encode everything before taking the write lock: a value JSON cannot hold fails here, early.
  const runChanges = {
    status: input.status,
    ...encodeState(ctx, input.state),
    error: input.error === null ? null : encodeJson(input.error, "run error"),
    wake_at: input.wakeAt,
    updated_at: now,
    finished_at: FINAL_STATUSES.has(input.status) ? now : null,
    ...(input.releaseLease
      ? { lease_owner: null, lease_expires_at: input.heldUntil ?? null }
      : input.leaseUntil !== undefined
        ? { lease_expires_at: input.leaseUntil }
        : {}),
  };
  const attempt: AttemptRow | undefined = input.attempt && {
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
  const fieldRows: FieldRow[] = stored
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
  // A run let go while unfinished (waiting until its wake time) is for any scheduler to take.
  const announce = input.releaseLease === true && !FINAL_STATUSES.has(input.status);
  const job: CheckpointWrite = { input, runChanges, attempt, fieldRows, returning };

  try {
    // PostgreSQL: one statement, atomic on its own, instead of a transaction's four round trips.
    const row =
      ctx.traits.name === "postgres" && !announce
        ? await oneStatement(ctx, job)
        : await inTransaction(ctx, job, announce);
    if (row === undefined) throw await leaseProblem(ctx, input);
    return row;
  } catch (error) {
    throw translateConstraint(ctx, error, {
      foreignKey: problem("CONFLICT", "checkpointHire", {
        runId: input.runId,
        hireId: stored?.hireId,
      }),
    });
  }
}

interface FieldRow {
  hire_id: string;
  name: string;
  value: string;
  sensitive: number;
  value_enc: string | null;
  run_id: string;
  updated_at: number;
}

interface AttemptRow {
  id: string;
  run_id: string;
  step: number;
  attempt: number;
  started_at: number;
  duration_ms: number;
  record: string;
}

interface CheckpointWrite {
  input: CheckpointInput;
  runChanges: Record<string, unknown>;
  attempt: AttemptRow | undefined;
  fieldRows: FieldRow[];
  returning: Returning;
}

/** Why nothing was written: the run is gone (NOT_FOUND) or another driver holds it (CONFLICT). */
async function leaseProblem(ctx: StoreContext, input: CheckpointInput): Promise<Error> {
  const exists = await ctx.db
    .selectFrom("runs")
    .select("id")
    .where("id", "=", input.runId)
    .executeTakeFirst();
  if (!exists) return notFound("run", input.runId);
  return hirewireError(
    "CONFLICT",
    "leaseLost",
    { runId: input.runId },
    { details: { owner: input.owner } },
  );
}

async function inTransaction(
  ctx: StoreContext,
  { input, runChanges, attempt, fieldRows, returning }: CheckpointWrite,
  announce: boolean,
): Promise<Pick<RunRow, "request"> | undefined> {
  const update = checkpointUpdate(ctx, input, runChanges, returning);
  const insertAttempt = attempt && attemptInsert(ctx, attempt);
  const upserts = fieldRows.map((field) => storedFieldUpsert(ctx, field));
  // SQLite: the statements in one synchronous stretch (context.ts, `writeAtOnce`).
  const atOnce = writeAtOnce(ctx, (run) => {
    // RETURNING hands back the row as written: no read after the writes.
    const updated = run<RunRow>(update).rows[0];
    if (updated === undefined) return undefined;
    if (insertAttempt) run(insertAttempt);
    for (const upsert of upserts) run(upsert);
    return updated;
  });
  if (atOnce !== undefined) {
    const updated = await atOnce;
    // Committed: the schedulers of this process may look now.
    if (updated !== undefined && announce) await announceDue(ctx, ctx.db);
    return updated;
  }
  return write(ctx, async (trx) => {
    const updated = (await trx.executeQuery<RunRow>(update)).rows[0];
    if (updated === undefined) return undefined;
    if (insertAttempt) await trx.executeQuery(insertAttempt);
    for (const upsert of upserts) await trx.executeQuery(upsert);
    if (announce) await announceDue(ctx, trx);
    return updated;
  });
}

/** A stored field's INSERT … ON CONFLICT UPDATE, compiled once (query-shapes.ts). */
function storedFieldUpsert(ctx: StoreContext, field: FieldRow): CompiledQuery {
  const values = [
    field.hire_id,
    field.name,
    field.value,
    field.sensitive,
    field.value_enc,
    field.run_id,
    field.updated_at,
  ];
  return compiledShape(`${ctx.traits.name}:storedField`, values, (value) =>
    ctx.db
      .insertInto("stored_fields")
      .values({
        hire_id: value(0),
        name: value(1),
        value: value(2),
        sensitive: value(3),
        value_enc: value(4),
        run_id: value(5),
        updated_at: value(6),
      })
      .onConflict((oc) =>
        oc.columns(["hire_id", "name"]).doUpdateSet({
          value: value(2),
          sensitive: value(3),
          value_enc: value(4),
          run_id: value(5),
          updated_at: value(6),
        }),
      ),
  );
}

/** The run's guarded UPDATE, compiled once per set of columns (query-shapes.ts). */
function checkpointUpdate(
  ctx: StoreContext,
  input: CheckpointInput,
  runChanges: Record<string, unknown>,
  returning: Returning,
): CompiledQuery {
  const columns = Object.keys(runChanges);
  const n = columns.length;
  const clear = input.clearRequest;
  const values = [...Object.values(runChanges), input.runId, input.owner, clear];
  const key = `${ctx.traits.name}:checkpoint:${columns.join()}:${clear !== undefined}:${returning}`;
  return compiledShape(key, values, (value) => {
    const set: Record<string, unknown> = {};
    for (let i = 0; i < n; i += 1) set[columns[i]!] = value(i);
    // The pending request is cleared only when it is the one acted on (a request made meanwhile,
    // such as a cancel during a resume, stays).
    if (clear !== undefined)
      set.request = sql`case when request = ${value(n + 2)} then null else request end`;
    const update = ctx.db
      .updateTable("runs")
      .set(set as never)
      .where("id", "=", value(n))
      .where("lease_owner", "=", value(n + 1));
    return returning === "row" ? update.returningAll() : update.returning(["request"]);
  });
}

/** The attempt's columns in the order both checkpoint statements insert them. */
function attemptValues(attempt: AttemptRow): unknown[] {
  return [
    attempt.id,
    attempt.run_id,
    attempt.step,
    attempt.attempt,
    attempt.started_at,
    attempt.duration_ms,
    attempt.record,
  ];
}

/** The attempt's INSERT; its seq is computed by the insert itself (no round trip for it). */
function attemptInsert(ctx: StoreContext, attempt: AttemptRow): CompiledQuery {
  return compiledShape(`${ctx.traits.name}:attempt`, attemptValues(attempt), (value) =>
    ctx.db.insertInto("attempts").values((eb) => ({
      id: value(0),
      run_id: value(1),
      step: value(2),
      attempt: value(3),
      started_at: value(4),
      duration_ms: value(5),
      record: value(6),
      seq: eb
        .selectFrom("attempts")
        .select(sql<number>`coalesce(max(seq), 0) + 1`.as("seq"))
        .where("run_id", "=", value(1)),
    })),
  );
}

/**
 * The checkpoint as one PostgreSQL statement: the guarded UPDATE of the run, and the attempt and
 * stored fields inserted from its result (so nothing is written when the lease is not ours). A
 * single statement is atomic on its own; a failing insert (a deleted hire) undoes the update.
 */
async function oneStatement(
  ctx: StoreContext,
  { input, runChanges, attempt, fieldRows, returning }: CheckpointWrite,
): Promise<Pick<RunRow, "request"> | undefined> {
  const columns = Object.keys(runChanges);
  const n = columns.length;
  const clear = input.clearRequest;
  const values: unknown[] = [...Object.values(runChanges), input.runId, input.owner, clear];
  if (attempt) values.push(...attemptValues(attempt));
  for (const f of fieldRows)
    values.push(f.hire_id, f.name, f.value, f.sensitive, f.value_enc, f.run_id, f.updated_at);
  const key = [
    "postgres:checkpoint1",
    columns.join(),
    clear !== undefined,
    returning,
    attempt !== undefined,
    fieldRows.length,
  ].join(":");
  // Compiled once per shape (query-shapes.ts); `value(i)` is where the i-th value goes.
  const statement = compiledShape(key, values, (value) => {
    const sets = columns.map((column, i) => sql`${sql.ref(column)} = ${value(i)}`);
    if (clear !== undefined)
      sets.push(sql`request = case when request = ${value(n + 2)} then null else request end`);
    const back = returning === "row" ? sql`*` : sql`request`;
    const parts = [
      sql`with u as (update runs set ${sql.join(sets)} where id = ${value(n)}
        and lease_owner = ${value(n + 1)} returning ${back})`,
    ];
    let next = n + 3;
    if (attempt) {
      const a = next;
      next += 7;
      parts.push(sql`a as (insert into attempts
        (id, run_id, step, attempt, started_at, duration_ms, record, seq)
        select ${value(a)}::text, ${value(a + 1)}::text, ${value(a + 2)}::integer,
          ${value(a + 3)}::integer, ${value(a + 4)}::bigint, ${value(a + 5)}::bigint,
          ${value(a + 6)}::jsonb,
          (select coalesce(max(seq), 0) + 1 from attempts where run_id = ${value(a + 1)}::text)
        from u)`);
    }
    if (fieldRows.length > 0) {
      const rows = fieldRows.map(() => {
        const f = next;
        next += 7;
        return sql`(${value(f)}::text, ${value(f + 1)}::text, ${value(f + 2)}::jsonb,
          ${value(f + 3)}::integer, ${value(f + 4)}::text, ${value(f + 5)}::text,
          ${value(f + 6)}::bigint)`;
      });
      parts.push(sql`f as (insert into stored_fields
        (hire_id, name, value, sensitive, value_enc, run_id, updated_at)
        select * from (values ${sql.join(rows)})
          as v (hire_id, name, value, sensitive, value_enc, run_id, updated_at)
        where exists (select 1 from u)
        on conflict (hire_id, name) do update set value = excluded.value,
          sensitive = excluded.sensitive, value_enc = excluded.value_enc,
          run_id = excluded.run_id, updated_at = excluded.updated_at)`);
    }
    return sql`${sql.join(parts)} select ${back} from u`.compile(ctx.db);
  });
  try {
    return (await ctx.db.executeQuery<RunRow>(statement)).rows[0];
  } catch (error) {
    if (!ctx.traits.isDiskFull(error)) throw error;
    throw hirewireError("DISK_FULL", "database", { location: ctx.location }, { cause: error });
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
