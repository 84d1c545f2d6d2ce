// Conformance cases for runs: creation with idempotency keys, reading, listing and requests.
import { describe, expect, it } from "vitest";
import { isHirewireError } from "../../errors/index.ts";
import type { Store } from "../store.ts";
import { caught, seed, stateFor, useStore, type StoreHarness } from "./harness.ts";

/** Moves a fresh run to `status` the way a driver would: claim it, checkpoint it, let go. */
async function driveTo(
  store: Store,
  runId: string,
  status: "waiting" | "failed" | "succeeded",
  wakeAt: number | null = null,
) {
  const claimed = await store.claimRuns({
    owner: "setup",
    now: Date.now(),
    leaseMs: 60_000,
    limit: 1000,
  });
  expect(claimed.map((r) => r.id)).toContain(runId);
  for (const run of claimed.filter((r) => r.id !== runId))
    await store.releaseLease(run.id, "setup");
  return store.checkpoint({
    runId,
    owner: "setup",
    state: stateFor(runId, status),
    status,
    wakeAt,
    error:
      status === "failed" ? { code: "HTTP_STATUS", message: "The server answered 500." } : null,
    releaseLease: true,
  });
}

export function runCases(harness: StoreHarness): void {
  describe("runs", () => {
    const t = useStore(harness);

    it("creates a queued run and reads it back", async () => {
      const store = t.store();
      const { integration, hire } = await seed(store);
      const { run, created } = await store.createRun({
        integrationId: integration.id,
        hireId: hire.id,
        block: "execute",
        params: { team: "core", seats: 2 },
      });
      expect(created).toBe(true);
      expect(run).toMatchObject({
        integrationId: integration.id,
        hireId: hire.id,
        block: "execute",
        status: "queued",
        params: { team: "core", seats: 2 },
        state: null,
        error: null,
        idempotencyKey: null,
        wakeAt: null,
        leaseOwner: null,
        request: null,
        finishedAt: null,
      });
      expect(await store.getRun(run.id)).toEqual(run);
      expect(await store.getRun("run_missing")).toBeUndefined();
    });

    it("keeps a given id and initial state, generated values included", async () => {
      const store = t.store();
      const { integration } = await seed(store);
      const state = stateFor("run_given", "queued", { generated: { password: "Gen-3r4ted!" } });
      const { run } = await store.createRun({
        id: "run_given",
        integrationId: integration.id,
        block: "sync",
        state,
      });
      expect(run.id).toBe("run_given");
      expect((await store.getRun("run_given"))?.state).toEqual(state);
    });

    it("answers NOT_FOUND for a missing integration or hire", async () => {
      const store = t.store();
      const { integration } = await seed(store);
      const noIntegration = await caught(() =>
        store.createRun({ integrationId: "int_missing", block: "sync" }),
      );
      expect(isHirewireError(noIntegration, "NOT_FOUND")).toBe(true);
      expect((noIntegration as Error).message).toContain("int_missing");
      const noHire = await caught(() =>
        store.createRun({
          integrationId: integration.id,
          hireId: "hire_missing",
          block: "execute",
        }),
      );
      expect(isHirewireError(noHire, "NOT_FOUND")).toBe(true);
      expect((noHire as Error).message).toContain("hire_missing");
      expect((await store.listRuns()).items).toEqual([]);
    });

    it("reads what a run start needs in one call, each part as its own read returns it", async () => {
      const store = t.store();
      const { integration, hire } = await seed(store);
      await store.setSecret(integration.id, "TOKEN", "t0k3n ünïcode");
      await store.setSecret(integration.id, "BASE_URL", "https://example.test");
      await store.setStoredField(hire.id, "team", { id: 7, name: "core" });
      await store.setStoredField(hire.id, "a_note", "plain text");
      await store.setStoredField(hire.id, "password", "S3cret!", { shown: "********" });
      const inputs = await store.getRunInputs(integration.id, hire.id);
      expect(inputs.integration).toEqual(await store.getIntegration(integration.id));
      expect(inputs.hire).toEqual(await store.getHire(hire.id));
      const values = await store.getStoredValues(hire.id);
      expect(inputs.storedValues).toEqual(values);
      expect(Object.keys(inputs.storedValues)).toEqual(Object.keys(values));
      expect(inputs.secrets()).toEqual(await store.getSecrets(integration.id));

      const none = await store.getRunInputs("int_missing", "hire_missing");
      expect(none).toMatchObject({ integration: undefined, hire: undefined, storedValues: {} });
      expect(none.secrets()).toEqual({});
      await store.deleteIntegration(integration.id);
      const deleted = await store.getRunInputs(integration.id, hire.id);
      expect(deleted.integration).toBeUndefined();
      expect(deleted.hire).toEqual(await store.getHire(hire.id));
    });

    it("returns the existing run when an idempotency key is used again", async () => {
      const store = t.store();
      const { integration, hire } = await seed(store);
      const other = await store.createIntegration({ name: "Other", manifest: {} });
      const input = {
        integrationId: integration.id,
        hireId: hire.id,
        block: "execute" as const,
        idempotencyKey: "hire-7",
      };
      const first = await store.createRun(input);
      const again = await store.createRun({ ...input, params: { different: true } });
      expect(again).toEqual({ run: first.run, created: false });
      const elsewhere = await store.createRun({ ...input, integrationId: other.id });
      expect(elsewhere.created).toBe(true);
      const keyless = [
        await store.createRun({ ...input, idempotencyKey: null }),
        await store.createRun({ ...input, idempotencyKey: undefined }),
      ];
      expect(keyless.every((r) => r.created)).toBe(true);
      expect((await store.listRuns()).items).toHaveLength(4);
    });

    it("finds a run by its integration and idempotency key", async () => {
      const store = t.store();
      const { integration, hire } = await seed(store);
      const other = await store.createIntegration({ name: "Other", manifest: {} });
      const input = { integrationId: integration.id, hireId: hire.id, block: "execute" as const };
      await store.createRun({ ...input, idempotencyKey: null });
      const keyed = await store.createRun({ ...input, idempotencyKey: "hire-7" });
      await store.createRun({ ...input, idempotencyKey: "hire-8" });
      const elsewhere = await store.createRun({
        ...input,
        integrationId: other.id,
        idempotencyKey: "hire-7",
      });
      expect(await store.findRunByIdempotencyKey(integration.id, "hire-7")).toEqual(keyed.run);
      expect(await store.findRunByIdempotencyKey(other.id, "hire-7")).toEqual(elsewhere.run);
      expect(await store.findRunByIdempotencyKey(integration.id, "hire-9")).toBeUndefined();
      expect(await store.findRunByIdempotencyKey("int_missing", "hire-7")).toBeUndefined();
    });

    it("creates one run when two stores race with the same idempotency key", async () => {
      const a = t.store();
      const b = await t.env().open();
      const { integration } = await seed(a);
      const input = {
        integrationId: integration.id,
        block: "sync" as const,
        idempotencyKey: "nightly-2024-05-01",
      };
      const results = await Promise.all([
        a.createRun(input),
        b.createRun(input),
        a.createRun(input),
        b.createRun(input),
      ]);
      expect(new Set(results.map((r) => r.run.id)).size).toBe(1);
      expect(results.filter((r) => r.created)).toHaveLength(1);
    });

    it("lists runs newest first, filtered and paged", async () => {
      const store = t.store();
      const { integration, hire } = await seed(store);
      const other = await store.createHire({ props: { email: "other@x.test" } });
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const hireId = i % 2 === 0 ? hire.id : other.id;
        ids.push(
          (await store.createRun({ integrationId: integration.id, hireId, block: "execute" })).run
            .id,
        );
      }
      await driveTo(store, ids[1]!, "succeeded");

      const all: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await store.listRuns({ limit: 2, cursor });
        all.push(...page.items.map((r) => r.id));
        cursor = page.nextCursor;
      } while (cursor !== null);
      expect(all).toEqual([...ids].reverse());

      expect((await store.listRuns({ hireId: other.id })).items.map((r) => r.id)).toEqual([
        ids[3],
        ids[1],
      ]);
      expect((await store.listRuns({ status: "succeeded" })).items.map((r) => r.id)).toEqual([
        ids[1],
      ]);
      expect(
        (await store.listRuns({ status: ["queued", "succeeded"], hireId: other.id })).items,
      ).toHaveLength(2);
      expect((await store.listRuns({ integrationId: "int_other" })).items).toEqual([]);
      expect((await store.listRuns({ status: [] })).items).toEqual([]);
    });

    it("records a cancel request and makes a waiting run due now", async () => {
      const store = t.store();
      const { integration } = await seed(store);
      const { run } = await store.createRun({ integrationId: integration.id, block: "sync" });
      await driveTo(store, run.id, "waiting", Date.now() + 3_600_000);
      const now = Date.now();
      const cancelled = await store.requestRun(run.id, "cancel", now);
      expect(cancelled).toMatchObject({ request: "cancel", status: "waiting", wakeAt: now });
      const claimed = await store.claimRuns({ owner: "d", now, leaseMs: 1000, limit: 10 });
      expect(claimed.map((r) => [r.id, r.request])).toEqual([[run.id, "cancel"]]);
    });

    it("resumes only failed or blocked runs, and cancels only unfinished ones", async () => {
      const store = t.store();
      const { integration } = await seed(store);
      const failed = (await store.createRun({ integrationId: integration.id, block: "sync" })).run;
      const done = (await store.createRun({ integrationId: integration.id, block: "sync" })).run;
      const queued = (await store.createRun({ integrationId: integration.id, block: "sync" })).run;
      await driveTo(store, failed.id, "failed");
      await driveTo(store, done.id, "succeeded");

      const resumed = await store.requestRun(failed.id, "resume", Date.now());
      expect(resumed).toMatchObject({
        status: "queued",
        request: "resume",
        finishedAt: null,
        wakeAt: null,
      });
      expect(
        isHirewireError(await caught(() => store.requestRun(queued.id, "resume", 1)), "CONFLICT"),
      ).toBe(true);
      expect(
        isHirewireError(await caught(() => store.requestRun(done.id, "cancel", 1)), "CONFLICT"),
      ).toBe(true);
      expect(
        isHirewireError(
          await caught(() => store.requestRun("run_missing", "cancel", 1)),
          "NOT_FOUND",
        ),
      ).toBe(true);
      expect((await store.requestRun(queued.id, "cancel", 1)).request).toBe("cancel");
    });
  });
}
