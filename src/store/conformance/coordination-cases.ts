// Conformance cases for what several processes on one store must do once: named locks, and a
// batch of hire changes applied at most once per key, whichever store instance asks first.
import { describe, expect, it } from "vitest";
import type { Store } from "../store.ts";
import { withLock } from "../named-lock.ts";
import { useStore, type StoreHarness } from "./harness.ts";

const T0 = 1_900_000_000_000;

function batch(key: string, emails: string[]) {
  return {
    key,
    create: emails.map((email) => ({ email })),
    update: [],
    record: (done: { created: number; updated: number }) => ({ ...done, by: key }),
  };
}

export function coordinationCases(harness: StoreHarness): void {
  describe("locks and once-only batches", () => {
    const t = useStore(harness);

    it("a lock has one holder across store instances until it is released or lapses", async () => {
      const a = t.store();
      const b = await t.env().open();
      const lock = { name: "oauth-refresh:int_1", now: T0, leaseMs: 10_000 };
      expect(await a.takeLock({ ...lock, owner: "a" })).toBe(true);
      expect(await b.takeLock({ ...lock, owner: "b" })).toBe(false);
      // The holder extends it; another name is free.
      expect(await a.takeLock({ ...lock, owner: "a", now: T0 + 5_000 })).toBe(true);
      expect(await b.takeLock({ ...lock, owner: "b", now: T0 + 10_000 })).toBe(false);
      expect(await b.takeLock({ ...lock, name: "first-start", owner: "b" })).toBe(true);
      // Releasing by someone else does nothing; by the holder frees it.
      await b.releaseLock(lock.name, "b");
      expect(await b.takeLock({ ...lock, owner: "b", now: T0 + 6_000 })).toBe(false);
      await a.releaseLock(lock.name, "a");
      expect(await b.takeLock({ ...lock, owner: "b", now: T0 + 6_000 })).toBe(true);
      // A holder that stopped extending loses it when its time has passed.
      expect(await a.takeLock({ ...lock, owner: "a", now: T0 + 16_000 })).toBe(true);
      expect(await b.takeLock({ ...lock, owner: "b", now: T0 + 17_000 })).toBe(false);
    });

    it("withLock runs one holder at a time across store instances", async () => {
      const stores: Store[] = [t.store(), await t.env().open(), await t.env().open()];
      let inside = 0;
      let most = 0;
      const order: number[] = [];
      await Promise.all(
        stores.flatMap((store, s) =>
          [0, 1].map((i) =>
            withLock(store, "once", async () => {
              inside += 1;
              most = Math.max(most, inside);
              await new Promise((resolve) => setTimeout(resolve, 5));
              order.push(s * 10 + i);
              inside -= 1;
            }),
          ),
        ),
      );
      expect(most).toBe(1);
      expect(order.sort()).toEqual([0, 1, 10, 11, 20, 21]);
    });

    it("applies a batch of hire changes once per key, across store instances at once", async () => {
      const a = t.store();
      const b = await t.env().open();
      const emails = Array.from({ length: 20 }, (_, i) => `u${i}@example.test`);
      const [first, second] = await Promise.all([
        a.applyHireChanges(batch("sync.applied.run_1", emails)),
        b.applyHireChanges(batch("sync.applied.run_1", emails)),
      ]);
      expect([first.applied, second.applied].sort()).toEqual([false, true]);
      expect(first.record).toEqual({ created: 20, updated: 0, by: "sync.applied.run_1" });
      expect(second.record).toEqual(first.record);
      expect((await a.listHires({ limit: 100 })).items).toHaveLength(20);
      expect(await b.getSetting("sync.applied.run_1")).toEqual(first.record);
    });

    it("skips hires whose email is taken and hires that are gone; writes stored fields", async () => {
      const store = t.store();
      const ada = await store.createHire({ props: { email: "Ada@Example.test" } });
      const gone = await store.createHire({ props: { email: "gone@example.test" } });
      await store.deleteHire(gone.id);
      const outcome = await store.applyHireChanges({
        key: "batch.1",
        create: [{ email: "ada@example.test" }, { email: "grace@example.test", first_name: "G" }],
        update: [
          { hireId: ada.id, fields: { title: "Lead", floor: 3 } },
          { hireId: gone.id, fields: { title: "x" } },
        ],
        record: (done) => done,
      });
      expect(outcome).toEqual({ applied: true, record: { created: 1, updated: 1 } });
      expect((await store.findHireByEmail("grace@example.test"))?.props).toEqual({
        email: "grace@example.test",
        first_name: "G",
      });
      const fields = await store.getStoredFields(ada.id);
      expect(fields.title?.value).toBe("Lead");
      expect(fields.floor?.value).toBe(3);
    });

    it("two different batches at once never create the same hire twice", async () => {
      const a = t.store();
      const b = await t.env().open();
      const emails = Array.from({ length: 30 }, (_, i) => `p${i}@example.test`);
      const [one, two] = await Promise.all([
        a.applyHireChanges(batch("k1", emails)),
        b.applyHireChanges(batch("k2", emails)),
      ]);
      expect(one.applied && two.applied).toBe(true);
      const created = (one.record as { created: number }).created;
      expect(created + (two.record as { created: number }).created).toBe(30);
      expect((await a.listHires({ limit: 100 })).items).toHaveLength(30);
    });
  });
}
