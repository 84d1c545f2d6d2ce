// Scheduled syncs with several processes on one PostgreSQL database: three real processes tick
// the same minutes at the same moment, and each due integration gets exactly one sync run per
// minute (the run's idempotency key `schedule:<minute>` is unique per integration).
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, expect, it } from "vitest";
import { createRunState } from "../engine/machine.ts";
import { SecretCipher } from "../secrets/index.ts";
import { openPostgresStore, type Store } from "../store/index.ts";
import { createTestSchema, type TestSchema } from "../store/postgres/test-database.ts";
import { SCHEDULE_KEY_PREFIX } from "./sync-schedule.ts";

const TICKER = fileURLToPath(new URL("../../test/support/sync-tick.fixture.ts", import.meta.url));
const children: ChildProcessWithoutNullStreams[] = [];
let db: TestSchema | undefined;
let store: Store | undefined;
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill();
  await store?.close();
  await db?.drop();
});

function startTicker(url: string, key: Buffer) {
  const child = spawn(process.execPath, ["--import", "tsx", TICKER, url, key.toString("base64")], {
    stdio: "pipe",
  });
  children.push(child);
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const nextLine = async (): Promise<string> => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`ticker ended early: ${stderr}`);
    return value;
  };
  return { child, nextLine };
}

const syncManifest = (schedule: string) => ({
  action: "create",
  execute: [{ url: "https://dir.example/users", method: "GET" }],
  data_structure: { email: "mail" },
  schedule,
});

it(
  "starts exactly one sync per due integration and minute across three processes",
  { timeout: 60_000 },
  async () => {
    db = await createTestSchema();
    const key = randomBytes(32);
    store = await openPostgresStore({ url: db.urlWithSchema, cipher: new SecretCipher(key) });
    const everyMinute = await store.createIntegration({
      name: "Every minute",
      manifest: syncManifest("* * * * *"),
    });
    const evenMinutes = await store.createIntegration({
      name: "Even minutes",
      manifest: syncManifest("*/2 * * * *"),
    });
    const tickers = [1, 2, 3].map(() => startTicker(db!.urlWithSchema, key));
    expect(await Promise.all(tickers.map((t) => t.nextLine()))).toEqual([
      "ready",
      "ready",
      "ready",
    ]);

    const minutes = [0, 1, 2, 3].map((m) => new Date(Date.UTC(2025, 2, 3, 6, m, 7)));
    for (const minute of minutes) {
      // The same minute to all three at once; seconds differ as clocks would.
      for (const ticker of tickers) ticker.child.stdin.write(`${minute.toISOString()}\n`);
      const started = (await Promise.all(tickers.map((t) => t.nextLine()))).flatMap(
        (line) => JSON.parse(line) as string[],
      );
      const expected =
        minute.getUTCMinutes() % 2 === 0 ? [everyMinute.id, evenMinutes.id] : [everyMinute.id];
      expect(started.sort()).toEqual(expected.sort());
      // Finish this minute's runs, so the next minute is not skipped as "still running".
      const claimed = await store.claimRuns({
        owner: "test",
        now: Date.now(),
        leaseMs: 60_000,
        limit: 10,
      });
      expect(claimed).toHaveLength(expected.length);
      for (const run of claimed)
        await store.checkpoint({
          runId: run.id,
          owner: "test",
          state: { ...createRunState(run.id), status: "failed" },
          status: "failed",
          wakeAt: null,
          error: { code: "INTERNAL", message: "not driven in this test" },
          releaseLease: true,
        });
    }
    for (const ticker of tickers) ticker.child.stdin.write("end\n");

    const runs = (await store.listRuns({ limit: 100 })).items;
    expect(runs).toHaveLength(6);
    const keys = runs.map((run) => `${run.integrationId} ${run.idempotencyKey}`);
    expect(new Set(keys).size).toBe(6);
    expect(runs.every((run) => run.idempotencyKey?.startsWith(SCHEDULE_KEY_PREFIX))).toBe(true);
  },
);
