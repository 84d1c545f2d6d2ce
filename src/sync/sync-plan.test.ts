import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createRunState } from "../engine/machine.ts";
import type { RunStatus } from "../engine/types.ts";
import type { JsonValue } from "../manifest/types.ts";
import { SecretCipher } from "../secrets/index.ts";
import { openSqliteStore, type Store } from "../store/index.ts";
import {
  applySyncRun,
  getAppliedSync,
  planSync,
  readSyncResult,
  sameJson,
  screenSyncUsers,
} from "./index.ts";

let dir: string;
let store: Store;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "hirewire-sync-plan-"));
  store = await openSqliteStore({
    file: join(dir, "hirewire.db"),
    cipher: new SecretCipher(randomBytes(32)),
  });
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

type User = Record<string, JsonValue>;
const result = (
  users: User[],
  skipped: Array<{ page: number; index: number; reason: string }> = [],
) => ({
  users,
  skipped,
  pages: 1,
});

describe("screenSyncUsers", () => {
  it("keeps the first user per email (case-insensitive) and says why the others are left out", () => {
    const screened = screenSyncUsers(
      result(
        [
          { email: " Ada@Example.com ", first_name: "Ada" },
          { email: "ada@example.COM", first_name: "Ada again" },
          { first_name: "No email" },
          { email: "not-an-address" },
          { email: 42 },
          { email: "grace@example.com" },
        ],
        [{ page: 1, index: 3, reason: "name.first (for first_name) not found" }],
      ),
    );
    expect(screened.users).toEqual([
      { email: "Ada@Example.com", user: { email: "Ada@Example.com", first_name: "Ada" } },
      { email: "grace@example.com", user: { email: "grace@example.com" } },
    ]);
    expect(screened.skipped).toEqual([
      { page: 1, index: 3, reason: "name.first (for first_name) not found" },
      { email: "ada@example.COM", reason: "an earlier user in this sync has the same email" },
      { reason: 'the user has no "email"; map one with data_structure to match hires' },
      { email: "not-an-address", reason: '"not-an-address" is not an email address' },
      { reason: 'the user has no "email"; map one with data_structure to match hires' },
    ]);
  });
});

describe("planSync", () => {
  it("create: plans hires for new emails only", async () => {
    await store.createHire({ props: { email: "ada@example.com" } });
    const plan = await planSync(
      store,
      result([{ email: "ADA@example.com" }, { email: "grace@example.com", first_name: "Grace" }]),
      "create",
    );
    expect(plan).toMatchObject({
      action: "create",
      users: 2,
      unchanged: 1,
      update: [],
      skipped: [],
    });
    expect(plan.create).toEqual([{ email: "grace@example.com", first_name: "Grace" }]);
  });

  it("update: matches hires by email whatever the case and lists only fields that change", async () => {
    const ada = await store.createHire({ props: { email: "ada@example.com" } });
    const grace = await store.createHire({ props: { email: "Grace@Example.com" } });
    await store.setStoredField(ada.id, "title", "Engineer");
    await store.setStoredField(ada.id, "team", { id: 1, name: "Core" });
    await store.setStoredField(grace.id, "title", "Admiral");
    const plan = await planSync(
      store,
      result([
        { email: "ADA@EXAMPLE.COM", title: "Lead", team: { name: "Core", id: 1 } },
        { email: "grace@example.com", title: "Admiral" },
        { email: "linus@example.com", title: "Kernel" },
      ]),
      "update",
    );
    expect(plan.update).toEqual([
      { hireId: ada.id, email: "ADA@EXAMPLE.COM", fields: { title: "Lead" } },
    ]);
    expect(plan.unchanged).toBe(1);
    expect(plan.create).toEqual([]);
    expect(plan.skipped).toEqual([
      { email: "linus@example.com", reason: "no hire has this email" },
    ]);
  });
});

describe("readSyncResult and sameJson", () => {
  it("reads only the {users, skipped, pages} shape", () => {
    expect(readSyncResult({ users: [{ email: "a@b.co" }, 3], skipped: [], pages: 2 })).toEqual({
      users: [{ email: "a@b.co" }],
      skipped: [],
      incomplete: [],
      pages: 2,
    });
    expect(readSyncResult({ exists: true })).toBeUndefined();
    expect(readSyncResult(undefined)).toBeUndefined();
  });

  it("compares JSON by value, not key order", () => {
    expect(sameJson({ a: [1, { b: 2, c: 3 }] }, { a: [1, { c: 3, b: 2 }] })).toBe(true);
    expect(sameJson({ a: 1 }, { a: 1, b: null })).toBe(false);
    expect(sameJson([1, 2], [2, 1])).toBe(false);
    expect(sameJson("1", 1)).toBe(false);
  });
});

