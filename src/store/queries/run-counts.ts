// Counts of runs for monitoring (/metrics): how many runs are in each status, and how many are
// due now but not yet leased by any process (the queue a worker has not picked up yet).
import { sql } from "kysely";
import type { RunStatus } from "../../engine/index.ts";
import type { StoreContext } from "../context.ts";
import type { RunCounts } from "../store.ts";

export async function countRuns(ctx: StoreContext, now: number): Promise<RunCounts> {
  const rows = await ctx.db
    .selectFrom("runs")
    .select(["status", sql<number | string>`count(*)`.as("count")])
    .groupBy("status")
    .execute();
  const byStatus: Partial<Record<RunStatus, number>> = {};
  for (const row of rows) byStatus[row.status as RunStatus] = Number(row.count);
  // The same three kinds of due run claimRuns serves: queued, woken, and abandoned by a driver.
  const due = await ctx.db
    .selectFrom("runs")
    .select(sql<number | string>`count(*)`.as("count"))
    .where((eb) => eb.or([eb("lease_expires_at", "is", null), eb("lease_expires_at", "<=", now)]))
    .where((eb) =>
      eb.or([
        eb("status", "in", ["queued", "running"]),
        eb.and([
          eb("status", "=", "waiting"),
          eb.or([eb("wake_at", "is", null), eb("wake_at", "<=", now)]),
        ]),
      ]),
    )
    .executeTakeFirst();
  return { byStatus, due: Number(due?.count ?? 0) };
}
