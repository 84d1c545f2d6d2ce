// Revoke runs, form answers and {{ access_overview }} through the service: the API triggers, the
// durable scheduler drives, a local server plays the third party.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { JsonValue } from "../../src/manifest/index.ts";
import { Scheduler } from "../../src/runner/scheduler.ts";
import { startTestApi, type TestApi } from "../support/test-api.ts";
import { eventually } from "../support/service-process.ts";
import { sendJson, startTargetServer, type TargetServer } from "../support/target-server.ts";

const TOKEN = "revoke-token-0123456789";
let target: TargetServer;
let api: TestApi;
let scheduler: Scheduler;

beforeAll(async () => {
  target = await startTargetServer();
  target.route("DELETE", "/members/:email", (req, res) => {
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return sendJson(res, 401, {});
    sendJson(res, 200, { removed: req.params.email === "ada@example.com" });
  });
  target.route("POST", "/licenses/release", (_req, res) => sendJson(res, 202, { ok: true }));
  target.route("GET", "/members/:email", (req, res) =>
    req.params.email === "ada@example.com"
      ? sendJson(res, 200, { ok: true })
      : sendJson(res, 404, {}),
  );
});
afterAll(() => target.close());

beforeEach(async () => {
  api = await startTestApi();
  scheduler = new Scheduler({
    store: api.store,
    files: api.files,
    idleMs: 20,
    engine: { retryBaseMs: 1, retryMaxDelayMs: 2 },
  });
  scheduler.start();
});
afterEach(async () => {
  await scheduler.stop();
  await api.close();
});

function offboarding(): { [key: string]: JsonValue } {
  return {
    initial_data_form: [{ id: "API_TOKEN", name: "API token" }],
    headers: { Authorization: "Bearer {{ API_TOKEN }}" },
    form: [
      {
        id: "TEAM_ID",
        name: "Team",
        type: "choice",
        required: true,
        items: [
          { id: "t1", name: "Support" },
          { id: "t2", name: "Sales" },
        ],
      },
    ],
    exists: { url: `${target.url}/members/{{ email }}`, method: "GET", status_code: [200] },
    execute: [{ url: `${target.url}/echo`, data: { team: "{{ TEAM_ID }}" } }],
    revoke: [
      {
        url: `${target.url}/members/{{ email }}`,
        method: "DELETE",
        status_code: [200],
        expected: '"removed":true',
      },
      { url: `${target.url}/licenses/release`, data: { email: "{{ email }}" }, status_code: [202] },
    ],
  };
}

async function setup(email: string, manifest = offboarding(), name = "Asana") {
  const integration = (await api.call("POST", "/api/integrations", { name, manifest })).body;
  await api.call("PUT", `/api/integrations/${integration.id}/secrets`, { API_TOKEN: TOKEN });
  // One hire per email: a second integration for the same person reuses their hire.
  const created = await api.call("POST", "/api/hires", { email });
  const hire =
    created.status === 201
      ? created.body.hire
      : (await api.call("GET", `/api/hires?email=${encodeURIComponent(email)}`)).body.items[0];
  return { integration_id: integration.id as string, hire_id: hire.id as string };
}

async function finished(runId: string) {
  return eventually(async () => {
    const run = (await api.call("GET", `/api/runs/${runId}`)).body;
    return ["succeeded", "failed", "blocked"].includes(run.status) ? run : undefined;
  });
}