/** A sync run of a manifest with `action`, finished with `status` and `users` as its result. */
let integrations = 0;
async function finishedRun(action: "create" | "update", status: RunStatus, users: User[]) {
  integrations += 1;
  const integration = await store.createIntegration({
    name: `Directory ${integrations}`,
    manifest: { action, execute: [{ url: "https://dir.example/users" }], data_structure: {} },
  });
  const { run } = await store.createRun({
    integrationId: integration.id,
    hireId: null,
    block: "sync",
  });
  await store.claimRuns({ owner: "test", now: Date.now(), leaseMs: 60_000, limit: 10 });
  const state = { ...createRunState(run.id), status, result: { users, skipped: [], pages: 1 } };
  await store.checkpoint({
    runId: run.id,
    owner: "test",
    state,
    status,
    wakeAt: null,
    error: null,
    releaseLease: true,
  });
  return run.id;
}

describe("applySyncRun", () => {
  it("creates the hires once and records what it did", async () => {
    const runId = await finishedRun("create", "succeeded", [
      { email: "ada@example.com", first_name: "Ada" },
      { email: "ADA@example.com", first_name: "Dup" },
      { email: "grace@example.com" },
    ]);
    const first = await applySyncRun(store, runId, () => 1_700_000_000_000);
    expect(first).toEqual({
      alreadyApplied: false,
      applied: {
        runId,
        action: "create",
        created: 2,
        updated: 0,
        unchanged: 0,
        skipped: 1,
        appliedAt: 1_700_000_000_000,
      },
    });
    const [again, concurrent] = await Promise.all([
      applySyncRun(store, runId),
      applySyncRun(store, runId),
    ]);
    expect(again.alreadyApplied).toBe(true);
    expect(concurrent.alreadyApplied).toBe(true);
    expect((await store.listHires()).items).toHaveLength(2);
    expect(await getAppliedSync(store, runId)).toEqual(first.applied);
  });

  it("two runs applied at once never create the same hire twice", async () => {
    const users = Array.from({ length: 50 }, (_, i) => ({ email: `u${i}@example.com` }));
    const a = await finishedRun("create", "succeeded", users);
    const b = await finishedRun("create", "succeeded", users);
    const [ra, rb] = await Promise.all([applySyncRun(store, a), applySyncRun(store, b)]);
    expect(ra.applied.created + rb.applied.created).toBe(50);
    expect((await store.listHires({ limit: 500 })).items).toHaveLength(50);
  });

  it("update writes stored fields of matched hires", async () => {
    const hire = await store.createHire({ props: { email: "ada@example.com" } });
    const runId = await finishedRun("update", "succeeded", [
      { email: "Ada@Example.com", title: "Lead", floor: 3 },
    ]);
    const { applied } = await applySyncRun(store, runId);
    expect(applied).toMatchObject({ action: "update", updated: 1, created: 0 });
    const stored = await store.getStoredFields(hire.id);
    expect(stored.title?.value).toBe("Lead");
    expect(stored.floor?.value).toBe(3);
  });

  it("refuses runs that did not succeed, unknown runs, and non-sync runs", async () => {
    const failed = await finishedRun("create", "failed", []);
    await expect(applySyncRun(store, failed)).rejects.toMatchObject({
      code: "CONFLICT",
      message: `run ${failed} is failed; only a sync that succeeded can be applied`,
    });
    await expect(applySyncRun(store, "run_missing")).rejects.toMatchObject({ code: "NOT_FOUND" });
    const hire = await store.createHire({ props: { email: "ada@example.com" } });
    const integration = await store.createIntegration({
      name: "Accounts",
      manifest: { execute: [{ url: "https://x.example" }] },
    });
    const { run } = await store.createRun({
      integrationId: integration.id,
      hireId: hire.id,
      block: "execute",
    });
    await expect(applySyncRun(store, run.id)).rejects.toMatchObject({
      code: "CONFLICT",
      message: `run ${run.id} runs the execute block, not a sync`,
    });
    expect(await getAppliedSync(store, failed)).toBeUndefined();
  });
});
