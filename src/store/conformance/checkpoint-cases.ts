// Conformance cases for checkpoints: run row, attempt and stored fields in one transaction,
// guarded by the lease; and secrets that never reach the database in plaintext.
import { describe, expect, it } from "vitest";
import { isHirewireError } from "../../errors/index.ts";
import type { RunRecord } from "../records.ts";
import type { CheckpointInput, Store } from "../store.ts";
import { caught, seed, stateFor, useStore, type StoreHarness } from "./harness.ts";

const NOW = 1_900_000_000_000;

async function leasedRun(store: Store): Promise<{ run: RunRecord; hireId: string }> {
  const { integration, hire } = await seed(store);
  await store.createRun({ integrationId: integration.id, hireId: hire.id, block: "execute" });
  const [run] = await store.claimRuns({ owner: "driver-1", now: NOW, leaseMs: 60_000, limit: 1 });
  return { run: run!, hireId: hire.id };
}

function attemptAt(step: number, attempt: number) {
  return {
    step,
    attempt,
    startedAt: NOW + step * 1000 + attempt,
    durationMs: 12,
    record: {
      request: { method: "POST", url: "https://example.test/users" },
      response: { status: 201 },
    },
  };
}

/** Everything a checkpoint could have touched, to compare before and after a failed one. */
async function snapshot(store: Store, runId: string, hireId: string) {
  return {
    run: await store.getRun(runId),
    attempts: await store.listAttempts(runId),
    fields: await store.getStoredFields(hireId),
  };
}

