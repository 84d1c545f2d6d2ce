// The partial-file janitor on a real SQLite store and a real files folder: leftovers of runs that
// nobody holds go, partials of runs under a live lease (here or in another process) stay, and
// finished files are never touched.
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DiskFileStore } from "../files/index.ts";
import { SecretCipher } from "../secrets/index.ts";
import { openPostgresStore, openSqliteStore, type Store } from "../store/index.ts";
import { createTestSchema } from "../store/postgres/test-database.ts";
import { removeLeftoverPartials, sweepPartials } from "./partial-janitor.ts";

const NOW = 1_900_000_000_000;
let dir: string;
let store: Store;
let files: DiskFileStore;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "hirewire-janitor-"));
  store = await openSqliteStore({
    file: path.join(dir, "store.sqlite"),
    cipher: new SecretCipher(randomBytes(32)),
  });
  files = new DiskFileStore(path.join(dir, "files"));
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

/** A run leased by `owner` until `until` (or not leased when owner is null). */
async function runLeased(owner: string | null, until: number): Promise<string> {
  const integration = await store.createIntegration({
    name: `Directory ${Math.random()}`,
    manifest: { execute: [{ url: "https://example.test/users" }] },
    options: { idempotencyKeys: false },
  });
  const { run } = await store.createRun({ integrationId: integration.id, block: "execute" });
  if (owner === null) return run.id;
  const [claimed] = await store.claimRuns({ owner, now: until - 1_000, leaseMs: 1_000, limit: 1 });
  expect(claimed?.id).toBe(run.id);
  return run.id;
}

/** What a process killed mid-download leaves: a finished file and a `.partial` next to it. */
async function leftovers(runId: string): Promise<void> {
  await files.save(runId, "done.pdf", (async function* () {})(), {
    contentType: "application/pdf",
    maxBytes: 10,
  });
  await mkdir(path.join(files.rootDir, runId), { recursive: true });
  await writeFile(path.join(files.rootDir, runId, ".big.pdf.0b9e.partial"), "half a download");
}

async function namesOf(runId: string): Promise<string[]> {
  return (await readdir(path.join(files.rootDir, runId))).sort();
}

describe("sweepPartials", () => {
  it("removes partials of runs nobody holds and keeps those under a live lease or driven here", async () => {
    const otherProcess = await runLeased("other-process", NOW + 30_000);
    const expired = await runLeased("dead-process", NOW - 5_000);
    const idle = await runLeased(null, 0);
    const drivenHere = await runLeased(null, 0);
    for (const runId of [otherProcess, expired, idle, drivenHere, "run_deleted"])
      await leftovers(runId);

    const removed = await sweepPartials({
      files,
      store,
      now: NOW,
      isActive: (runId) => runId === drivenHere,
    });

    expect(removed.map((p) => p.runId).sort()).toEqual([expired, idle, "run_deleted"].sort());
    expect(removed[0]).toMatchObject({ size: "half a download".length });
    for (const runId of [expired, idle, "run_deleted"])
      expect(await namesOf(runId)).toEqual(["done.pdf"]);
    for (const runId of [otherProcess, drivenHere])
      expect(await namesOf(runId)).toEqual([".big.pdf.0b9e.partial", "done.pdf"]);
  });

  it("lists a save in progress as a partial, and removes a claimed run's leftovers on request", async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const saving = files.save(
      "run_live",
      "big.pdf",
      (async function* () {
        yield Buffer.from("first half");
        await gate;
        yield Buffer.from(", second half");
      })(),
      { contentType: "application/pdf", maxBytes: 100 },
    );
    for (let i = 0; i < 50 && (await files.listPartials("run_live")).length === 0; i++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    const [live] = await files.listPartials("run_live");
    expect(live?.ref).toMatch(/^run_live\/\.big\.pdf\..+\.partial$/);
    release();
    expect((await saving).size).toBe("first half, second half".length);
    expect(await files.listPartials()).toEqual([]);

    await leftovers("run_recovered");
    expect(await removeLeftoverPartials(files, "run_recovered")).toBe(1);
    expect(await namesOf("run_recovered")).toEqual(["done.pdf"]);
  });
});

describe("sweepPartials on PostgreSQL with another process holding a lease", () => {
  it("keeps the partial a live lease in another store instance writes, and removes it after the lease lapses", async () => {
    const db = await createTestSchema();
    const cipher = new SecretCipher(randomBytes(32));
    const open = () => openPostgresStore({ url: db.url, schema: db.schema, cipher, max: 2 });
    const janitor = await open();
    const worker = await open();
    try {
      const integration = await worker.createIntegration({
        name: "Directory",
        manifest: { execute: [{ url: "https://example.test/users" }] },
      });
      const { run } = await worker.createRun({ integrationId: integration.id, block: "execute" });
      const [claimed] = await worker.claimRuns({
        owner: "worker-process",
        now: NOW,
        leaseMs: 30_000,
        limit: 1,
      });
      expect(claimed?.id).toBe(run.id);
      await leftovers(run.id);
      const sweep = (now: number) =>
        sweepPartials({ files, store: janitor, now, isActive: () => false });

      expect(await sweep(NOW + 29_000)).toEqual([]);
      expect(await namesOf(run.id)).toEqual([".big.pdf.0b9e.partial", "done.pdf"]);
      // The worker renews its lease: still kept.
      expect(
        await worker.renewLease({
          runId: run.id,
          owner: "worker-process",
          now: NOW + 20_000,
          leaseMs: 30_000,
        }),
      ).toBe(true);
      expect(await sweep(NOW + 45_000)).toEqual([]);
      // The worker died: once its lease has lapsed, the partial is a leftover.
      expect((await sweep(NOW + 50_001)).map((partial) => partial.runId)).toEqual([run.id]);
      expect(await namesOf(run.id)).toEqual(["done.pdf"]);
    } finally {
      await janitor.close();
      await worker.close();
      await db.drop();
    }
  });
});
