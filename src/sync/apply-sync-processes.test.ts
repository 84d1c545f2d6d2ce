// Applying one sync run from three OS processes at the same moment (as the API and the sync
// schedules of other processes could): exactly one applies it, the others get
// `alreadyApplied: true`, and every hire exists once. On PostgreSQL and on one SQLite file.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { createRunState } from "../engine/machine.ts";
import { SecretCipher } from "../secrets/index.ts";
import { openPostgresStore, openSqliteStore, type Store } from "../store/index.ts";
import { createTestSchema } from "../store/postgres/test-database.ts";

const APPLIER = fileURLToPath(new URL("./apply-sync.fixture.ts", import.meta.url));
const USERS = 60;
const children: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill();
});

function startApplier(where: string, key: Buffer, runId: string) {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", APPLIER, where, key.toString("base64"), runId],
    { stdio: "pipe" },
  );
  children.push(child);
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const nextLine = async (): Promise<string> => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`applier ended early: ${stderr}`);
    return value;
  };
  return { child, nextLine };
}

async function finishedSyncRun(store: Store): Promise<string> {
  const integration = await store.createIntegration({
    name: "Directory",
    manifest: { action: "create", execute: [{ url: "https://dir.example/users" }] },
  });
  const { run } = await store.createRun({ integrationId: integration.id, block: "sync" });
  await store.claimRuns({ owner: "test", now: Date.now(), leaseMs: 60_000, limit: 10 });
  const users = Array.from({ length: USERS }, (_, i) => ({ email: `user${i}@example.test` }));
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

async function raceApplies(store: Store, where: string, key: Buffer): Promise<void> {
  const runId = await finishedSyncRun(store);
  const appliers = [1, 2, 3].map(() => startApplier(where, key, runId));
  expect(await Promise.all(appliers.map((a) => a.nextLine()))).toEqual(["ready", "ready", "ready"]);
  for (const applier of appliers) applier.child.stdin.write("go\n");
  const outcomes = (await Promise.all(appliers.map((a) => a.nextLine()))).map(
    (line) => JSON.parse(line) as { alreadyApplied: boolean; created: number },
  );
  expect(outcomes.filter((outcome) => !outcome.alreadyApplied)).toHaveLength(1);
  expect(outcomes.map((outcome) => outcome.created)).toEqual([USERS, USERS, USERS]);
  expect((await store.listHires({ limit: 500 })).items).toHaveLength(USERS);
}

describe("one sync run applied by three processes at once", () => {
  it("PostgreSQL", { timeout: 60_000 }, async () => {
    const db = await createTestSchema();
    const key = randomBytes(32);
    const store = await openPostgresStore({ url: db.urlWithSchema, cipher: new SecretCipher(key) });
    try {
      await raceApplies(store, db.urlWithSchema, key);
    } finally {
      await store.close();
      await db.drop();
    }
  });

  it("SQLite", { timeout: 60_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), "hirewire-apply-processes-"));
    const file = join(dir, "hirewire.sqlite");
    const key = randomBytes(32);
    const store = await openSqliteStore({ file, cipher: new SecretCipher(key) });
    try {
      await raceApplies(store, file, key);
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