export function checkpointCases(harness: StoreHarness): void {
  describe("checkpoints", () => {
    const t = useStore(harness);

    it("encrypts the stored fields the driver marks sensitive and shows their masked view", async () => {
      const store = t.store();
      const { run, hireId } = await leasedRun(store);
      await store.checkpoint({
        runId: run.id,
        owner: "driver-1",
        state: stateFor(run.id, "running", { step: 1 }),
        status: "running",
        wakeAt: null,
        error: null,
        storedFields: {
          hireId,
          fields: { user_id: 7, auth: "Bearer tok-123456" },
          shown: { auth: "Bearer ***TOKEN***" },
        },
      });
      const fields = await store.getStoredFields(hireId);
      expect(fields.auth).toMatchObject({ value: "Bearer ***TOKEN***", sensitive: true });
      expect(fields.user_id).toMatchObject({ value: 7, sensitive: false });
      expect((await store.getStoredValues(hireId)).auth).toEqual({
        value: "Bearer tok-123456",
        shown: "Bearer ***TOKEN***",
        sensitive: true,
        runId: run.id,
      });
    });

    it("keeps an attempt's duration in whole milliseconds and its record as measured", async () => {
      const store = t.store();
      const { run } = await leasedRun(store);
      const record = { request: { method: "GET" }, durationMs: 17.41 };
      await store.checkpoint({
        runId: run.id,
        owner: "driver-1",
        state: stateFor(run.id, "running", { step: 1 }),
        status: "running",
        wakeAt: null,
        error: null,
        attempt: { ...attemptAt(0, 1), durationMs: 17.41, record },
      });
      const [attempt] = await store.listAttempts(run.id);
      expect(attempt).toMatchObject({ durationMs: 17, record });
    });

    it("writes the run, its attempt and the step's stored fields together", async () => {
      const store = t.store();
      const { run, hireId } = await leasedRun(store);
      const state = stateFor(run.id, "running", {
        step: 1,
        attempt: 1,
        responses: [{ id: 7 }],
        stored: { user_id: 7 },
      });
      const saved = await store.checkpoint({
        runId: run.id,
        owner: "driver-1",
        state,
        status: "running",
        wakeAt: null,
        error: null,
        attempt: attemptAt(0, 1),
        storedFields: { hireId, fields: { user_id: 7, profile: { admin: false } } },
      });
      expect(saved).toMatchObject({
        status: "running",
        state,
        leaseOwner: "driver-1",
        finishedAt: null,
      });
      expect(await store.getRun(run.id)).toEqual(saved);
      const fields = await store.getStoredFields(hireId);
      expect(fields.user_id).toMatchObject({ value: 7, runId: run.id, sensitive: false });
      expect(fields.profile?.value).toEqual({ admin: false });

      const failure = {
        code: "HTTP_STATUS" as const,
        message: "The server answered 500.",
        step: 1,
      };
      const finished = await store.checkpoint({
        runId: run.id,
        owner: "driver-1",
        state: stateFor(run.id, "failed", { step: 1, error: failure }),
        status: "failed",
        wakeAt: null,
        error: failure,
        attempt: attemptAt(1, 1),
        releaseLease: true,
      });
      expect(finished).toMatchObject({
        status: "failed",
        error: failure,
        leaseOwner: null,
        leaseExpiresAt: null,
      });
      expect(finished.finishedAt).not.toBeNull();
      const attempts = await store.listAttempts(run.id);
      expect(attempts.map((a) => [a.seq, a.step, a.attempt])).toEqual([
        [1, 0, 1],
        [2, 1, 1],
      ]);
      expect(attempts[0]).toMatchObject({ runId: run.id, ...attemptAt(0, 1) });
      expect(await store.listAttempts("run_missing")).toEqual([]);
    });

    it("with a wrong owner throws CONFLICT and changes nothing", async () => {
      const store = t.store();
      const { run, hireId } = await leasedRun(store);
      const before = await snapshot(store, run.id, hireId);
      const error = await caught(() =>
        store.checkpoint({
          runId: run.id,
          owner: "driver-2",
          state: stateFor(run.id, "succeeded"),
          status: "succeeded",
          wakeAt: null,
          error: null,
          attempt: attemptAt(0, 1),
          storedFields: { hireId, fields: { user_id: 1 } },
        }),
      );
      expect(isHirewireError(error, "CONFLICT")).toBe(true);
      expect((error as Error).message).toMatch(/lease .* was lost/);
      expect(await snapshot(store, run.id, hireId)).toEqual(before);
      const missing = await caught(() =>
        store.checkpoint({ ...baseInput("run_missing"), owner: "driver-1" }),
      );
      expect(isHirewireError(missing, "NOT_FOUND")).toBe(true);
    });

    it("rolls back the run row and attempt when a stored field fails to save", async () => {
      const store = t.store();
      const { run, hireId } = await leasedRun(store);
      const before = await snapshot(store, run.id, hireId);
      // The run update and the attempt insert succeed; the stored field then violates the
      // foreign key to hires, so the database itself must undo the first two writes.
      const error = await caught(() =>
        store.checkpoint({
          ...baseInput(run.id),
          attempt: attemptAt(0, 1),
          storedFields: { hireId: "hire_missing", fields: { user_id: 1 } },
        }),
      );
      expect(isHirewireError(error, "CONFLICT")).toBe(true);
      expect(await snapshot(store, run.id, hireId)).toEqual(before);

      const unencodable = await caught(() =>
        store.checkpoint({
          ...baseInput(run.id),
          attempt: attemptAt(0, 1),
          storedFields: { hireId, fields: { ok: 1, big: 10n as unknown as number } },
        }),
      );
      expect(isHirewireError(unencodable, "INPUT_INVALID")).toBe(true);
      expect(await snapshot(store, run.id, hireId)).toEqual(before);
      expect((await store.checkpoint(baseInput(run.id))).status).toBe("succeeded");
    });

    it("clears a pending request only when it is the one acted on", async () => {
      const store = t.store();
      const { run } = await leasedRun(store);
      await store.requestRun(run.id, "cancel", NOW);
      const kept = await store.checkpoint({
        ...baseInput(run.id),
        status: "running",
        clearRequest: "resume",
      });
      expect(kept.request).toBe("cancel");
      const cleared = await store.checkpoint({
        ...baseInput(run.id),
        status: "cancelled",
        clearRequest: "cancel",
      });
      expect(cleared).toMatchObject({ request: null, status: "cancelled" });
    });

    it("saveCheckpoint writes the same as checkpoint and answers the request pending after it", async () => {
      const store = t.store();
      const { run, hireId } = await leasedRun(store);
      const state = stateFor(run.id, "running", { step: 1, stored: { user_id: 7 } });
      const first = await store.saveCheckpoint({
        ...baseInput(run.id),
        state,
        status: "running",
        attempt: attemptAt(0, 1),
        storedFields: {
          hireId,
          fields: { user_id: 7, auth: "Bearer tok-123456" },
          shown: { auth: "Bearer ***TOKEN***" },
        },
        leaseUntil: NOW + 5_000,
      });
      expect(first).toEqual({ request: null });
      expect(await store.getRun(run.id)).toMatchObject({
        status: "running",
        state,
        leaseOwner: "driver-1",
        leaseExpiresAt: NOW + 5_000,
      });
      expect((await store.getStoredValues(hireId)).auth).toMatchObject({
        value: "Bearer tok-123456",
        sensitive: true,
        runId: run.id,
      });

      // A cancel asked for while the run is driven is seen in the next checkpoint's answer; a
      // request it clears is the one acted on only.
      await store.requestRun(run.id, "cancel", NOW);
      const seen = await store.saveCheckpoint({
        ...baseInput(run.id),
        status: "running",
        attempt: attemptAt(1, 1),
        clearRequest: "resume",
      });
      expect(seen).toEqual({ request: "cancel" });
      const cleared = await store.saveCheckpoint({
        ...baseInput(run.id),
        status: "cancelled",
        clearRequest: "cancel",
        releaseLease: true,
      });
      expect(cleared).toEqual({ request: null });
      expect(await store.getRun(run.id)).toMatchObject({
        status: "cancelled",
        request: null,
        leaseOwner: null,
      });
      expect((await store.listAttempts(run.id)).map((a) => [a.seq, a.step])).toEqual([
        [1, 0],
        [2, 1],
      ]);

      // Not the lease holder: nothing is written, whichever way the checkpoint is asked for.
      const before = await snapshot(store, run.id, hireId);
      const lost = await caught(() =>
        store.saveCheckpoint({
          ...baseInput(run.id),
          attempt: attemptAt(2, 1),
          storedFields: { hireId, fields: { user_id: 8 } },
        }),
      );
      expect(isHirewireError(lost, "CONFLICT")).toBe(true);
      expect(await snapshot(store, run.id, hireId)).toEqual(before);
      const missing = await caught(() => store.saveCheckpoint(baseInput("run_missing")));
      expect(isHirewireError(missing, "NOT_FOUND")).toBe(true);
    });

    it("saveCheckpoint undoes the run row and attempt when a stored field fails to save", async () => {
      const store = t.store();
      const { run, hireId } = await leasedRun(store);
      const before = await snapshot(store, run.id, hireId);
      const error = await caught(() =>
        store.saveCheckpoint({
          ...baseInput(run.id),
          attempt: attemptAt(0, 1),
          storedFields: { hireId: "hire_missing", fields: { user_id: 1, other: 2 } },
        }),
      );
      expect(isHirewireError(error, "CONFLICT")).toBe(true);
      expect(await snapshot(store, run.id, hireId)).toEqual(before);
    });

    it("keeps generated values, secrets and sensitive stored fields out of the database's bytes", async () => {
      const env = t.env();
      const store = t.store();
      const { run, hireId } = await leasedRun(store);
      const secret = "sk_live_PLAINTEXT_SECRET_4d1f";
      const generated = "GeneratedPassword-PLAIN-93xq";
      await store.setSecret(run.integrationId, "API_KEY", secret);
      await store.checkpoint({
        ...baseInput(run.id),
        status: "running",
        state: stateFor(run.id, "running", { generated: { password: generated } }),
        storedFields: {
          hireId,
          fields: { user_id: 7, echoed: `Bearer ${secret}` },
          shown: { echoed: "Bearer ***API_KEY***" },
        },
      });
      expect((await store.getRun(run.id))?.state?.generated).toEqual({ password: generated });
      expect((await store.getStoredValues(hireId)).echoed?.value).toBe(`Bearer ${secret}`);
      expect(await store.getSecrets(run.integrationId)).toEqual({ API_KEY: secret });
      // A second store instance reads them too: the key, not the process, unlocks them.
      const other = await env.open();
      expect(await other.getSecrets(run.integrationId)).toEqual({ API_KEY: secret });

      const bytes = await env.rawBytes();
      expect(bytes.includes(Buffer.from("user_id"))).toBe(true);
      expect(bytes.includes(Buffer.from(secret))).toBe(false);
      expect(bytes.includes(Buffer.from(generated))).toBe(false);
    });
  });
}

function baseInput(runId: string): CheckpointInput {
  return {
    runId,
    owner: "driver-1",
    state: stateFor(runId, "succeeded"),
    status: "succeeded",
    wakeAt: null,
    error: null,
  };
}
