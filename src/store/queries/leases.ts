// Leases and waits: which runs are due, who drives them, and when the next one becomes due.
// A lease is a (owner, expiry) pair on the run row; a driver that dies simply stops renewing it.
import { sql, type ExpressionBuilder, type Kysely } from "kysely";
import { hirewireError } from "../../errors/index.ts";
import { announceDue, write, type StoreContext } from "../context.ts";
import { decodeJson, toMillisOrNull } from "../json-codec.ts";
import type { ClaimedRun } from "../records.ts";
import type { Database } from "../schema.ts";
import type { ClaimResult, ClaimRunsInput, LeaseInput } from "../store.ts";
import { quarantineFaulty } from "./quarantine.ts";
import { toRun, type RunRow } from "./run-row.ts";

type RunsExpression = ExpressionBuilder<Database, "runs">;

function leaseFree(now: number) {
  return (eb: RunsExpression) =>
    eb.or([eb("lease_expires_at", "is", null), eb("lease_expires_at", "<=", now)]);
}

/**
 * A run is claimable from max(base, lease expiry), where base is the wake time of a waiting run
 * and the creation time otherwise. Plain CASE/COALESCE so every dialect runs it unchanged.
 */
const DUE_BASE = sql<number>`case when status = 'waiting' then coalesce(wake_at, created_at) else created_at end`;
const DUE_AT = sql<number>`case when lease_expires_at is not null and lease_expires_at > ${DUE_BASE}
    then lease_expires_at else ${DUE_BASE} end`;

/**
 * The three kinds of due run, each an index-friendly query of its own, in the order they are
 * served: crashed drivers' runs first (they have waited longest), then woken runs, then new ones.
 */
function dueQueries(trx: Kysely<Database>, now: number) {
  const base = trx.selectFrom("runs").select(["id", "status"]).where(leaseFree(now));
  return [
    base.where("status", "=", "running").orderBy("lease_expires_at").orderBy("id"),
    base
      .where("status", "=", "waiting")
      .where((eb) => eb.or([eb("wake_at", "is", null), eb("wake_at", "<=", now)]))
      .orderBy("wake_at")
      .orderBy("id"),
    base.where("status", "=", "queued").orderBy("created_at").orderBy("id"),
  ];
}

export async function claimRuns(ctx: StoreContext, input: ClaimRunsInput): Promise<ClaimedRun[]> {
  return (await claimDue(ctx, input)).runs;
}

/**
 * Claims like `claimRuns`; when fewer than `limit` runs were due, also tells the earliest time one
 * will be (`nextWakeAt`, read in the same transaction), so the scheduler needs no second look.
 */
export async function claimDue(ctx: StoreContext, input: ClaimRunsInput): Promise<ClaimResult> {
  if (input.limit <= 0) return { runs: [] };
  if (ctx.traits.name === "postgres") return claimInOneStatement(ctx, input);
  return write(ctx, async (trx) => {
    const picked: Array<{ id: string; status: string }> = [];
    for (const query of dueQueries(trx, input.now)) {
      const room = input.limit - picked.length;
      if (room <= 0) break;
      const limited = query.limit(room);
      // SQLite needs no row locks: the whole transaction holds the database's write lock.
      picked.push(
        ...(await (ctx.traits.skipLocked ? limited.forUpdate().skipLocked() : limited).execute()),
      );
    }
    if (picked.length === 0) return { runs: [], nextWakeAt: await nextDue(trx) };
    const ids = picked.map((p) => p.id);
    const rows = await trx
      .updateTable("runs")
      .set({ lease_owner: input.owner, lease_expires_at: input.now + input.leaseMs })
      .where("id", "in", ids)
      .returningAll()
      .execute();
    const byId = new Map(rows.map((row) => [row.id, row]));
    const claimed = picked.map((p) => ({
      ...toRun(ctx, byId.get(p.id)!),
      recovered: p.status === "running",
    }));
    await quarantineFaulty(ctx, trx, claimed);
    const runs = claimed.map((run) =>
      run.fault === undefined ? run : { ...run, leaseOwner: null, leaseExpiresAt: null },
    );
    return picked.length < input.limit ? { runs, nextWakeAt: await nextDue(trx) } : { runs };
  });
}

/** The order due runs are served in (see dueQueries). */
const KINDS = ["running", "waiting", "queued"];

/**
 * PostgreSQL: the claim as one statement instead of a transaction of up to five round trips. The
 * three kinds of due run are three locking CTEs read in order until `limit` rows are taken
 * (PostgreSQL reads a CTE only as far as it is pulled, so no row past the limit is locked), and
 * the UPDATE takes the lease of those. A row that cannot be trusted is then failed, its lease ours.
 */
