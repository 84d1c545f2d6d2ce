// Short waits (a poll every few hundred milliseconds) are waited in place by the scheduler that
// drives the run, its lease kept only until a little past the wake-up time; longer ones are rows.
// A cancel asked for meanwhile stops the run before its next send, and stopping the scheduler
// lets a run waiting in place go at once, for another process to finish.
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import type { JsonValue } from "../../src/manifest/index.ts";
import { Scheduler } from "../../src/runner/scheduler.ts";
import { startTestApi, type TestApi } from "../support/test-api.ts";
import { eventually } from "../support/service-process.ts";
import { sendJson, startTargetServer, type TargetServer } from "../support/target-server.ts";

const LEASE_MS = 60_000;
let target: TargetServer;
let api: TestApi;
let done = false;
const schedulers: Scheduler[] = [];

beforeAll(async () => {
  target = await startTargetServer();
  target.route("POST", "/jobs", (_req, res) => sendJson(res, 201, { id: "job-1" }));
  target.route("GET", "/jobs/job-1", (_req, res) =>
    sendJson(res, 200, { status: done ? "done" : "pending" }),
  );
  api = await startTestApi();
});
afterEach(async () => {
  done = false;
  for (const scheduler of schedulers.splice(0)) await scheduler.stop();
});
afterAll(async () => {
  await api.close();
  await target.close();
});

function scheduler(owner: string, waitInPlaceMs?: number): Scheduler {
  const created = new Scheduler({
    store: api.store,
    files: api.files,
    owner,
    leaseMs: LEASE_MS,
    idleMs: 20,
    ...(waitInPlaceMs !== undefined ? { waitInPlaceMs } : {}),
  });
  schedulers.push(created);
  created.start();
  return created;
}

/** POST a job, then GET it every `interval` seconds until it is done. */
const manifest = (interval: number): { [key: string]: JsonValue } => ({
  execute: [
    { url: `${target.url}/jobs`, data: { email: "{{ email }}" }, store_data: { JOB: "id" } },
    {
      url: `${target.url}/jobs/{{ JOB }}`,
      method: "GET",
      continue_if: { response_notation: "status", value: "done" },
      polling: { interval, amount: 100 },
    },
  ],
});

async function start(interval: number, email: string): Promise<string> {
  const created = await api.call("POST", "/api/integrations", {
    name: email.split("@")[0],
    manifest: manifest(interval),
  });
  expect(created.status, created.text).toBe(201);
  const integration = created.body;
  const hire = (await api.call("POST", "/api/hires", { email })).body.hire;
  const reply = await api.call("POST", "/api/runs", {
    integration_id: integration.id,
    hire_id: hire.id,
  });
  expect(reply.status, reply.text).toBe(202);
  return reply.body.id;
}

/** The run row once it is waiting (between two polls). */
async function waiting(runId: string) {
  return eventually(async () => {
    const run = await api.store.getRun(runId);
    return run?.status === "waiting" ? run : undefined;
  });
}

async function finished(runId: string) {
  return eventually(async () => {
    const run = await api.store.getRun(runId);
    return run?.finishedAt !== null ? run : undefined;
  });
}

it("keeps the lease of a run waiting a moment, only until a little past its wake-up time", async () => {
  const owner = scheduler("process-a");
  const runId = await start(0.3, "in-place@example.com");
  const run = await waiting(runId);
  expect(run.leaseOwner).toBe(owner.owner);
  expect(run.leaseExpiresAt).toBeGreaterThan(run.wakeAt!);
  expect(run.leaseExpiresAt).toBeLessThanOrEqual(run.wakeAt! + 5_000);
  done = true;
  expect((await finished(runId)).status).toBe("succeeded");
});

it("hands a run back for a wait longer than it waits in place", async () => {
  scheduler("process-a", 100);
  const runId = await start(0.3, "as-row@example.com");
  const run = await waiting(runId);
  expect(run).toMatchObject({ leaseOwner: null, leaseExpiresAt: null });
  done = true;
  expect((await finished(runId)).status).toBe("succeeded");
});

it("stops a run waiting in place before its next send when it is cancelled", async () => {
  scheduler("process-a");
  const runId = await start(0.4, "cancel-in-place@example.com");
  const run = await waiting(runId);
  expect(run.leaseOwner).toBe("process-a");
  const polls = target.requestCount("GET", "/jobs/job-1");
  expect((await api.call("POST", `/api/runs/${runId}/cancel`)).status).toBeLessThan(300);
  expect((await finished(runId)).status).toBe("cancelled");
  // At most the poll whose wait was already over when the cancel came (the run is waiting again
  // within milliseconds of each poll); none after the next checkpoint saw the cancel.
  expect(target.requestCount("GET", "/jobs/job-1") - polls).toBeLessThanOrEqual(1);
});

it("lets a run waiting in place go at once when stopped; another process finishes it", async () => {
  const first = scheduler("process-a");
  const posts = target.requestCount("POST", "/jobs");
  const runId = await start(0.4, "stop-in-place@example.com");
  expect((await waiting(runId)).leaseOwner).toBe("process-a");
  await first.stop();
  expect(await api.store.getRun(runId)).toMatchObject({
    status: "waiting",
    leaseOwner: null,
    leaseExpiresAt: null,
  });
  expect(first.activeRuns).toBe(0);
  done = true;
  scheduler("process-b");
  expect((await finished(runId)).status).toBe("succeeded");
  expect(target.requestCount("POST", "/jobs")).toBe(posts + 1);
});
