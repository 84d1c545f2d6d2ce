// Conformance cases for leases and waits: due runs, exclusive claims across store instances,
// recovery of runs whose driver died, and the next wake-up time.
import { describe, expect, it } from "vitest";
import { isHirewireError } from "../../errors/index.ts";
import type { Store } from "../store.ts";
import { caught, seed, stateFor, useStore, type StoreHarness } from "./harness.ts";

const T0 = 1_900_000_000_000;

async function queuedRuns(store: Store, count: number): Promise<string[]> {
  const { integration } = await seed(store);
  const ids: string[] = [];
  for (let i = 0; i < count; i++)
    ids.push((await store.createRun({ integrationId: integration.id, block: "sync" })).run.id);
  return ids;
}

/** Claims every due run at `now` and checkpoints each to `waiting` until its own wake time. */
async function parkAll(
  store: Store,
  now: number,
  wakeAt: (index: number) => number,
): Promise<void> {
  const claimed = await store.claimRuns({ owner: "parker", now, leaseMs: 60_000, limit: 100_000 });
  let index = 0;
  for (const run of claimed) {
    const at = wakeAt(index++);
    await store.checkpoint({
      runId: run.id,
      owner: "parker",
      state: stateFor(run.id, "waiting", { wakeAt: at }),
      status: "waiting",
      wakeAt: at,
      error: null,
      releaseLease: true,
    });
  }
}