async function claimInOneStatement(ctx: StoreContext, input: ClaimRunsInput): Promise<ClaimResult> {
  const { now, limit } = input;
  const free = sql`(lease_expires_at is null or lease_expires_at <= ${now})`;
  // The rows come back as one JSON array (bigints as numbers, jsonb columns as their values,
  // which is how the run row reads them too), beside the next due time when fewer than `limit`.
  const statement = sql<{ claimed: unknown; next_due: unknown }>`
    with r as (select id, status, lease_expires_at as k from runs
        where status = 'running' and ${free}
        order by lease_expires_at, id limit ${limit} for update skip locked),
      w as (select id, status, wake_at as k from runs
        where status = 'waiting' and ${free} and (wake_at is null or wake_at <= ${now})
        order by wake_at, id limit ${limit} for update skip locked),
      q as (select id, status, created_at as k from runs
        where status = 'queued' and ${free}
        order by created_at, id limit ${limit} for update skip locked),
      picked as (select * from r union all select * from w union all select * from q
        limit ${limit}),
      upd as (update runs set lease_owner = ${input.owner},
          lease_expires_at = ${now + input.leaseMs}
        from picked where runs.id = picked.id
        returning runs.*, picked.status as claimed_status, picked.k as claimed_key)
    select coalesce((select json_agg(upd) from upd), '[]'::json) as claimed,
      case when (select count(*) from upd) < ${limit} then
        (select min(${DUE_AT}) from runs where status in ('queued', 'waiting', 'running')
          and id not in (select id from upd))
      end as next_due`;
  let result: { claimed: unknown; next_due: unknown };
  try {
    result = (await statement.execute(ctx.db)).rows[0]!;
  } catch (error) {
    if (!ctx.traits.isDiskFull(error)) throw error;
    throw hirewireError("DISK_FULL", "database", { location: ctx.location }, { cause: error });
  }
  const rows = decodeJson<ClaimedRow[]>(result.claimed);
  // Served in the order the separate queries would have given them.
  const key = (row: ClaimedRow) => (row.claimed_key === null ? Infinity : Number(row.claimed_key));
  rows.sort(
    (a, b) =>
      KINDS.indexOf(a.claimed_status) - KINDS.indexOf(b.claimed_status) ||
      key(a) - key(b) ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  const claimed = rows.map(({ claimed_status, claimed_key: _key, ...row }) => ({
    ...toRun(ctx, row),
    recovered: claimed_status === "running",
  }));
  if (claimed.some((run) => run.fault !== undefined))
    await write(ctx, (trx) => quarantineFaulty(ctx, trx, claimed));
  const runs = claimed.map((run) =>
    run.fault === undefined ? run : { ...run, leaseOwner: null, leaseExpiresAt: null },
  );
  return rows.length < limit ? { runs, nextWakeAt: toMillisOrNull(result.next_due) } : { runs };
}

type ClaimedRow = RunRow & { claimed_status: string; claimed_key: unknown };

export async function renewLease(ctx: StoreContext, input: LeaseInput): Promise<boolean> {
  const result = await write(ctx, (trx) =>
    trx
      .updateTable("runs")
      .set({ lease_expires_at: input.now + input.leaseMs })
      .where("id", "=", input.runId)
      .where("lease_owner", "=", input.owner)
      .executeTakeFirst(),
  );
  return Number(result.numUpdatedRows) > 0;
}

export async function releaseLease(ctx: StoreContext, runId: string, owner: string): Promise<void> {
  await write(ctx, async (trx) => {
    const result = await trx
      .updateTable("runs")
      .set({ lease_owner: null, lease_expires_at: null })
      .where("id", "=", runId)
      .where("lease_owner", "=", owner)
      .executeTakeFirst();
    // An unfinished run let go is due again (or at its wake time): another driver may take it.
    if (Number(result.numUpdatedRows) > 0) await announceDue(ctx, trx);
  });
}

/** The earliest time a run will be due (see DUE_AT); null when none is pending. */
export async function nextWakeAt(ctx: StoreContext): Promise<number | null> {
  return nextDue(ctx.db);
}

async function nextDue(db: Kysely<Database>): Promise<number | null> {
  const row = await db
    .selectFrom("runs")
    .select(sql<number | null>`min(${DUE_AT})`.as("due"))
    .where("status", "in", ["queued", "waiting", "running"])
    .executeTakeFirst();
  return toMillisOrNull(row?.due);
}
