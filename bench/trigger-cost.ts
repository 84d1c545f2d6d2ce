// Measuring aid, not part of `npm run bench`: what one `POST /api/runs` costs the API process.
// Starts `hirewire serve --no-worker` (runs are accepted, not driven) from the package root
// given (so two checkouts can be compared in the same minute), makes an integration and hires,
// fires N triggers (after 50 for warm-up) and prints the process's CPU time per trigger, read
// from /proc/PID/stat (Linux). On PostgreSQL the process talks to the database through a proxy
// here that counts round trips (a Sync or a simple Query message from the client each).
// Usage (after `npx tsc -p bench/tsconfig.json`):
//   node dist-bench/bench/trigger-cost.js ROOT sqlite|postgres [N=1000]
// BENCH_HIREWIRE_NODE_ARGS: node flags for the hirewire process (a CPU profile, say).
// PostgreSQL: BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/test), a schema of its own.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { connect, createServer, type AddressInfo, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import pg from "pg";
import { Agent } from "undici";
import { benchManifest, HIRE, TOKEN } from "./workload.ts";

const [rootArg, store = "sqlite", countArg] = process.argv.slice(2);
if (rootArg === undefined || (store !== "sqlite" && store !== "postgres"))
  throw new Error("usage: trigger-cost.js ROOT sqlite|postgres [N]");
const ROOT = resolve(rootArg);
const N = Number(countArg ?? 1000);
const WARM_UP = 50;
const ADMIN = "hw_bench_admin_token_trigger_0123456789";
const PG_URL = new URL(process.env.BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test");
const CLOCK_TICKS = 100; // USER_HZ on Linux
// Node flags for the hirewire process ("--cpu-prof --cpu-prof-dir=/tmp/prof" profiles it).
const NODE_ARGS = (process.env.BENCH_HIREWIRE_NODE_ARGS ?? "")
  .split(" ")
  .filter((arg) => arg !== "");

/** User + system CPU time of a process, in ms. */
async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

/** A TCP proxy to PostgreSQL counting the client's round trips. */
async function countingProxy(): Promise<{ server: Server; port: number; trips: () => number }> {
  let trips = 0;
  const server = createServer((client) => {
    const upstream = connect(Number(PG_URL.port || 5432), PG_URL.hostname);
    let pending = Buffer.alloc(0);
    let started = false;
    client.on("data", (chunk: Buffer) => {
      upstream.write(chunk);
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        // The startup message (and an SSLRequest before it) has no type byte.
        if (!started) {
          if (pending.length < 8) break;
          const length = pending.readInt32BE(0);
          if (pending.length < length) break;
          if (pending.readInt32BE(4) !== 80877103) started = true;
          pending = pending.subarray(length);
          continue;
        }
        if (pending.length < 5) break;
        const length = pending.readInt32BE(1);
        if (pending.length < length + 1) break;
        const type = String.fromCharCode(pending[0]!);
        if (type === "S" || type === "Q") trips += 1;
        pending = pending.subarray(length + 1);
      }
    });
    upstream.on("data", (chunk: Buffer) => client.write(chunk));
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
    client.on("error", () => undefined);
    upstream.on("error", () => undefined);
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return { server, port: (server.address() as AddressInfo).port, trips: () => trips };
}

function startServe(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [...NODE_ARGS, join(ROOT, "bin", "hirewire.js"), "serve", "--no-worker"],
    {
      env: { ...process.env, LOG_LEVEL: "warn", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  return new Promise((done, fail) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /hirewire is running at (http:\/\/\S+)/.exec(output);
      if (match !== null) done({ child, url: match[1]! });
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => fail(new Error(`hirewire serve exited with ${code}: ${output}`)));
  });
}

async function withSchema<T>(fn: (schema: string) => Promise<T>): Promise<T> {
  const schema = `hirewire_trigger_${randomBytes(4).toString("hex")}`;
  const admin = async (text: string) => {
    const client = new pg.Client({ connectionString: PG_URL.href });
    await client.connect();
    await client.query(text);
    await client.end();
  };
  await admin(`create schema ${schema}`);
  try {
    return await fn(schema);
  } finally {
    await admin(`drop schema if exists ${schema} cascade`);
  }
}

async function measure(env: Record<string, string>, trips?: () => number) {
  const dataDir = await mkdtemp(join(tmpdir(), "hirewire-trigger-cost-"));
  const { child, url } = await startServe({ ...env, HIREWIRE_DATA: dataDir });
  const agent = new Agent({ connections: 64 });
  const origin = new URL(url).origin;
  const api = async (method: string, path: string, body: unknown): Promise<any> => {
    const answer = await agent.request({
      origin,
      path,
      method: method as "POST",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const text = await answer.body.text();
    if (answer.statusCode >= 300)
      throw new Error(`${method} ${path}: ${answer.statusCode} ${text}`);
    return text === "" ? undefined : JSON.parse(text);
  };
  try {
    const manifest = benchManifest(2, 0.001) as Record<string, unknown>;
    manifest.initial_data_form = [
      { id: "TOKEN", name: "API token" },
      { id: "BASE_URL", name: "Base URL", secret: false },
    ];
    const integration = await api("POST", "/api/integrations", { name: "bench", manifest });
    await api("PUT", `/api/integrations/${integration.id}/secrets`, {
      TOKEN,
      BASE_URL: "http://127.0.0.1:9",
    });
    const hires: string[] = [];
    for (let i = 0; i < N + WARM_UP; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: 50 }, (_, j) =>
          api("POST", "/api/hires", { ...HIRE, email: `trigger${i + j}@example.com` }),
        ),
      );
      hires.push(...batch.map((created: { hire: { id: string } }) => created.hire.id));
    }
    const trigger = (hireId: string) =>
      api("POST", "/api/runs", { integration_id: integration.id, hire_id: hireId });
    await Promise.all(hires.slice(N).map(trigger));
    const cpuBefore = await cpuMs(child.pid!);
    const tripsBefore = trips?.() ?? 0;
    const started = performance.now();
    await Promise.all(hires.slice(0, N).map(trigger));
    const ms = performance.now() - started;
    const cpu = (await cpuMs(child.pid!)) - cpuBefore;
    const load = (await readFile("/proc/loadavg", "utf8")).split(" ").slice(0, 3).join(" ");
    console.log(
      `${store} ${ROOT}: ${N} triggers in ${Math.round(ms)} ms, ` +
        `${Math.round((cpu * 1000) / N)} µs CPU per trigger` +
        (trips !== undefined ? `, ${((trips() - tripsBefore) / N).toFixed(2)} round trips` : "") +
        ` (load ${load})`,
    );
  } finally {
    child.kill("SIGTERM");
    await new Promise((done) => child.once("exit", done));
    await agent.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

const env = {
  HIREWIRE_ADMIN_TOKEN: ADMIN,
  HIREWIRE_SECRET_KEY: randomBytes(32).toString("base64"),
  HIREWIRE_SANDBOX: "off",
  HOST: "127.0.0.1",
  PORT: "0",
};
if (store === "sqlite") await measure(env);
else {
  const proxy = await countingProxy();
  try {
    await withSchema(async (schema) => {
      const url = new URL(PG_URL.href);
      url.hostname = "127.0.0.1";
      url.port = String(proxy.port);
      url.searchParams.set("options", `-c search_path=${schema}`);
      await measure({ ...env, HIREWIRE_DATABASE_URL: url.href }, proxy.trips);
    });
  } finally {
    proxy.server.close();
  }
}
