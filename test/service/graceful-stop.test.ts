// Stopping a process hands its runs over at once: the scheduler lets the attempt in flight come
// back and be checkpointed, then releases every lease it holds, so a second process takes the runs
// straight away (not a lease expiry later) and continues without sending anything twice.
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import type { JsonValue } from "../../src/manifest/index.ts";
import { Scheduler } from "../../src/runner/scheduler.ts";
import { startTestApi, type TestApi } from "../support/test-api.ts";
import { eventually } from "../support/service-process.ts";
import { sendJson, startTargetServer, type TargetServer } from "../support/target-server.ts";

const LEASE_MS = 60_000;
let target: TargetServer;
let api: TestApi;
let release: () => void = () => {};
const schedulers: Scheduler[] = [];

beforeAll(async () => {
  target = await startTargetServer();
  const gate = new Promise<void>((resolve) => (release = resolve));
  target.route("POST", "/accounts", async (_req, res) => {
    await gate; // held until the test has asked the first process to stop
    sendJson(res, 201, { id: "acc-1" });
  });
  target.route("POST", "/licenses", (_req, res) => sendJson(res, 201, { ok: true }));
  api = await startTestApi();
});
afterEach(async () => {
  release();
  for (const scheduler of schedulers.splice(0)) await scheduler.stop();
});
afterAll(async () => {
  await api.close();
  await target.close();
});

function scheduler(owner: string): Scheduler {
  const created = new Scheduler({
    store: api.store,
    files: api.files,
    owner,
    leaseMs: LEASE_MS,
    idleMs: 20,
  });
  schedulers.push(created);
  created.start();
  return created;
}

/** Two POSTs without Idempotency-Keys: a request left "in flight" could never be sent again. */
const manifest = (): { [key: string]: JsonValue } => ({
  execute: [
    {
      url: `${target.url}/accounts`,
      data: { email: "{{ email }}" },
      store_data: { ACCOUNT: "id" },
    },
    { url: `${target.url}/licenses`, data: { account: "{{ ACCOUNT }}" } },
  ],
});

it("releases the lease after the attempt in flight is checkpointed; another process finishes the run at once", async () => {
  const integration = (
    await api.call("POST", "/api/integrations", { name: "Accounts", manifest: manifest() })
  ).body;
  const hire = (await api.call("POST", "/api/hires", { email: "stop@example.com" })).body.hire;
  const first = scheduler("process-a");
  const reply = await api.call("POST", "/api/runs", {
    integration_id: integration.id,
    hire_id: hire.id,
  });
  expect(reply.status, reply.text).toBe(202);
  const runId: string = reply.body.id;
  await eventually(async () => (target.requestCount("POST", "/accounts") === 1 ? true : undefined));

  const stopped = first.stop();
  release();
  await stopped;

  // The first process checkpointed the attempt it had in flight, sent nothing more, let go.
  const handedBack = await api.store.getRun(runId);
  expect(handedBack).toMatchObject({ status: "running", leaseOwner: null, leaseExpiresAt: null });
  expect((await api.store.listAttempts(runId)).map((attempt) => attempt.step)).toEqual([0]);
  expect(target.requestCount("POST", "/licenses")).toBe(0);
  expect(first.activeRuns).toBe(0);

  const startedAt = Date.now();
  scheduler("process-b");
  const run = await eventually(async () => {
    const shown = (await api.call("GET", `/api/runs/${runId}`)).body;
    return shown.status === "running" || shown.status === "queued" ? undefined : shown;
  });
  expect(Date.now() - startedAt).toBeLessThan(LEASE_MS / 4);
  expect(run.status, JSON.stringify(run.error)).toBe("succeeded");
  // Each POST went out exactly once: the hand-back never left a request "in flight".
  expect(target.requestCount("POST", "/accounts")).toBe(1);
  expect(target.requestCount("POST", "/licenses")).toBe(1);
  const sent = target.requests.find((request) => request.path === "/licenses");
  expect(JSON.parse(sent!.body)).toEqual({ account: "acc-1" });
});
