// Part 5 (child process): the service as an operator deploys it, as real `hirewire` processes,
// against the bench target: one `hirewire serve` on an embedded SQLite store, then on PostgreSQL
// one `hirewire serve --no-worker` (the API) with 1, 2 and 4 `hirewire worker` processes. Each
// setup gets a fresh store, `BENCH_SCALE_RUNS` (1,000) hires, and then as many `POST /api/runs`
// at once (the same three-request workflow as Parts 2 and 4: POST, then GET until "done" twice);
// it reports runs/s from the first trigger until the last run finished, the time until every
// trigger was accepted, and p50/p99 of each run's time to finish (its `finished_at`).
// PostgreSQL: BENCH_PG_URL, default postgres://postgres@127.0.0.1:5432/test; each setup runs
// in a schema of its own, dropped at the end.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { Agent } from "undici";
import { reportToParent, startTargetProcess } from "./child.ts";
import { machineBusy, machineCpu, percentile } from "./stats.ts";
import { benchManifest, HIRE, TOKEN } from "./workload.ts";

export interface ScaleSetup {
  name: string;
  store: "sqlite" | "postgres";
  workers: number;
  runs: number;
  succeeded: number;
  runsPerSec: number;
  triggerSeconds: number;
  finishP50: number;
  finishP99: number;
  /** Share of the machine's CPU time (all cores) that was busy from the burst to the last run. */
  machineBusy: number;
}

export interface ScaleOutResult {
  setups: ScaleSetup[];
}

const RUNS = Number(process.env.BENCH_SCALE_RUNS ?? 1000);
/** Runs each setup drives before the measured burst (not counted), as DBOS's side does. */
const WARM_UP = Math.min(RUNS, Number(process.env.BENCH_SCALE_WARMUP ?? 300));
// Node flags for the hirewire processes only ("--cpu-prof --cpu-prof-dir=/tmp/prof" profiles them).
const NODE_ARGS = (process.env.BENCH_HIREWIRE_NODE_ARGS ?? "")
  .split(" ")
  .filter((arg) => arg !== "");
// Which PostgreSQL setups run, by worker count ("1,2,4"; "" runs the SQLite setup alone).
const PG_WORKERS = (process.env.BENCH_SCALE_PG_WORKERS ?? "1,2,4")
  .split(",")
  .filter((count) => count.trim() !== "")
  .map(Number);
const PG_URL = process.env.BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const ADMIN = "hw_bench_admin_token_scale_0123456789";
// dist-bench/bench/scale-out.js and bench/scale-out.ts: the package root is two or one up.
const ROOT = fileURLToPath(
  new URL(import.meta.url.endsWith(".ts") ? "../" : "../../", import.meta.url),
);
const BIN = join(ROOT, "bin", "hirewire.js");

/** Starts `hirewire ARGS`; resolves once its output matches `ready` (the URL, for serve). */
function startHirewire(
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(process.execPath, [...NODE_ARGS, BIN, ...args], {
    // The default log level, as an operator runs it (BENCH_SCALE_LOG_LEVEL=warn to leave logs out).
    env: { ...process.env, LOG_LEVEL: process.env.BENCH_SCALE_LOG_LEVEL ?? "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`hirewire ${args[0]} did not start: ${output}`)),
      30_000,
    );
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = ready.exec(output);
      if (match !== null) {
        clearTimeout(timer);
        resolve({ child, match });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`hirewire ${args[0]} exited with ${code}: ${output}`));
    });
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

type Api = (method: string, path: string, body?: unknown) => Promise<any>;

