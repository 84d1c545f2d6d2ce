// Setting aside a run row that cannot be trusted: the claim that finds it fails the run in the
// same transaction (status failed, the fault as its error, no lease, not due), so it is never
// claimed again and every other due run goes on. The damaged columns are left as they are, for
// whoever looks into it.
import type { Kysely } from "kysely";
import type { StoreContext } from "../context.ts";
import { encodeJson } from "../json-codec.ts";
import type { RunRecord } from "../records.ts";
import type { Database } from "../schema.ts";

/** Fails the faulty runs among `runs` (inside the caller's write transaction). */
export async function quarantineFaulty(
  ctx: StoreContext,
  trx: Kysely<Database>,
  runs: RunRecord[],
): Promise<void> {
  const now = ctx.now();
  for (const run of runs) {
    if (run.fault === undefined) continue;
    await trx
      .updateTable("runs")
      .set({
        status: "failed",
        error: encodeJson(run.fault, "run error"),
        wake_at: null,
        lease_owner: null,
        lease_expires_at: null,
        request: null,
        updated_at: now,
        finished_at: now,
      })
      .where("id", "=", run.id)
      .execute();
  }
}
