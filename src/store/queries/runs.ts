// Creating, reading, listing runs and recording requests (cancel, resume) for their driver.
import { FINAL_STATUSES } from "../../engine/index.ts";
import { hirewireError } from "../../errors/index.ts";
import type { Insertable, QueryCreator, Selectable } from "kysely";
import {
  announceDue,
  newId,
  notFound,
  write,
  writeAtOnce,
  writeStatement,
  type StoreContext,
} from "../context.ts";
import { newestFirst, pageLimit, toPage } from "../cursor.ts";
import { encodeJson } from "../json-codec.ts";
import type { Page, RunRecord, RunRequest } from "../records.ts";
import type { Database, RunsTable } from "../schema.ts";
import type { CreateRunInput, ListRunsInput } from "../store.ts";
import { compiledShape } from "../query-shapes.ts";
import { encodeState, toRun } from "./run-row.ts";

export async function createRun(
  ctx: StoreContext,
  input: CreateRunInput,
): Promise<{ run: RunRecord; created: boolean }> {
  const now = ctx.now();
  const id = input.id ?? newId("run");
  const key = input.idempotencyKey ?? null;
  const row = {
    id,
    integration_id: input.integrationId,
    hire_id: input.hireId ?? null,
    block: input.block,
    status: "queued",
    params: encodeJson(input.params ?? {}, "run parameters"),
    ...encodeState(ctx, input.state),
    error: null,
    idempotency_key: key,
    wake_at: null,
    lease_owner: null,
    lease_expires_at: null,
    request: null,
    created_at: now,
    updated_at: now,
    finished_at: null,
  };
  let inserted: Selectable<RunsTable> | undefined;
  try {
    inserted = await insertRun(ctx, row);
  } catch (error) {
    if (!ctx.traits.isForeignKeyViolation(error)) throw error;
    throw (await missingParent(ctx, input.integrationId, row.hire_id)) ?? error;
  }
  if (inserted) return { run: toRun(ctx, inserted), created: true };
  const existing = await ctx.db
    .selectFrom("runs")
    .selectAll()
    .where("integration_id", "=", input.integrationId)
    .where("idempotency_key", "=", key)
    .executeTakeFirstOrThrow();
  return { run: toRun(ctx, existing), created: false };
}

/**
 * Inserts the run and announces it, or inserts nothing when its idempotency key is taken (the
 * unique index decides between two simultaneous creates, also across processes). The foreign
 * keys refuse a missing integration or hire. Where a write may be one statement on its own
 * (PostgreSQL), insert and pg_notify are one statement: one round trip, and the announcement
 * commits with the row. Elsewhere they share a write transaction.
 */
async function insertRun(
  ctx: StoreContext,
  row: Insertable<RunsTable>,
): Promise<Selectable<RunsTable> | undefined> {
  const insert = (db: QueryCreator<Database>, values: Insertable<RunsTable>) =>
    db
      .insertInto("runs")
      .values(values)
      .onConflict((oc) => oc.columns(["integration_id", "idempotency_key"]).doNothing())
      .returningAll();
  const announcement = ctx.signals.announcement?.();
  if (ctx.traits.standaloneWrites && announcement !== undefined) {
    const statement = ctx.db
      .with("inserted", (db) => insert(db, row))
      .selectFrom("inserted")
      .selectAll()
      .select(announcement.as("announced"));
    return writeStatement(ctx, () => statement.executeTakeFirst());
  }
  // Compiled once per set of columns (query-shapes.ts): a trigger's INSERT has always the same.
  const columns = Object.keys(row);
  const statement = compiledShape(
    `${ctx.traits.name}:insertRun:${columns.join()}`,
    Object.values(row),
    (value) =>
      insert(
        ctx.db,
        Object.fromEntries(columns.map((column, i) => [column, value(i)])) as Insertable<RunsTable>,
      ),
  );
  const atOnce = writeAtOnce(ctx, (run) => run<Selectable<RunsTable>>(statement).rows[0]);
  if (atOnce !== undefined) {
    const created = await atOnce;
    // Committed: the schedulers of this process may look now.
    if (created) await announceDue(ctx, ctx.db);
    return created;
  }
  return write(ctx, async (trx) => {
    const created = (await trx.executeQuery<Selectable<RunsTable>>(statement)).rows[0];
    if (created) await announceDue(ctx, trx);
    return created;
  });
}

