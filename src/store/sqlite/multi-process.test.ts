// Real separate processes on one SQLite file: they race through migrations on a fresh file,
// then claim and checkpoint the same runs; every run must be driven by exactly one of them.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterEach, expect, it } from "vitest";
import { STATE_VERSION, type RunState } from "../../engine/index.ts";
import { SecretCipher } from "../../secrets/index.ts";
import { openSqliteStore } from "./open-sqlite-store.ts";

const WORKER = fileURLToPath(new URL("./claim-worker.fixture.ts", import.meta.url));
const dirs: string[] = [];
const children: ChildProcessWithoutNullStreams[] = [];

afterEach(async () => {
  // A failed assertion can leave workers waiting on stdin; end the ones this file started.
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill();
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** Starts a worker process and gives access to its stdout lines in order. */
function startWorker(file: string, key: Buffer, owner: string) {
  const child: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    ["--import", "tsx", WORKER, file, key.toString("base64"), owner],
    { stdio: "pipe" },
  );
  children.push(child);
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const nextLine = async (): Promise<string> => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`worker ${owner} ended early: ${stderr}`);
    return value;
  };
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, nextLine, exited, stderr: () => stderr };
}

it("gives each run to exactly one of three processes sharing the file", async () => {
  const dir = await mkdtemp(join(tmpdir(), "hirewire-procs-"));
  dirs.push(dir);
  const file = join(dir, "hirewire.sqlite");
  const key = randomBytes(32);
  const workers = ["p1", "p2", "p3"].map((owner) => startWorker(file, key, owner));
  expect(await Promise.all(workers.map((w) => w.nextLine()))).toEqual(["ready", "ready", "ready"]);

  const store = await openSqliteStore({ file, cipher: new SecretCipher(key) });
  const integration = await store.createIntegration({ name: "Shared", manifest: {} });
  const ids: string[] = [];
  for (let i = 0; i < 150; i++) {
    const id = `run_${String(i).padStart(3, "0")}`;
    const state: RunState = {
      version: STATE_VERSION,
      runId: id,
      status: "queued",
      step: 0,
      attempt: 0,
      pollAttempts: 0,
      retries: 0,
      responses: [],
      stored: {},
      files: {},
      generated: {},
    };
    ids.push(
      (await store.createRun({ id, integrationId: integration.id, block: "sync", state })).run.id,
    );
  }

  for (const worker of workers) worker.child.stdin.end("go\n");
  const driven = (await Promise.all(workers.map((w) => w.nextLine()))).map(
    (line) => JSON.parse(line) as string[],
  );
  const codes = await Promise.all(workers.map((w) => w.exited));
  expect(codes, workers.map((w) => w.stderr()).join("\n")).toEqual([0, 0, 0]);

  const all = driven.flat();
  expect(all.length).toBe(ids.length);
  expect(new Set(all)).toEqual(new Set(ids));
  const attempts = await Promise.all(ids.map((id) => store.listAttempts(id)));
  expect(attempts.every((list) => list.length === 1)).toBe(true);
  expect((await store.listRuns({ status: "succeeded", limit: 500 })).items).toHaveLength(
    ids.length,
  );
  await store.close();
});