describe("revoke runs through the service", () => {
  it("runs every revoke step (not execute, no form needed) and succeeds", async () => {
    const ids = await setup("ada@example.com");
    const reply = await api.call("POST", "/api/runs", { ...ids, block: "revoke" });
    expect(reply.status).toBe(202);
    expect(reply.body).toMatchObject({ block: "revoke", status: "queued" });
    const run = await finished(reply.body.id);
    expect(run.status).toBe("succeeded");
    expect(run.attempts.map((a: { request: { method: string } }) => a.request.method)).toEqual([
      "DELETE",
      "POST",
    ]);
    expect(target.requestCount("POST", "/echo")).toBe(0);
    expect(JSON.stringify(run)).not.toContain(TOKEN);
  });

  it("fails the step whose expected text is missing and sends nothing after it", async () => {
    const ids = await setup("bob@example.com");
    const releases = target.requestCount("POST", "/licenses/release");
    const reply = await api.call("POST", "/api/runs", { ...ids, block: "revoke" });
    const run = await finished(reply.body.id);
    expect(run.status).toBe("failed");
    expect(run.error).toMatchObject({ code: "EXPECTED_TEXT_MISSING", step: 0 });
    expect(target.requestCount("POST", "/licenses/release")).toBe(releases);
  });

  it("refuses a revoke trigger for a manifest without revoke steps", async () => {
    const ids = await setup("ada@example.com", {
      execute: [{ url: `${target.url}/echo` }],
    });
    const reply = await api.call("POST", "/api/runs", { ...ids, block: "revoke" });
    expect(reply.status).toBe(422);
    expect(reply.body).toMatchObject({ code: "INPUT_INVALID", path: "revoke" });
    expect(reply.body.message).toContain("the manifest has no revoke block");
  });
});

describe("form answers on trigger", () => {
  it("refuses a missing or unlisted answer with 422 before anything is sent", async () => {
    const ids = await setup("ada@example.com");
    const before = target.requests.length;
    const missing = await api.call("POST", "/api/runs", ids);
    expect(missing.status).toBe(422);
    expect(missing.body.code).toBe("INPUT_MISSING");
    expect(missing.body.message).toContain("TEAM_ID (Team)");
    const wrong = await api.call("POST", "/api/runs", { ...ids, params: { TEAM_ID: "t9" } });
    expect(wrong.status).toBe(422);
    expect(wrong.body.problems[0]).toMatchObject({ code: "INPUT_INVALID", path: "form[0]" });
    expect(target.requests.length).toBe(before);
    expect((await api.store.listRuns()).items).toHaveLength(0);

    const ok = await api.call("POST", "/api/runs", { ...ids, params: { TEAM_ID: "t2" } });
    expect(ok.status).toBe(202);
    expect((await finished(ok.body.id)).status).toBe("succeeded");
  });
});

describe("{{ access_overview }}", () => {
  it("is taken when the run is triggered, kept in its params and sent", async () => {
    await setup("ada@example.com", offboarding(), "Asana");
    const ids = await setup(
      "ada@example.com",
      {
        execute: [{ url: `${target.url}/echo`, data: { note: "Access: {{ access_overview }}" } }],
      },
      "Slack note",
    );
    const reply = await api.call("POST", "/api/runs", ids);
    expect(reply.status).toBe(202);
    expect(reply.body.params).toEqual({ access_overview: "Asana (has access)" });
    const run = await finished(reply.body.id);
    expect(run.status).toBe("succeeded");
    expect(JSON.parse(run.attempts[0].request.body)).toEqual({
      note: "Access: Asana (has access)",
    });
  });

  it("is taken with the operator's egress settings: a blocked address is not checked", async () => {
    // This describe's service applies no egress policy; one that refuses private addresses
    // (the target listens on 127.0.0.1) is started for this test alone.
    const guarded = await startTestApi({ egress: { blockPrivate: true } });
    try {
      const integration = (
        await guarded.call("POST", "/api/integrations", { name: "Asana", manifest: offboarding() })
      ).body;
      await guarded.call("PUT", `/api/integrations/${integration.id}/secrets`, {
        API_TOKEN: TOKEN,
      });
      const note = (
        await guarded.call("POST", "/api/integrations", {
          name: "Slack note",
          manifest: {
            execute: [{ url: `${target.url}/echo`, data: { note: "{{ access_overview }}" } }],
          },
        })
      ).body;
      const hire = (await guarded.call("POST", "/api/hires", { email: "grace@example.com" })).body
        .hire;
      const checks = target.requests.filter((r) => r.path === "/members/grace@example.com").length;
      const reply = await guarded.call("POST", "/api/runs", {
        integration_id: note.id,
        hire_id: hire.id,
      });
      expect(reply.status, JSON.stringify(reply.body)).toBe(202);
      expect(reply.body.params).toEqual({ access_overview: "Asana (unknown)" });
      expect(target.requests.filter((r) => r.path === "/members/grace@example.com").length).toBe(
        checks,
      );
    } finally {
      await guarded.close();
    }
  });
});