export function leaseCases(harness: StoreHarness): void {
  describe("claims and leases", () => {
    const t = useStore(harness);

    it("counts runs by status and the due runs nobody has leased (monitoring)", async () => {
      const store = t.store();
      expect(await store.countRuns(T0)).toEqual({ byStatus: {}, due: 0 });
      const ids = await queuedRuns(store, 4);
      await parkAll(store, T0, (i) => (i === 0 ? T0 + 1_000 : T0 + 60_000));
      expect(await store.countRuns(T0)).toEqual({ byStatus: { waiting: 4 }, due: 0 });
      // One wakes at T0 + 1 s and is leased again (due for no one else); two new runs are queued.
      const integrationId = (await store.getRun(ids[0]!))!.integrationId;
      await store.createRun({ integrationId, block: "sync" });
      await store.createRun({ integrationId, block: "sync" });
      await store.claimRuns({ owner: "a", now: T0 + 2_000, leaseMs: 30_000, limit: 1 });
      const counts = await store.countRuns(T0 + 2_000);
      expect(counts.byStatus).toEqual({ waiting: 4, queued: 2 });
      expect(counts.due).toBe(2);
    });

    it("leases queued runs oldest first and skips runs whose lease is held", async () => {
      const store = t.store();
      const ids = await queuedRuns(store, 3);
      const first = await store.claimRuns({ owner: "a", now: T0, leaseMs: 30_000, limit: 2 });
      expect(first.map((r) => r.id)).toEqual(ids.slice(0, 2));
      expect(first[0]).toMatchObject({
        leaseOwner: "a",
        leaseExpiresAt: T0 + 30_000,
        recovered: false,
        status: "queued",
      });
      const second = await store.claimRuns({ owner: "b", now: T0 + 1, leaseMs: 30_000, limit: 5 });
      expect(second.map((r) => r.id)).toEqual([ids[2]]);
      expect(await store.claimRuns({ owner: "c", now: T0 + 2, leaseMs: 30_000, limit: 5 })).toEqual(
        [],
      );
      expect(await store.claimRuns({ owner: "c", now: T0 + 2, leaseMs: 30_000, limit: 0 })).toEqual(
        [],
      );
    });

    it("never gives one run to two store instances claiming at the same time", async () => {
      const a = t.store();
      const b = await t.env().open();
      const ids = await queuedRuns(a, 40);
      const taken = new Map<string, string>();
      for (let round = 0; round < 4; round++) {
        const claims = await Promise.all([
          a.claimRuns({ owner: "a", now: T0, leaseMs: 60_000, limit: 7 }),
          b.claimRuns({ owner: "b", now: T0, leaseMs: 60_000, limit: 7 }),
          a.claimRuns({ owner: "a", now: T0, leaseMs: 60_000, limit: 3 }),
          b.claimRuns({ owner: "b", now: T0, leaseMs: 60_000, limit: 3 }),
        ]);
        for (const run of claims.flat()) {
          expect(taken.has(run.id)).toBe(false);
          taken.set(run.id, run.leaseOwner!);
        }
      }
      expect([...taken.keys()].sort()).toEqual([...ids].sort());
      for (const [id, owner] of taken) expect((await b.getRun(id))?.leaseOwner).toBe(owner);
    });

    it("takes over a running run whose lease expired, flagged recovered, and locks out the old driver", async () => {
      const store = t.store();
      const [id] = await queuedRuns(store, 1);
      await store.claimRuns({ owner: "dead", now: T0, leaseMs: 10_000, limit: 1 });
      await store.checkpoint({
        runId: id!,
        owner: "dead",
        state: stateFor(id!, "running"),
        status: "running",
        wakeAt: null,
        error: null,
      });
      expect(
        await store.claimRuns({ owner: "new", now: T0 + 9_999, leaseMs: 10_000, limit: 1 }),
      ).toEqual([]);

      const [taken] = await store.claimRuns({
        owner: "new",
        now: T0 + 10_000,
        leaseMs: 10_000,
        limit: 1,
      });
      expect(taken).toMatchObject({ id, recovered: true, status: "running", leaseOwner: "new" });
      const late = await caught(() =>
        store.checkpoint({
          runId: id!,
          owner: "dead",
          state: stateFor(id!, "succeeded"),
          status: "succeeded",
          wakeAt: null,
          error: null,
        }),
      );
      expect(isHirewireError(late, "CONFLICT")).toBe(true);
      expect(
        await store.renewLease({ runId: id!, owner: "dead", now: T0 + 10_001, leaseMs: 10_000 }),
      ).toBe(false);
      expect((await store.getRun(id!))?.status).toBe("running");
    });

    it("renews and releases a lease only for its owner", async () => {
      const store = t.store();
      const [id] = await queuedRuns(store, 1);
      await store.claimRuns({ owner: "a", now: T0, leaseMs: 1_000, limit: 1 });
      expect(
        await store.renewLease({ runId: id!, owner: "a", now: T0 + 900, leaseMs: 1_000 }),
      ).toBe(true);
      expect((await store.getRun(id!))?.leaseExpiresAt).toBe(T0 + 1_900);
      expect(
        await store.claimRuns({ owner: "b", now: T0 + 1_500, leaseMs: 1_000, limit: 1 }),
      ).toEqual([]);

      await store.releaseLease(id!, "b");
      expect((await store.getRun(id!))?.leaseOwner).toBe("a");
      await store.releaseLease(id!, "a");
      expect(await store.getRun(id!)).toMatchObject({ leaseOwner: null, leaseExpiresAt: null });
      expect(
        (await store.claimRuns({ owner: "b", now: T0 + 1_500, leaseMs: 1_000, limit: 1 })).map(
          (r) => r.id,
        ),
      ).toEqual([id]);
      expect(
        await store.renewLease({ runId: "run_missing", owner: "b", now: T0, leaseMs: 1 }),
      ).toBe(false);
    });

    it("wakes waiting runs at their wake time, earliest first", async () => {
      const store = t.store();
      const ids = await queuedRuns(store, 3);
      await parkAll(store, T0, (i) => T0 + [3_000, 1_000, 2_000][i]!);
      expect(await store.claimRuns({ owner: "w", now: T0 + 999, leaseMs: 500, limit: 10 })).toEqual(
        [],
      );
      const woken = await store.claimRuns({ owner: "w", now: T0 + 2_000, leaseMs: 500, limit: 10 });
      expect(woken.map((r) => r.id)).toEqual([ids[1], ids[2]]);
      expect(woken.every((r) => !r.recovered && r.status === "waiting")).toBe(true);
    });

    it("tells the next wake-up time: null when idle, the past for queued work, wake times and leases otherwise", async () => {
      const store = t.store();
      expect(await store.nextWakeAt()).toBeNull();
      const [id, other] = await queuedRuns(store, 2);
      const queuedAt = (await store.getRun(id!))!.createdAt;
      expect(await store.nextWakeAt()).toBe(queuedAt);

      await parkAll(store, T0, (i) => T0 + (i + 1) * 60_000);
      expect(await store.nextWakeAt()).toBe(T0 + 60_000);
      // A leased waiting run is due when both its wake time and its lease have passed.
      await store.claimRuns({ owner: "x", now: T0 + 60_000, leaseMs: 90_000, limit: 1 });
      expect(await store.nextWakeAt()).toBe(T0 + 120_000);
      await store.checkpoint({
        runId: id!,
        owner: "x",
        state: stateFor(id!, "succeeded"),
        status: "succeeded",
        wakeAt: null,
        error: null,
      });
      expect(await store.nextWakeAt()).toBe(T0 + 120_000);
      await store.claimRuns({ owner: "x", now: T0 + 120_000, leaseMs: 1, limit: 1 });
      await store.checkpoint({
        runId: other!,
        owner: "x",
        state: stateFor(other!, "failed"),
        status: "failed",
        wakeAt: null,
        error: null,
      });
      expect(await store.nextWakeAt()).toBeNull();
    });

    it("claimDue tells the next wake-up time with a claim that took fewer runs than its limit", async () => {
      const store = t.store();
      expect(await store.claimDue({ owner: "d", now: T0, leaseMs: 500, limit: 5 })).toEqual({
        runs: [],
        nextWakeAt: null,
      });
      const ids = await queuedRuns(store, 3);
      await parkAll(store, T0, (i) => T0 + [3_000, 1_000, 2_000][i]!);
      expect(await store.claimDue({ owner: "d", now: T0 + 999, leaseMs: 500, limit: 5 })).toEqual({
        runs: [],
        nextWakeAt: T0 + 1_000,
      });
      // Full: nothing said about the next one.
      const full = await store.claimDue({ owner: "d", now: T0 + 2_000, leaseMs: 60_000, limit: 1 });
      expect(full.runs.map((r) => r.id)).toEqual([ids[1]]);
      expect(full.nextWakeAt).toBeUndefined();
      // Room left: the next one is the wake time of a run not claimed, not the lease just taken.
      const partial = await store.claimDue({
        owner: "d",
        now: T0 + 2_000,
        leaseMs: 60_000,
        limit: 5,
      });
      expect(partial.runs.map((r) => r.id)).toEqual([ids[2]]);
      expect(partial.nextWakeAt).toBe(T0 + 3_000);
      expect(await store.nextWakeAt()).toBe(T0 + 3_000);
    });

    // 20,000 write transactions to set up: the timeout allows for a busy machine.
    it("keeps 10,000 waiting runs as rows: nothing is due early and the next wake time is exact", async () => {
      const store = t.store();
      const count = 10_000;
      await queuedRuns(store, count);
      // Wake times spread over a day, the earliest one at T0 + 60 s.
      await parkAll(store, T0, (i) => T0 + 60_000 + ((i * 7_919) % count) * 8_000);
      expect((await store.listRuns({ status: "waiting", limit: 1 })).items).toHaveLength(1);
      expect(
        await store.claimRuns({ owner: "s", now: T0 + 59_999, leaseMs: 1_000, limit: 100 }),
      ).toEqual([]);
      expect(await store.nextWakeAt()).toBe(T0 + 60_000);
      const due = await store.claimRuns({
        owner: "s",
        now: T0 + 60_000 + 8_000 * 4,
        leaseMs: 1_000,
        limit: 100,
      });
      expect(due.map((r) => r.wakeAt)).toEqual([0, 1, 2, 3, 4].map((k) => T0 + 60_000 + k * 8_000));
    }, 120_000);
  });
}
