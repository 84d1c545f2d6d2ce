// An integration's rate limit holds across processes: two real processes drive runs of the same
// integration on one database (a SQLite data directory, or a PostgreSQL schema) against a local
// target that records when each request arrives and how many it holds at once. The target never
// sees more than max_in_flight requests at once, nor more than the bucket allows in any second
// (burst + requests_per_second: 1 + 5); a 429 with Retry-After pauses every process; the rate,
// halved by the 429, is whole again after later answers; and (PostgreSQL) a process killed while
// holding a slot frees it when the slot's lease ends.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestSchema, type TestSchema } from "../../src/store/postgres/test-database.ts";
import {
  eventually,
  startServiceProcess,
  startWorkerProcess,
  type ServiceProcess,
  type WorkerProcess,
} from "../support/service-process.ts";
import { sendJson, startTargetServer, type TargetServer } from "../support/target-server.ts";

const RATE = 5;
const BURST = 1;
const MAX_IN_FLIGHT = 2;
const RUNS = 40;

/** A target route that records arrivals and the most requests it held at once. */
class Recorder {
  arrivals: number[] = [];
  held = 0;
  mostHeld = 0;
  /** When each 429 was answered. */
  throttledAt: number[] = [];

  constructor(
    private readonly answer: (index: number) => {
      status: number;
      holdMs: number;
      headers?: Record<string, string>;
    },
  ) {}

  handler = (_req: unknown, res: ServerResponse): void => {
    const index = this.arrivals.length;
    this.arrivals.push(Date.now());
    this.held += 1;
    this.mostHeld = Math.max(this.mostHeld, this.held);
    const { status, holdMs, headers } = this.answer(index);
    setTimeout(() => {
      this.held -= 1;
      if (status === 429) this.throttledAt.push(Date.now());
      for (const [name, value] of Object.entries(headers ?? {})) res.setHeader(name, value);
      sendJson(res, status, { index });
    }, holdMs);
  };
}

/** The most of `times` in any window of `ms` (each window starts at one of them). */
function mostWithin(times: number[], ms: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  let first = 0;
  for (let last = 0; last < sorted.length; last++) {
    while (sorted[last]! - sorted[first]! >= ms) first += 1;
    most = Math.max(most, last - first + 1);
  }
  return most;
}

/** When each process's bucket granted a request of the integration (their debug log lines). */
function grants(outputs: string[], integrationId: string): number[] {
  const times: number[] = [];
  for (const output of outputs)
    for (const line of output.split("\n")) {
      if (!line.includes("rate limit slot granted") || !line.includes(integrationId)) continue;
      times.push((JSON.parse(line) as { grantedAt: number }).grantedAt);
    }
  return times;
}

/** One sample's value from a Prometheus text page (`name{labels} value`), or undefined. */
function sample(page: string, name: string, labels = ""): number | undefined {
  for (const line of page.split("\n")) {
    if (line.startsWith("#")) continue;
    const [key, value] = line.split(" ");
    if (key === `${name}${labels === "" ? "" : `{${labels}}`}`) return Number(value);
  }
  return undefined;
}

const scrape = async (url: string) => (await fetch(url)).text();

/** The worker's /metrics URL (said in its first log line when it logs JSON). */
function metricsUrlOf(worker: WorkerProcess): string {
  const url = worker.metricsUrl ?? /"metricsUrl":"(http[^"]+)"/.exec(worker.output())?.[1];
  if (url === undefined) throw new Error(`no metrics URL in:\n${worker.output()}`);
  return url;
}

interface Processes {
  api: ServiceProcess;
  worker: WorkerProcess;
  kill(): Promise<void>;
}

async function startRuns(
  api: ServiceProcess,
  integrationId: string,
  count: number,
  tag: string,
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const hire = await api.api("POST", "/api/hires", { email: `${tag}-${i}@example.com` });
    expect(hire.status, JSON.stringify(hire.body)).toBe(201);
    const run = await api.api("POST", "/api/runs", {
      integration_id: integrationId,
      hire_id: hire.body.hire?.id ?? hire.body.id,
    });
    expect(run.status, JSON.stringify(run.body)).toBe(202);
    ids.push(run.body.id);
  }
  return ids;
}

async function finished(api: ServiceProcess, ids: string[], ms: number): Promise<string[]> {
  return eventually(
    async () => {
      const statuses: string[] = [];
      for (const id of ids) statuses.push((await api.api("GET", `/api/runs/${id}`)).body.status);
      return statuses.every((s) => s !== "queued" && s !== "running" && s !== "waiting")
        ? statuses
        : undefined;
    },
    ms,
    "every run to finish",
  );
}

