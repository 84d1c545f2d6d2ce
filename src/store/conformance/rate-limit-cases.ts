// Conformance cases for integrations' shared rate limits: the token bucket, the cap on requests
// in flight (across store instances, with leases that free a dead holder's slot), and a 429's
// pause and slower rate, recovering with later answers.
import { describe, expect, it } from "vitest";
import type { RateLimit } from "../records.ts";
import type { Store } from "../store.ts";
import { seed, stateFor, useStore, type StoreHarness } from "./harness.ts";

const T0 = 1_900_000_000_000;

async function integrationWith(store: Store, rateLimit: RateLimit): Promise<string> {
  const { integration } = await seed(store);
  await store.updateIntegration(integration.id, {
    options: { ...integration.options, rateLimit },
  });
  return integration.id;
}

export function rateLimitCases(harness: StoreHarness): void {
  describe("rate limits", () => {
    const t = useStore(harness);

    it("keeps the rate limit among an integration's options", async () => {
      const store = t.store();
      const limit = { requestsPerSecond: 2.5, burst: 3, maxInFlight: 4 };
      const id = await integrationWith(store, limit);
      expect((await store.getIntegration(id))!.options.rateLimit).toEqual(limit);
    });

    it("grants one request per token: a burst, then one each 1/rate seconds", async () => {
      const store = t.store();
      const limit = { requestsPerSecond: 5, burst: 2 };
      const integrationId = await integrationWith(store, limit);
      const acquire = (slot: string, now: number) =>
        store.acquireRateSlot({ integrationId, limit, slot, now, leaseMs: 120_000 });
      expect(await acquire("a", T0)).toEqual({ granted: true });
      expect(await acquire("b", T0)).toEqual({ granted: true });
      // The bucket is empty: the next token comes 200 ms later; nothing was taken by asking.
      expect(await acquire("c", T0)).toEqual({ granted: false, retryAt: T0 + 200, reason: "rate" });
      expect(await acquire("c", T0 + 100)).toEqual({
        granted: false,
        retryAt: T0 + 200,
        reason: "rate",
      });
      expect(await acquire("c", T0 + 200)).toEqual({ granted: true });
      // A quiet spell refills no more than the burst.
      expect(await acquire("d", T0 + 60_000)).toEqual({ granted: true });
      expect(await acquire("e", T0 + 60_000)).toEqual({ granted: true });
      expect((await acquire("f", T0 + 60_000)).granted).toBe(false);
      const state = await store.getRateLimitState(integrationId, T0 + 60_000);
      expect(state).toMatchObject({ rate: 5, pausedUntil: null, inFlight: 5, throttled: 0 });
    });

    it("caps requests in flight across store instances until a slot is given back", async () => {
      const first = t.store();
      const second = await t.env().open();
      const limit = { maxInFlight: 2 };
      const integrationId = await integrationWith(first, limit);
      const input = (slot: string, now = T0) => ({
        integrationId,
        limit,
        slot,
        now,
        leaseMs: 60_000,
      });
      expect(await first.acquireRateSlot(input("a"))).toEqual({ granted: true });
      expect(await second.acquireRateSlot(input("b"))).toEqual({ granted: true });
      const refused = await first.acquireRateSlot(input("c"));
      expect(refused).toMatchObject({ granted: false, reason: "in_flight" });
      await second.releaseRateSlot({ integrationId, limit, slot: "b", now: T0 + 10 });
      expect(await first.acquireRateSlot(input("c", T0 + 10))).toEqual({ granted: true });
      expect((await second.getRateLimitState(integrationId, T0 + 10))!.inFlight).toBe(2);
    });

    it("frees the slot of a holder that never gave it back once its lease ends", async () => {
      const store = t.store();
      const limit = { maxInFlight: 1 };
      const integrationId = await integrationWith(store, limit);
      const acquire = (slot: string, now: number) =>
        store.acquireRateSlot({ integrationId, limit, slot, now, leaseMs: 5_000 });
      expect(await acquire("dead", T0)).toEqual({ granted: true });
      const refused = await acquire("next", T0 + 4_999);
      // Asked again at the latest when the dead holder's lease ends.
      expect(refused).toMatchObject({ granted: false, reason: "in_flight" });
      expect(refused.granted === false && refused.retryAt <= T0 + 5_000).toBe(true);
      expect(await acquire("next", T0 + 5_000)).toEqual({ granted: true });
      expect((await store.getRateLimitState(integrationId, T0 + 5_000))!.inFlight).toBe(1);
    });

    it("pauses for a 429's Retry-After, halves the rate, and recovers with later answers", async () => {
      const first = t.store();
      const second = await t.env().open();
      const limit = { requestsPerSecond: 10, maxInFlight: 5 };
      const integrationId = await integrationWith(first, limit);
      const acquire = (store: Store, slot: string, now: number) =>
        store.acquireRateSlot({ integrationId, limit, slot, now, leaseMs: 60_000 });
      expect(await acquire(first, "a", T0)).toEqual({ granted: true });
      await first.releaseRateSlot({
        integrationId,
        limit,
        slot: "a",
        now: T0 + 50,
        throttled: { retryAfterMs: 1_000 },
      });
      // Every process waits out the pause.
      expect(await acquire(second, "b", T0 + 500)).toEqual({
        granted: false,
        retryAt: T0 + 1_050,
        reason: "paused",
      });
      expect(await first.getRateLimitState(integrationId, T0 + 500)).toMatchObject({
        rate: 5,
        pausedUntil: T0 + 1_050,
        throttled: 1,
      });
      // One request when the pause ends, then the halved pace (one each 200 ms).
      expect(await acquire(second, "b", T0 + 1_050)).toEqual({ granted: true });
      expect(await acquire(second, "c", T0 + 1_050)).toEqual({
        granted: false,
        retryAt: T0 + 1_250,
        reason: "rate",
      });
      // Each answer that is not a 429 gives a tenth of the configured rate back, up to all of it.
      let now = T0 + 1_100;
      await second.releaseRateSlot({ integrationId, limit, slot: "b", now });
      expect((await first.getRateLimitState(integrationId, now))!.rate).toBeCloseTo(6);
      for (let i = 0; i < 6; i++) {
        now += 1_000;
        expect(await acquire(first, `r${i}`, now)).toEqual({ granted: true });
        await first.releaseRateSlot({ integrationId, limit, slot: `r${i}`, now });
      }
      expect((await first.getRateLimitState(integrationId, now))!.rate).toBe(10);
    });

    it("halves the rate once for 429s to requests sent together, down to a floor", async () => {
      const store = t.store();
      const limit = { requestsPerSecond: 16, burst: 3 };
      const integrationId = await integrationWith(store, limit);
      for (const slot of ["a", "b", "c"])
        await store.acquireRateSlot({ integrationId, limit, slot, now: T0, leaseMs: 60_000 });
      for (const slot of ["a", "b", "c"])
        await store.releaseRateSlot({
          integrationId,
          limit,
          slot,
          now: T0 + 10,
          throttled: { retryAfterMs: null },
        });
      expect(await store.getRateLimitState(integrationId, T0 + 10)).toMatchObject({
        rate: 8,
        pausedUntil: null,
        throttled: 3,
        inFlight: 0,
      });
      let now = T0 + 10;
      for (let i = 0; i < 10; i++) {
        now += 1_000;
        await store.acquireRateSlot({ integrationId, limit, slot: `x${i}`, now, leaseMs: 1 });
        await store.releaseRateSlot({
          integrationId,
          limit,
          slot: `x${i}`,
          now,
          throttled: { retryAfterMs: null },
        });
      }
      expect((await store.getRateLimitState(integrationId, now))!.rate).toBe(1);
    });

    it("holds a run handed back during a long pause until the pause ends", async () => {
      const store = t.store();
      const { integration } = await seed(store);
      const { run } = await store.createRun({ integrationId: integration.id, block: "execute" });
      await store.claimRuns({ owner: "a", now: T0, leaseMs: 60_000, limit: 1 });
      await store.checkpoint({
        runId: run.id,
        owner: "a",
        state: stateFor(run.id, "running"),
        status: "running",
        wakeAt: null,
        error: null,
        releaseLease: true,
        heldUntil: T0 + 30_000,
      });
      expect(await store.nextWakeAt()).toBe(T0 + 30_000);
      const other = await t.env().open();
      expect(await other.claimRuns({ owner: "b", now: T0 + 29_999, leaseMs: 1, limit: 9 })).toEqual(
        [],
      );
      const claimed = await other.claimRuns({ owner: "b", now: T0 + 30_000, leaseMs: 1, limit: 9 });
      expect(claimed.map((r) => [r.id, r.recovered])).toEqual([[run.id, true]]);
    });

    it("has no state for an integration whose limit was never used, nor once it is deleted", async () => {
      const store = t.store();
      const limit = { requestsPerSecond: 1 };
      const integrationId = await integrationWith(store, limit);
      expect(await store.getRateLimitState(integrationId, T0)).toBeUndefined();
      await store.acquireRateSlot({ integrationId, limit, slot: "a", now: T0, leaseMs: 1_000 });
      expect(await store.getRateLimitState(integrationId, T0)).toBeDefined();
      await store.deleteIntegration(integrationId);
      expect(await store.getRateLimitState(integrationId, T0)).toBeUndefined();
    });
  });
}
