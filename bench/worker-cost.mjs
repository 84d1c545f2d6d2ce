// What a worker spends per run of the bench's three-request workflow (not run by `npm run bench`):
// CPU seconds of the worker processes (from /proc/PID/stat) over a burst of triggers, divided by
// the runs, and with `count` the SQL statements they sent per run. Build first (`npm run build`
// and `npx tsc -p bench/tsconfig.json`), then from the package root:
//   node bench/worker-cost.mjs pg|sqlite WORKERS RUNS [count]
// BENCH_WORKER_NODE_ARGS: node flags for the worker processes only (a CPU profile, say).
// pg: `hirewire serve --no-worker` and WORKERS `hirewire worker` processes on a fresh schema of
// BENCH_PG_URL; sqlite: one `hirewire serve` (its CPU includes the API's). 20 runs warm up first.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { readFileSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { Agent } from "undici";
import { startTargetProcess } from "../dist-bench/bench/child.js";
import { benchManifest, HIRE, TOKEN } from "../dist-bench/bench/workload.js";

/** Node flags for a hirewire process: BENCH_WORKER_NODE_ARGS for workers, none for the rest. */
function nodeArgs(command) {
  if (command !== "worker") return [];
  return (process.env.BENCH_WORKER_NODE_ARGS ?? "").split(" ").filter((arg) => arg !== "");
}

const [STORE = "pg", WORKERS = "1", RUNS = "300", MODE] = process.argv.slice(2);
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const PG_URL = process.env.BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const ADMIN = "hw_bench_admin_token_cost_0123456789";
const WARM_UP = 20;
const TICKS = 100; // USER_HZ: /proc times are in 1/100 s

function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