async function createIntegration(
  api: ServiceProcess,
  name: string,
  step: Record<string, unknown>,
  rateLimit: Record<string, number>,
): Promise<string> {
  const created = await api.api("POST", "/api/integrations", {
    name,
    manifest: { execute: [step] },
    options: { rate_limit: rateLimit },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.id;
}

function sharedLimitCases(label: string, start: (target: TargetServer) => Promise<Processes>) {
  describe(`a rate-limited integration driven by two processes on ${label}`, () => {
    let target: TargetServer;
    let processes: Processes;
    beforeAll(async () => {
      target = await startTargetServer();
      processes = await start(target);
    }, 60_000);
    afterAll(async () => {
      await processes?.kill();
      await target?.close();
    });

    it(
      `${RUNS} runs: never more than ${MAX_IN_FLIGHT} at once at the target, nor more than ${BURST + RATE} in any second`,
      { timeout: 120_000 },
      async () => {
        const { api, worker } = processes;
        // Slow answers first (the cap on requests in flight binds), then quick ones (the rate binds).
        const recorder = new Recorder((index) => ({ status: 201, holdMs: index < 16 ? 700 : 5 }));
        target.route("POST", "/accounts", recorder.handler);
        const integrationId = await createIntegration(
          api,
          "Accounts",
          { url: `${target.url}/accounts`, data: { email: "{{ email }}" } },
          { requests_per_second: RATE, max_in_flight: MAX_IN_FLIGHT },
        );
        const ids = await startRuns(api, integrationId, RUNS, "burst");
        const statuses = await finished(api, ids, 90_000);
        expect(statuses.every((status) => status === "succeeded")).toBe(true);
        expect(recorder.arrivals).toHaveLength(RUNS);
        // The cap was reached, never passed; the bucket's bound held in every one-second window.
        expect(recorder.mostHeld).toBe(MAX_IN_FLIGHT);
        // The bucket's promise, in its own time: at most burst + rate grants in any second.
        const granted = grants([api.output(), worker.output()], integrationId);
        expect(granted).toHaveLength(RUNS);
        expect(mostWithin(granted, 1_000)).toBeLessThanOrEqual(BURST + RATE);
        // At the target, a request arrives after its run's in-flight checkpoint, whose time
        // varies with the database's load: one more request in a second is that allowance.
        expect(mostWithin(recorder.arrivals, 1_000)).toBeLessThanOrEqual(BURST + RATE + 1);
        // Both processes drove runs of it, and both waited for the shared limit.
        for (const url of [`${api.url}/metrics`, metricsUrlOf(worker)]) {
          const page = await scrape(url);
          expect(sample(page, "hirewire_runs_claimed_total")).toBeGreaterThan(0);
          const waits = ["rate", "in_flight", "paused"].map(
            (reason) => sample(page, "hirewire_rate_limit_waits_total", `reason="${reason}"`) ?? 0,
          );
          expect(waits.reduce((a, b) => a + b)).toBeGreaterThan(0);
        }
        const status = (await api.api("GET", `/api/integrations/${integrationId}`)).body
          .rate_limit_status;
        expect(status).toEqual({
          requests_per_second: RATE,
          paused_until: null,
          in_flight: 0,
          throttled: 0,
        });
      },
    );

    it(
      "a 429 with Retry-After: 1 pauses every process for a second; the halved rate recovers",
      { timeout: 120_000 },
      async () => {
        const { api, worker } = processes;
        const recorder = new Recorder((index) =>
          index === 2
            ? { status: 429, holdMs: 5, headers: { "retry-after": "1" } }
            : { status: 200, holdMs: 5 },
        );
        target.route("PUT", "/profiles", recorder.handler);
        const integrationId = await createIntegration(
          api,
          "Profiles",
          // PUT: the run answered 429 is retried (after its own Retry-After).
          { url: `${target.url}/profiles`, method: "PUT", data: { email: "{{ email }}" } },
          { requests_per_second: RATE, max_in_flight: 1 },
        );
        const ids = await startRuns(api, integrationId, 14, "throttled");
        const statuses = await finished(api, ids, 90_000);
        expect(statuses.every((status) => status === "succeeded")).toBe(true);
        // 14 runs, one of them sent twice.
        expect(recorder.arrivals).toHaveLength(15);
        expect(recorder.throttledAt).toHaveLength(1);
        // One in flight at a time: the 429 was answered before the next request was granted, and
        // none arrived from either process until its Retry-After had passed.
        const answered = recorder.throttledAt[0]!;
        const next = recorder.arrivals.find((time) => time >= answered);
        expect(next! - answered).toBeGreaterThanOrEqual(1_000);
        expect(recorder.arrivals.filter((time) => time < answered)).toHaveLength(3);
        // 11 answers after the pause gave the halved rate (2.5/s) back, half a request per second each.
        const status = (await api.api("GET", `/api/integrations/${integrationId}`)).body
          .rate_limit_status;
        expect(status).toEqual({
          requests_per_second: RATE,
          paused_until: null,
          in_flight: 0,
          throttled: 1,
        });
        const pages = await Promise.all([`${api.url}/metrics`, metricsUrlOf(worker)].map(scrape));
        const throttled = pages.map((page) => sample(page, "hirewire_rate_limit_throttled_total"));
        expect(throttled.reduce((a, b) => a! + b!)).toBe(1);
      },
    );
  });
}

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

sharedLimitCases("one SQLite data directory", async () => {
  const dir = await mkdtemp(join(tmpdir(), "hirewire-rate-sqlite-"));
  dirs.push(dir);
  // A few runs each: the process that accepts the runs cannot take them all.
  const env = { HIREWIRE_SANDBOX: "off", HIREWIRE_CONCURRENCY: "8", LOG_LEVEL: "debug" };
  const api = await startServiceProcess(dir, env);
  const worker = await startWorkerProcess(dir, { ...env, HIREWIRE_METRICS_PORT: "0" });
  return {
    api,
    worker,
    async kill() {
      await worker.kill("SIGTERM");
      await api.kill("SIGTERM");
    },
  };
});

let schema: TestSchema | undefined;
afterAll(async () => {
  await schema?.drop();
});

function postgresEnv(db: TestSchema): Record<string, string> {
  return {
    HIREWIRE_DATABASE_URL: db.urlWithSchema,
    HIREWIRE_SECRET_KEY: randomBytes(32).toString("base64"),
    HIREWIRE_SANDBOX: "off",
    HIREWIRE_DATABASE_POOL: "3",
    HIREWIRE_CONCURRENCY: "8",
    LOG_LEVEL: "debug",
  };
}

sharedLimitCases("one PostgreSQL database", async () => {
  schema = await createTestSchema();
  const env = postgresEnv(schema);
  for (const _ of [1, 2]) dirs.push(await mkdtemp(join(tmpdir(), "hirewire-rate-pg-")));
  const api = await startServiceProcess(dirs.at(-2)!, env);
  const worker = await startWorkerProcess(dirs.at(-1)!, { ...env, HIREWIRE_METRICS_PORT: "0" });
  return {
    api,
    worker,
    async kill() {
      await worker.kill("SIGTERM");
      await api.kill("SIGTERM");
    },
  };
});

describe("a process killed while it holds an integration's only slot", () => {
  it(
    "blocks the integration until the slot's lease ends (the request's timeout + 30 s), then frees it",
    { timeout: 120_000 },
    async () => {
      const db = await createTestSchema();
      const target = await startTargetServer();
      const env = { ...postgresEnv(db), LOG_LEVEL: "debug" };
      for (const _ of [1, 2, 3]) dirs.push(await mkdtemp(join(tmpdir(), "hirewire-rate-kill-")));
      const api = await startServiceProcess(dirs.at(-3)!, env, ["--no-worker"]);
      let first: WorkerProcess | undefined;
      let second: WorkerProcess | undefined;
      try {
        const arrivals: number[] = [];
        target.route("GET", "/hang", (_req, res) => {
          arrivals.push(Date.now());
          // The first is never answered: its process is killed while it waits.
          if (arrivals.length > 1) sendJson(res, 200, { ok: true });
        });
        const integrationId = await createIntegration(
          api,
          "Hanging",
          { url: `${target.url}/hang`, method: "GET", timeout: 1 },
          { max_in_flight: 1 },
        );
        first = await startWorkerProcess(dirs.at(-2)!, env);
        const [held] = await startRuns(api, integrationId, 1, "held");
        await eventually(async () => (arrivals.length === 1 ? true : undefined));
        // Its grant, as it logged it (read before the kill: output still in the pipe is lost).
        const deadGrant = await eventually(async () => {
          const seen = grants([first!.output()], integrationId);
          return seen.length === 1 ? seen : undefined;
        });
        await first.kill("SIGKILL");

        second = await startWorkerProcess(dirs.at(-1)!, env);
        const [waiting] = await startRuns(api, integrationId, 1, "waiting");
        // The dead process's slot is still taken: nothing goes to the target meanwhile.
        await new Promise((resolve) => setTimeout(resolve, 5_000));
        expect(arrivals).toHaveLength(1);
        const status = (await api.api("GET", `/api/integrations/${integrationId}`)).body;
        expect(status.rate_limit_status.in_flight).toBe(1);
        // Nothing is saved while a run waits for its turn: it still reads as queued.
        expect((await api.api("GET", `/api/runs/${waiting}`)).body.status).toBe("queued");

        const statuses = await finished(api, [held!, waiting!], 90_000);
        expect(statuses).toEqual(["succeeded", "succeeded"]);
        // The next grant came when the slot's lease ended: its 1 s timeout + 30 s after its grant.
        const later = grants([second.output()], integrationId).sort((a, b) => a - b);
        expect(later).toHaveLength(2);
        expect(later[0]! - deadGrant[0]!).toBeGreaterThanOrEqual(31_000);
        expect(arrivals).toHaveLength(3);
      } finally {
        await second?.kill("SIGTERM");
        await first?.kill("SIGKILL");
        await api.kill("SIGTERM");
        await target.close();
        await db.drop();
      }
    },
  );
});
