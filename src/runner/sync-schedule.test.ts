import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createRunState } from "../engine/machine.ts";
import { SecretCipher } from "../secrets/index.ts";
import { openSqliteStore, type Store } from "../store/index.ts";
import { getAppliedSync } from "../sync/index.ts";
import { SCHEDULE_KEY_PREFIX, SyncSchedule } from "./sync-schedule.ts";

let dir: string;
let store: Store;
let notified = 0;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "hirewire-sync-schedule-"));
  store = await openSqliteStore({
    file: join(dir, "hirewire.db"),
    cipher: new SecretCipher(randomBytes(32)),
  });
  notified = 0;
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const syncManifest = (schedule?: string) => ({
  action: "create",
  execute: [{ url: "https://dir.example/users", method: "GET" }],
  data_structure: { email: "mail" },
  ...(schedule !== undefined ? { schedule } : {}),
});

function schedule(): SyncSchedule {
  return new SyncSchedule({ store, notify: () => (notified += 1), applyEveryMs: 20 });
}

describe("SyncSchedule.tick", () => {
  it("starts runs only for sync integrations whose schedule matches the minute", async () => {
    const weekdays = await store.createIntegration({
      name: "Weekdays 6:00",
      manifest: syncManifest("0 6 * * 1-5"),
    });
    await store.createIntegration({ name: "No schedule", manifest: syncManifest() });
    await store.createIntegration({
      name: "Provisioning",
      manifest: { execute: [{ url: "https://x.example" }], schedule: "0 6 * * *" },
    });
    const sync = schedule();
    // 2025-03-03 is a Monday, 2025-03-02 a Sunday.
    expect((await sync.tick(new Date(2025, 2, 2, 6, 0))).started).toEqual([]);
    expect((await sync.tick(new Date(2025, 2, 3, 6, 1))).started).toEqual([]);
    expect(notified).toBe(0);
    const tick = await sync.tick(new Date(2025, 2, 3, 6, 0, 42));
    expect(tick.started).toEqual([{ integrationId: weekdays.id, runId: expect.any(String) }]);
    expect(notified).toBe(1);
    const run = await store.getRun(tick.started[0]!.runId);
    expect(run).toMatchObject({
      block: "sync",
      hireId: null,
      status: "queued",
      idempotencyKey: `${SCHEDULE_KEY_PREFIX}${new Date(2025, 2, 3, 6, 0).toISOString()}`,
    });
  });

  it("ignores a stored schedule croner cannot read", async () => {
    await store.createIntegration({ name: "Broken", manifest: syncManifest("61 * * * *") });
    expect(await schedule().tick(new Date(2025, 2, 3, 6, 0))).toEqual({ started: [], skipped: [] });
  });
});

describe("SyncSchedule.start", () => {
  it("applies a scheduled run that finished while no schedule was running, and stops cleanly", async () => {
    const integration = await store.createIntegration({
      name: "Nightly",
      manifest: syncManifest("0 2 * * *"),
    });
    const { run } = await store.createRun({
      integrationId: integration.id,
      hireId: null,
      block: "sync",
      idempotencyKey: `${SCHEDULE_KEY_PREFIX}2025-03-03T02:00:00.000Z`,
    });
    await store.claimRuns({ owner: "old-process", now: Date.now(), leaseMs: 60_000, limit: 5 });
    const users = [{ email: "ada@example.com" }, { email: "grace@example.com" }];
    await store.checkpoint({
      runId: run.id,
      owner: "old-process",
      state: {
        ...createRunState(run.id),
        status: "succeeded",
        result: { users, skipped: [], pages: 1 },
      },
      status: "succeeded",
      wakeAt: null,
      error: null,
      releaseLease: true,
    });
    const sync = schedule();
    sync.start();
    let applied = await getAppliedSync(store, run.id);
    for (let i = 0; applied === undefined && i < 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      applied = await getAppliedSync(store, run.id);
    }
    await sync.stop();
    expect(applied).toMatchObject({ runId: run.id, action: "create", created: 2 });
    expect((await store.listHires()).items).toHaveLength(2);
  });
});