/** NOT_FOUND for the integration, else the hire, that a refused insert referred to. */
async function missingParent(
  ctx: StoreContext,
  integrationId: string,
  hireId: string | null,
): Promise<Error | undefined> {
  const found = await ctx.db
    .selectNoFrom((eb) => [
      eb.selectFrom("integrations").select("id").where("id", "=", integrationId).as("integration"),
      eb
        .selectFrom("hires")
        .select("id")
        .where("id", "=", hireId ?? "")
        .as("hire"),
    ])
    .executeTakeFirstOrThrow();
  if (found.integration === null) return notFound("integration", integrationId);
  if (hireId !== null && found.hire === null) return notFound("hire", hireId);
  return undefined;
}

export async function getRun(ctx: StoreContext, id: string): Promise<RunRecord | undefined> {
  const row = await ctx.db.selectFrom("runs").selectAll().where("id", "=", id).executeTakeFirst();
  return row && toRun(ctx, row);
}

/** One indexed lookup (runs_idempotency: integration_id, idempotency_key). */
export async function findRunByIdempotencyKey(
  ctx: StoreContext,
  integrationId: string,
  key: string,
): Promise<RunRecord | undefined> {
  const row = await ctx.db
    .selectFrom("runs")
    .selectAll()
    .where("integration_id", "=", integrationId)
    .where("idempotency_key", "=", key)
    .executeTakeFirst();
  return row && toRun(ctx, row);
}

export async function listRuns(
  ctx: StoreContext,
  input: ListRunsInput = {},
): Promise<Page<RunRecord>> {
  const limit = pageLimit(input.limit);
  let query = ctx.db.selectFrom("runs").selectAll();
  if (input.status !== undefined) {
    const statuses = Array.isArray(input.status) ? input.status : [input.status];
    if (statuses.length === 0) return { items: [], nextCursor: null };
    query = query.where("status", "in", statuses);
  }
  if (input.integrationId !== undefined)
    query = query.where("integration_id", "=", input.integrationId);
  if (input.hireId !== undefined) query = query.where("hire_id", "=", input.hireId);
  const rows = await newestFirst(query, input.cursor, limit).execute();
  return toPage(
    rows.map((row) => toRun(ctx, row)),
    limit,
  );
}

export async function requestRun(
  ctx: StoreContext,
  runId: string,
  request: RunRequest,
  now: number,
): Promise<RunRecord> {
  return write(ctx, async (trx) => {
    // Where rows can be locked, lock this one: a driver's checkpoint must not change the status
    // between this check and the update below (SQLite's write lock already covers the whole
    // transaction).
    const select = trx
      .selectFrom("runs")
      .select(["status", "erased_reason"])
      .where("id", "=", runId);
    const current = await (ctx.traits.skipLocked ? select.forUpdate() : select).executeTakeFirst();
    if (!current) throw notFound("run", runId);
    if (
      request === "resume" &&
      current.erased_reason !== null &&
      current.erased_reason !== undefined
    )
      throw hirewireError("CONFLICT", "runErased", { runId, reason: current.erased_reason });
    const status = current.status as RunRecord["status"];
    let query = trx.updateTable("runs").where("id", "=", runId);
    if (request === "cancel") {
      if (FINAL_STATUSES.has(status))
        throw hirewireError("CONFLICT", "runFinished", { runId, status });
      // A waiting run is made due now so its cancel does not wait for the wake-up time.
      query = query.set({ request, updated_at: now });
      if (status === "waiting") query = query.set({ wake_at: now });
    } else {
      if (status !== "failed" && status !== "blocked") {
        throw hirewireError("CONFLICT", "notResumable", { runId, status });
      }
      query = query.set({
        request,
        status: "queued",
        wake_at: null,
        finished_at: null,
        updated_at: now,
      });
    }
    const row = await query.returningAll().executeTakeFirstOrThrow();
    await announceDue(ctx, trx);
    return toRun(ctx, row);
  });
}
