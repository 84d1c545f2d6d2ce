// How the scheduler waits for an integration's rate limit: a long pause (a 429's Retry-After
// beyond `parkAfterMs`) hands the waiting runs back to the store until it ends instead of holding
// their places, and stopping hands back every run still waiting for its turn at once, nothing sent.
import { afterEach, beforeEach, expect, it } from "vitest";
import { Scheduler } from "../../src/runner/scheduler.ts";
import type { RateWaitReason } from "../../src/runner/rate-gate.ts";
import { startTestApi, type TestApi } from "../support/test-api.ts";
import { eventually } from "../support/service-process.ts";
import { sendJson, startTargetServer, type TargetServer } from "../support/target-server.ts";

let target: TargetServer;
let api: TestApi;
const schedulers: Scheduler[] = [];
const waits: Array<{ reason: RateWaitReason; parked: boolean }> = [];

beforeEach(async () => {
  target = await startTargetServer();
  api = await startTestApi();
});
afterEach(async () => {
  for (const scheduler of schedulers.splice(0)) await scheduler.stop();
  waits.length = 0;
  await api.close();
  await target.close();
});

function scheduler(parkAfterMs: number): Scheduler {
  const created = new Scheduler({
    store: api.store,
    files: api.files,
    idleMs: 20,
    rateLimits: {
      parkAfterMs,
      observer: { waited: (reason, _ms, parked) => waits.push({ reason, parked }) },
    },
  });
  schedulers.push(created);
  created.start();
  return created;
}

async function startRuns(path: string, method: string, count: number): Promise<string[]> {
  const integration = await api.call("POST", "/api/integrations", {
    name: `Limited ${path}`,
    manifest: { execute: [{ url: `${target.url}${path}`, method, data: { n: "{{ email }}" } }] },
    options: { rate_limit: { requests_per_second: 50, max_in_flight: 1 } },
  });
  expect(integration.status, integration.text).toBe(201);
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const hire = await api.call("POST", "/api/hires", { email: `r${i}${path.slice(1)}@x.test` });
    const run = await api.call("POST", "/api/runs", {
      integration_id: integration.body.id,
      hire_id: hire.body.hire?.id ?? hire.body.id,
    });
    expect(run.status, run.text).toBe(202);
    ids.push(run.body.id);
  }
  return ids;
}

it("hands runs back to the store until a long pause ends, then drives them", async () => {
  const arrivals: number[] = [];
  let answered429 = 0;
  target.route("PUT", "/slow-down", (_req, res) => {
    arrivals.push(Date.now());
    if (arrivals.length === 1) {
      res.setHeader("retry-after", "2");
      sendJson(res, 429, { error: "slow down" });
      answered429 = Date.now();
      return;
    }
    sendJson(res, 200, { ok: true });
  });
  const ids = await startRuns("/slow-down", "PUT", 4);
  scheduler(300);
  // The three runs that were waiting for the slot are handed back, held until the pause ends.
  const held = await eventually(async () => {
    const runs = await Promise.all(ids.map((id) => api.store.getRun(id)));
    const parked = runs.filter((run) => run!.leaseOwner === null && run!.leaseExpiresAt !== null);
    return parked.length === 3 ? parked : undefined;
  });
  const pause = await api.store.getRateLimitState(held[0]!.integrationId, Date.now());
  expect(pause!.pausedUntil).not.toBeNull();
  for (const run of held) expect(run!.leaseExpiresAt).toBe(pause!.pausedUntil);
  expect(waits.filter((wait) => wait.parked)).toHaveLength(3);
  expect(waits.every((wait) => wait.reason === "paused")).toBe(true);

  const done = await eventually(async () => {
    const runs = await Promise.all(ids.map((id) => api.store.getRun(id)));
    return runs.every((run) => run!.status === "succeeded") ? runs : undefined;
  }, 20_000);
  expect(done).toHaveLength(4);
  // The 429'd run was retried too: five requests, none during the pause.
  expect(arrivals).toHaveLength(5);
  expect(arrivals.slice(1).every((time) => time - answered429 >= 2_000)).toBe(true);
});

it("stopping hands back the runs waiting for their turn at once; nothing of theirs was sent", async () => {
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  target.route("POST", "/accounts", async (_req, res) => {
    await gate;
    sendJson(res, 201, { id: "acc" });
  });
  const ids = await startRuns("/accounts", "POST", 3);
  const first = scheduler(10_000);
  await eventually(async () => (target.requestCount("POST", "/accounts") === 1 ? true : undefined));
  const stopped = first.stop();
  release();
  await stopped;
  const runs = await Promise.all(ids.map((id) => api.store.getRun(id)));
  // One run was sent and finished; the two waiting were let go without a request in flight.
  expect(runs.filter((run) => run!.status === "succeeded")).toHaveLength(1);
  const waiting = runs.filter((run) => run!.status !== "succeeded");
  expect(waiting).toHaveLength(2);
  for (const run of waiting) {
    expect(run!.leaseOwner).toBeNull();
    expect(run!.state?.inFlight).toBeUndefined();
  }
  expect(target.requestCount("POST", "/accounts")).toBe(1);
  expect((await api.store.getRateLimitState(runs[0]!.integrationId, Date.now()))!.inFlight).toBe(0);

  // Another scheduler takes them over straight away and finishes them.
  scheduler(10_000);
  await eventually(async () => {
    const all = await Promise.all(ids.map((id) => api.store.getRun(id)));
    return all.every((run) => run!.status === "succeeded") ? true : undefined;
  });
  expect(target.requestCount("POST", "/accounts")).toBe(3);
});
