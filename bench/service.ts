// Part 2 (child process): 1,000 runs triggered at once through the service's HTTP API against
// the bench target. The service runs in a process of its own with a temp SQLite data dir; this
// process only sends requests. Reports runs/s until all finished, and the API's latency (a GET of
// a run and /healthz, sampled one at a time on their own connection) idle and under that load.
// argv[2] is how the triggers reach the service: "each" (default) opens a connection per trigger,
// as `fetch` does for 1,000 requests at once; a number N sends them through N keep-alive
// connections, as a client with a connection pool does (Part 5's client, with 64).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Agent } from "undici";
import {
  forkBench,
  nextMessage,
  reportToParent,
  startTargetProcess,
  type EventLoopDelay,
} from "./child.ts";
import { percentile } from "./stats.ts";
import { benchManifest, HIRE, TOKEN } from "./workload.ts";

export interface LatencySummary {
  samples: number;
  p50: number;
  p99: number;
  max: number;
}

export interface ServiceResult {
  /** Connections the triggers went through: "each" (one per trigger) or the pool's size. */
  connections: "each" | number;
  runs: number;
  /** Seconds from the first trigger until the last run had finished. */
  seconds: number;
  runsPerSec: number;
  /** Seconds until every trigger had its 202. */
  triggerSeconds: number;
  /** CPU time this (the client's) process spent from the first trigger until every 202, ms. */
  clientTriggerCpuMs: number;
  succeeded: number;
  /** Time from the burst's start until each run finished (its finished_at), ms. */
  finishP50: number;
  finishP99: number;
  idle: LatencySummary;
  loaded: LatencySummary;
  /** The service process's event-loop delay while idle and while loaded. */
  idleDelay: EventLoopDelay;
  loadedDelay: EventLoopDelay;
}

const RUNS = Number(process.env.BENCH_SERVICE_RUNS ?? 1000);
/** Runs driven before the measured burst, as DBOS's side (bench/dbos.ts) drives workflows. */
const WARM_UP = Math.min(RUNS, Number(process.env.BENCH_SCALE_WARMUP ?? 300));
const ADMIN = "hw_bench_admin_token_0123456789abcdef";
const IDLE_SAMPLES = 400;
const CONNECTIONS: "each" | number =
  process.argv[2] === undefined || process.argv[2] === "each" ? "each" : Number(process.argv[2]);
if (CONNECTIONS !== "each" && !(Number.isInteger(CONNECTIONS) && CONNECTIONS > 0))
  throw new Error(`service.ts: connections must be "each" or a positive integer`);

type Client = (
  method: string,
  path: string,
  body?: unknown,
) => Promise<{ status: number; json: any }>;

function client(url: string, agent: Agent): Client {
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
    return { status: answer.statusCode, json: text === "" ? undefined : JSON.parse(text) };
  };
}

async function expectStatus(
  pending: Promise<{ status: number; json: any }>,
  status: number,
  what: string,
): Promise<any> {
  const { status: got, json } = await pending;
  if (got !== status) throw new Error(`${what} answered ${got}: ${JSON.stringify(json)}`);
  return json;
}

/** Samples GET /api/runs/:id and GET /healthz alternately, one at a time, until `stop()` is true. */
async function sampleLatency(api: Client, runId: string, stop: () => boolean): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; !stop(); i += 1) {
    const started = performance.now();
    const { status } = await api("GET", i % 2 === 0 ? `/api/runs/${runId}` : "/healthz");
    times.push(performance.now() - started);
    if (status !== 200) throw new Error(`latency probe answered ${status}`);
    await sleep(5);
  }
  return times;
}

function summary(times: number[]): LatencySummary {
  return {
    samples: times.length,
    p50: percentile(times, 50),
    p99: percentile(times, 99),
    max: Math.max(...times),
  };
}