function client(url: string, agent: Agent): Api {
  const origin = new URL(url).origin;
  return async (method, path, body) => {
    const answer = await agent.request({
      origin,
      path,
      method: method as "GET",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await answer.body.text();
    if (answer.statusCode >= 300)
      throw new Error(`${method} ${path} answered ${answer.statusCode}: ${text}`);
    return text === "" ? undefined : JSON.parse(text);
  };
}

/** Every run of the integration: status and finished_at (ISO). */
async function listRuns(
  api: Api,
  integrationId: string,
): Promise<Array<{ status: string; finished_at: string | null }>> {
  const runs: Array<{ status: string; finished_at: string | null }> = [];
  let cursor: string | null = null;
  do {
    const page: { items: typeof runs; next_cursor: string | null } = await api(
      "GET",
      `/api/runs?integration_id=${integrationId}&limit=500${cursor !== null ? `&cursor=${cursor}` : ""}`,
    );
    runs.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor !== null);
  return runs;
}

/** One setup: hires, then every trigger at once, then wait until each run has finished. */
async function measure(
  name: string,
  url: string,
  targetUrl: string,
  setup: Pick<ScaleSetup, "store" | "workers">,
): Promise<ScaleSetup> {
  const agent = new Agent({ connections: 64 });
  try {
    const api = client(url, agent);
    const manifest = benchManifest(2, 0.001) as Record<string, unknown>;
    manifest.initial_data_form = [
      { id: "TOKEN", name: "API token" },
      { id: "BASE_URL", name: "Base URL", secret: false },
    ];
    const integration = await api("POST", "/api/integrations", { name: "bench", manifest });
    const warmUp = await api("POST", "/api/integrations", { name: "bench warm-up", manifest });
    for (const { id } of [integration, warmUp])
      await api("PUT", `/api/integrations/${id}/secrets`, { TOKEN, BASE_URL: targetUrl });
    const hires: string[] = [];
    for (let i = 0; i < RUNS; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(50, RUNS - i) }, (_, j) =>
          api("POST", "/api/hires", { ...HIRE, email: `scale${i + j}@example.com` }),
        ),
      );
      hires.push(...batch.map((created: { hire: { id: string } }) => created.hire.id));
    }
    // Every process warmed up first (as DBOS's side is): the JIT of a process that has driven a
    // few dozen runs still compiles for most of a 1,000-run burst, and with four workers that
    // start-up cost, paid four times, was most of what a worker added.
    const idle = (integrationId: string) => async (): Promise<void> => {
      const path = `/api/runs?integration_id=${integrationId}&status=queued,running,waiting&limit=1`;
      while (((await api("GET", path)) as { items: unknown[] }).items.length > 0)
        await new Promise((resolve) => setTimeout(resolve, 100));
    };
    await Promise.all(
      hires
        .slice(0, WARM_UP)
        .map((hireId) => api("POST", "/api/runs", { integration_id: warmUp.id, hire_id: hireId })),
    );
    await idle(warmUp.id)();
    const started = Date.now();
    const cpuBefore = await machineCpu();
    await Promise.all(
      hires.map((hireId) =>
        api("POST", "/api/runs", { integration_id: integration.id, hire_id: hireId }),
      ),
    );
    const triggerSeconds = (Date.now() - started) / 1000;
    // Watching costs the service as little as it can: one unfinished run asked for per look
    // (DBOS's side awaits its handles in-process), every run listed once at the end.
    await idle(integration.id)();
    const cpuAfter = await machineCpu();
    const runs = await listRuns(api, integration.id);
    const finish = runs.map((run) => Date.parse(run.finished_at!) - started);
    const last = Math.max(...finish);
    return {
      name,
      ...setup,
      runs: runs.length,
      succeeded: runs.filter((run) => run.status === "succeeded").length,
      runsPerSec: runs.length / (last / 1000),
      triggerSeconds,
      finishP50: percentile(finish, 50),
      finishP99: percentile(finish, 99),
      machineBusy: machineBusy(cpuBefore, cpuAfter),
    };
  } finally {
    await agent.close();
  }
}

/** A schema of its own on the bench's PostgreSQL server; `drop` removes it. */
async function freshSchema(): Promise<{ url: string; drop: () => Promise<void> }> {
  const schema = `hirewire_bench_${randomBytes(5).toString("hex")}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const url = new URL(PG_URL);
  url.searchParams.set("options", `-c search_path=${schema}`);
  return {
    url: url.href,
    drop: async () => {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.end();
    },
  };
}

const SERVING = /hirewire is running at (http:\/\/\S+)/;
const WORKING = /hirewire worker is running/;

await reportToParent(async (): Promise<ScaleOutResult> => {
  const target = await startTargetProcess();
  const setups: ScaleSetup[] = [];
  const base = {
    HIREWIRE_ADMIN_TOKEN: ADMIN,
    HIREWIRE_SECRET_KEY: randomBytes(32).toString("base64"),
    HIREWIRE_SANDBOX: "off",
    HOST: "127.0.0.1",
    PORT: "0",
  };
  try {
    // The embedded store: one process does it all.
    const dataDir = await mkdtemp(join(tmpdir(), "hirewire-bench-scale-"));
    const serve = await startHirewire(["serve"], { ...base, HIREWIRE_DATA: dataDir }, SERVING);
    try {
      setups.push(
        await measure("SQLite, one `hirewire serve`", serve.match[1]!, target.url, {
          store: "sqlite",
          workers: 1,
        }),
      );
    } finally {
      await stop(serve.child);
      await rm(dataDir, { recursive: true, force: true });
    }

    // PostgreSQL: an API process and N workers, nothing shared but the database.
    for (const workers of PG_WORKERS) {
      const db = await freshSchema();
      const dirs: string[] = [];
      const children: ChildProcess[] = [];
      try {
        const env = { ...base, HIREWIRE_DATABASE_URL: db.url };
        const dir = async (): Promise<string> => {
          const made = await mkdtemp(join(tmpdir(), "hirewire-bench-scale-"));
          dirs.push(made);
          return made;
        };
        const api = await startHirewire(
          ["serve", "--no-worker"],
          { ...env, HIREWIRE_DATA: await dir() },
          SERVING,
        );
        children.push(api.child);
        for (let i = 0; i < workers; i += 1) {
          const worker = await startHirewire(
            ["worker"],
            { ...env, HIREWIRE_DATA: await dir() },
            WORKING,
          );
          children.push(worker.child);
        }
        setups.push(
          await measure(
            `PostgreSQL, API + ${workers} worker${workers === 1 ? "" : "s"}`,
            api.match[1]!,
            target.url,
            { store: "postgres", workers },
          ),
        );
      } finally {
        await Promise.all(children.map(stop));
        await db.drop();
        for (const made of dirs) await rm(made, { recursive: true, force: true });
      }
    }
  } finally {
    target.child.kill();
  }
  return { setups };
});