function start(args, env, ready) {
  const child = spawn(
    process.execPath,
    [...nodeArgs(args[0]), join(ROOT, "bin/hirewire.js"), ...args],
    {
      env: { ...process.env, LOG_LEVEL: "warn", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  return new Promise((resolve, reject) => {
    const onData = (chunk) => {
      output += chunk;
      const match = ready.exec(output);
      if (match) resolve({ child, match });
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) =>
      reject(new Error(`hirewire ${args[0]} exited ${code}: ${output}`)),
    );
  });
}

const stop = (child) =>
  child.exitCode !== null
    ? undefined
    : new Promise((resolve) => {
        child.once("exit", resolve);
        child.kill("SIGTERM");
      });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const target = await startTargetProcess();
const countDir = await mkdtemp(join(tmpdir(), "worker-cost-"));
const base = {
  HIREWIRE_ADMIN_TOKEN: ADMIN,
  HIREWIRE_SECRET_KEY: randomBytes(32).toString("base64"),
  HIREWIRE_SANDBOX: "off",
  HOST: "127.0.0.1",
  PORT: "0",
};
const counting =
  MODE === "count"
    ? {
        NODE_OPTIONS: `--import ${join(ROOT, "bench/count-queries.mjs")}`,
        WORKER_COST_ROOT: ROOT,
        WORKER_COST_DIR: countDir,
      }
    : {};
const children = [];
const drivers = [];
const dirs = [countDir];
const dataDir = async () => {
  const made = await mkdtemp(join(tmpdir(), "worker-cost-"));
  dirs.push(made);
  return made;
};
let schema;
let apiUrl;
try {
  if (STORE === "pg") {
    schema = `hirewire_cost_${randomBytes(4).toString("hex")}`;
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    await admin.end();
    const url = new URL(PG_URL);
    url.searchParams.set("options", `-c search_path=${schema}`);
    const env = { ...base, HIREWIRE_DATABASE_URL: url.href };
    const api = await start(
      ["serve", "--no-worker"],
      { ...env, HIREWIRE_DATA: await dataDir() },
      /running at (http:\/\/\S+)/,
    );
    children.push(api.child);
    apiUrl = api.match[1];
    for (let i = 0; i < Number(WORKERS); i += 1) {
      const worker = await start(
        ["worker"],
        { ...env, ...counting, HIREWIRE_DATA: await dataDir() },
        /worker is running/,
      );
      children.push(worker.child);
      drivers.push(worker.child);
    }
  } else {
    const serve = await start(
      ["serve"],
      { ...base, ...counting, HIREWIRE_DATA: await dataDir() },
      /running at (http:\/\/\S+)/,
    );
    children.push(serve.child);
    drivers.push(serve.child);
    apiUrl = serve.match[1];
  }
  const agent = new Agent({ connections: 64 });
  const origin = new URL(apiUrl).origin;
  const api = async (method, path, body) => {
    const answer = await agent.request({
      origin,
      path,
      method,
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await answer.body.text();
    if (answer.statusCode >= 300)
      throw new Error(`${method} ${path}: ${answer.statusCode} ${text}`);
    return text === "" ? undefined : JSON.parse(text);
  };
  const allRuns = async (integrationId) => {
    const runs = [];
    let cursor = null;
    do {
      const page = await api(
        "GET",
        `/api/runs?integration_id=${integrationId}&limit=500${cursor ? `&cursor=${cursor}` : ""}`,
      );
      runs.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor);
    return runs;
  };
  const untilFinished = async (integrationId) => {
    for (;;) {
      const runs = await allRuns(integrationId);
      if (runs.every((run) => run.finished_at !== null)) return runs;
      await sleep(250);
    }
  };

  const manifest = benchManifest(2, 0.001);
  manifest.initial_data_form = [
    { id: "TOKEN", name: "API token" },
    { id: "BASE_URL", name: "Base URL", secret: false },
  ];
  const integration = await api("POST", "/api/integrations", { name: "cost", manifest });
  await api("PUT", `/api/integrations/${integration.id}/secrets`, {
    TOKEN,
    BASE_URL: target.url,
  });
  const hires = [];
  for (let i = 0; i < Number(RUNS); i += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, Number(RUNS) - i) }, (_, j) =>
        api("POST", "/api/hires", { ...HIRE, email: `cost${i + j}@example.com` }),
      ),
    );
    hires.push(...batch.map((created) => created.hire.id));
  }
  const trigger = (hireIds) =>
    Promise.all(
      hireIds.map((hireId) =>
        api("POST", "/api/runs", { integration_id: integration.id, hire_id: hireId }),
      ),
    );
  await trigger(hires.slice(0, WARM_UP));
  await untilFinished(integration.id);
  if (MODE === "count") for (const child of drivers) child.kill("SIGUSR2");
  await sleep(300);

  const before = drivers.map((child) => cpuSeconds(child.pid));
  const started = Date.now();
  const burst = hires.slice(WARM_UP);
  await trigger(burst);
  const accepted = (Date.now() - started) / 1000;
  const runs = await untilFinished(integration.id);
  const cpu = drivers.reduce((sum, child, i) => sum + cpuSeconds(child.pid) - before[i], 0);
  const last = Math.max(...runs.map((run) => Date.parse(run.finished_at))) - started;
  console.log(
    JSON.stringify({
      store: STORE,
      workers: Number(WORKERS),
      runs: burst.length,
      succeeded: runs.filter((run) => run.status === "succeeded").length - WARM_UP,
      acceptedAfterS: accepted,
      runsPerS: Number((burst.length / (last / 1000)).toFixed(1)),
      cpuMsPerRun: Number(((cpu * 1000) / burst.length).toFixed(2)),
      load: readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" "),
    }),
  );
  if (MODE === "count") {
    for (const child of drivers) child.kill("SIGUSR2");
    await sleep(500);
    const total = new Map();
    for (const child of drivers) {
      const file = join(countDir, `counts-${child.pid}.json`);
      for (const [key, n] of Object.entries(JSON.parse(readFileSync(file, "utf8"))))
        total.set(key, (total.get(key) ?? 0) + n);
      unlinkSync(file);
    }
    const all = [...total.values()].reduce((sum, n) => sum + n, 0);
    console.log(`statements per run: ${(all / burst.length).toFixed(2)}`);
    for (const [key, n] of [...total].sort((a, b) => b[1] - a[1]))
      console.log(`${(n / burst.length).toFixed(2).padStart(7)}  ${key}`);
  }
  await agent.close();
} finally {
  await Promise.all(children.map(stop));
  target.child.kill();
  if (schema !== undefined) {
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`drop schema ${schema} cascade`);
    await admin.end();
  }
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
}