await reportToParent(async (): Promise<ServiceResult> => {
  const dataDir = await mkdtemp(join(tmpdir(), "hirewire-bench-service-"));
  const target = await startTargetProcess();
  // BENCH_PROFILE_DIR=/tmp/prof writes a CPU profile of the service process there.
  const profileDir = process.env.BENCH_PROFILE_DIR;
  const serviceChild = forkBench("service-process.ts", [dataDir, ADMIN], {
    quiet: true,
    ...(profileDir !== undefined
      ? { execArgv: ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] }
      : {}),
  });
  // Undici's Agent opens as many connections as there are requests unless told a limit.
  const loadAgent = new Agent(CONNECTIONS === "each" ? {} : { connections: CONNECTIONS });
  const probeAgent = new Agent({ connections: 1 });
  try {
    const { url } = await nextMessage(serviceChild, "ready");
    const api = client(url, loadAgent);
    const probe = client(url, probeAgent);

    const manifest = benchManifest(2, 0.001) as Record<string, unknown>;
    manifest.initial_data_form = [
      { id: "TOKEN", name: "API token" },
      { id: "BASE_URL", name: "Base URL", secret: false },
    ];
    const integration = await expectStatus(
      api("POST", "/api/integrations", { name: "bench", manifest }),
      201,
      "creating the integration",
    );
    await expectStatus(
      api("PUT", `/api/integrations/${integration.id}/secrets`, { TOKEN, BASE_URL: target.url }),
      200,
      "setting secrets",
    );
    const hires: string[] = [];
    for (let i = 0; i < RUNS; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(50, RUNS - i) }, (_, j) =>
          expectStatus(
            api("POST", "/api/hires", { ...HIRE, email: `hire${i + j}@example.com` }),
            201,
            "creating a hire",
          ),
        ),
      );
      hires.push(...batch.map((created) => created.hire.id as string));
    }
    const trigger = (hireId: string) =>
      expectStatus(
        api("POST", "/api/runs", { integration_id: integration.id, hire_id: hireId }),
        202,
        "triggering a run",
      );
    const unfinished = async (): Promise<boolean> => {
      const page = await expectStatus(
        api("GET", "/api/runs?status=queued,running,waiting&limit=1"),
        200,
        "listing runs",
      );
      return page.items.length > 0;
    };

    // Warm-up: runs through every path (as many as DBOS's side gets, BENCH_SCALE_WARMUP, 300),
    // and one finished run for the latency probe.
    const warm = await Promise.all(hires.slice(0, WARM_UP).map(trigger));
    while (await unfinished()) await sleep(50);
    const probeRun = warm[0].id as string;

    const eventLoopDelay = async (): Promise<EventLoopDelay> => {
      const answer = nextMessage(serviceChild, "delay");
      serviceChild.send({ type: "get-delay" });
      const { delay } = await answer;
      serviceChild.send({ type: "reset-delay" });
      return delay;
    };
    await eventLoopDelay();
    let idleCount = 0;
    const idle = await sampleLatency(probe, probeRun, () => (idleCount += 1) > IDLE_SAMPLES);
    const idleDelay = await eventLoopDelay();

    let finished = false;
    const loaded = sampleLatency(probe, probeRun, () => finished);
    const startedEpoch = Date.now();
    const started = performance.now();
    const clientCpu = process.cpuUsage();
    await Promise.all(hires.map(trigger));
    const triggerSeconds = (performance.now() - started) / 1000;
    const clientUsed = process.cpuUsage(clientCpu);
    while (await unfinished()) await sleep(20);
    const seconds = (performance.now() - started) / 1000;
    finished = true;
    const loadedTimes = await loaded;
    const loadedDelay = await eventLoopDelay();

    const done = await expectStatus(
      api("GET", `/api/runs?status=succeeded&integration_id=${integration.id}&limit=500`),
      200,
      "listing finished runs",
    );
    // The warm-up runs are in the same list; they finished before the burst started.
    const warmIds = new Set(warm.map((run: { id: string }) => run.id));
    const finishedAfter: number[] = [];
    const collect = (items: Array<{ id: string; finished_at: string | null }>): void => {
      for (const item of items)
        if (!warmIds.has(item.id) && item.finished_at !== null)
          finishedAfter.push(Date.parse(item.finished_at) - startedEpoch);
    };
    collect(done.items);
    let succeeded = done.items.length;
    let cursor = done.next_cursor as string | null;
    while (cursor !== null) {
      const page = await expectStatus(
        api(
          "GET",
          `/api/runs?status=succeeded&integration_id=${integration.id}&limit=500&cursor=${cursor}`,
        ),
        200,
        "listing finished runs",
      );
      succeeded += page.items.length;
      collect(page.items);
      cursor = page.next_cursor;
    }
    return {
      connections: CONNECTIONS,
      runs: RUNS,
      seconds,
      runsPerSec: RUNS / seconds,
      triggerSeconds,
      clientTriggerCpuMs: (clientUsed.user + clientUsed.system) / 1000,
      // The warm-up runs are in the same list.
      succeeded: succeeded - warm.length,
      finishP50: percentile(finishedAfter, 50),
      finishP99: percentile(finishedAfter, 99),
      idle: summary(idle),
      loaded: summary(loadedTimes),
      idleDelay,
      loadedDelay,
    };
  } finally {
    serviceChild.disconnect();
    await new Promise((resolve) => serviceChild.once("exit", resolve));
    target.child.kill();
    await Promise.all([loadAgent.close(), probeAgent.close()]);
    await rm(dataDir, { recursive: true, force: true });
  }
});
