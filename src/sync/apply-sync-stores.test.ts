// Applying a sync run from two store instances on one database at once (as two processes would:
// the API in one, the sync schedule in another): the hires are created once, one applier gets
// `alreadyApplied: true`. On a SQLite file and on PostgreSQL.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createRunState } from "../engine/machine.ts";
import { SecretCipher } from "../secrets/index.ts";
import { openPostgresStore, openSqliteStore, type Store } from "../store/index.ts";
import { createTestSchema } from "../store/postgres/test-database.ts";
import { applySyncRun, getAppliedSync } from "./index.ts";

async function finishedSyncRun(store: Store, users: Array<{ email: string }>): Promise<string> {
  const integration = await store.createIntegration({
    name: `Directory ${randomBytes(4).toString("hex")}`,
    manifest: { action: "create", execute: [{ url: "https://dir.example/users" }] },
  });
  const { run } = await store.createRun({ integrationId: integration.id, block: "sync" });
  await store.claimRuns({ owner: "test", now: Date.now(), leaseMs: 60_000, limit: 10 });
  await store.checkpoint({
    runId: run.id,
    owner: "test",
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
  return run.id;
}

async function applyFromBoth(stores: Store[]): Promise<void> {
  const users = Array.from({ length: 40 }, (_, i) => ({ email: `user${i}@example.test` }));
  const runId = await finishedSyncRun(stores[0]!, users);
  const outcomes = await Promise.all(
    stores.flatMap((store) => [applySyncRun(store, runId), applySyncRun(store, runId)]),
  );
  expect(outcomes.filter((outcome) => !outcome.alreadyApplied)).toHaveLength(1);
  for (const outcome of outcomes) expect(outcome.applied).toMatchObject({ runId, created: 40 });
  for (const store of stores) {
    expect((await store.listHires({ limit: 500 })).items).toHaveLength(40);
    expect(await getAppliedSync(store, runId)).toEqual(outcomes[0]!.applied);
  }
}

describe("applying a sync run from two store instances at once", () => {
  const cipher = new SecretCipher(randomBytes(32));

  it("SQLite file: the hires are created once", async () => {
    const dir = await mkdtemp(join(tmpdir(), "hirewire-apply-"));
    const file = join(dir, "hirewire.sqlite");
    const stores = [await openSqliteStore({ file, cipher })];
    stores.push(await openSqliteStore({ file, cipher }));
    try {
      await applyFromBoth(stores);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("PostgreSQL: the hires are created once", async () => {
    const db = await createTestSchema();
    const open = () => openPostgresStore({ url: db.url, schema: db.schema, cipher, max: 3 });
    const stores = [await open()];
    stores.push(await open());
    try {
      await applyFromBoth(stores);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
      await db.drop();
    }
  });
});
