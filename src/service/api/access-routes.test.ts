import { OpenAPIHono } from "@hono/zod-openapi";
import { createServer } from "node:net";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  sendJson,
  startTargetServer,
  type TargetServer,
} from "../../../test/support/target-server.ts";
import type { JsonValue } from "../../manifest/index.ts";
import { accessRoutes } from "./access-routes.ts";
import type { ApiEnv } from "./api-deps.ts";
import { apiErrorHandler, validationHook } from "./api-errors.ts";
import { startTestApi, type TestApi } from "../../../test/support/test-api.ts";

const TOKEN = "access-token-0123456789";
let target: TargetServer;
let closedUrl: string;
let api: TestApi;
let app: OpenAPIHono<ApiEnv>;

beforeAll(async () => {
  target = await startTargetServer();
  target.route("GET", "/members/:email", (req, res) => {
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return sendJson(res, 401, {});
    if (req.params.email === "ada@example.com") return sendJson(res, 200, { active: true });
    sendJson(res, 404, { error: "no such member" });
  });
  target.route("GET", "/directory", (req, res) =>
    sendJson(res, 200, { emails: req.query.q === "ada@example.com" ? ["ada@example.com"] : [] }),
  );
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  closedUrl = `http://127.0.0.1:${(probe.address() as { port: number }).port}`;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
});
afterAll(() => target.close());

beforeEach(async () => {
  api = await startTestApi();
  // Only the routes under test: they are registered in createApi by the service.
  app = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });
  app.onError(apiErrorHandler(() => undefined));
  accessRoutes(app, { store: api.store, files: api.files, notify() {}, now: Date.now });
});
afterEach(() => api.close());

async function call(method: string, url: string, body?: unknown) {
  const response = await app.request(url, {
    method,
    ...(body !== undefined
      ? { body: JSON.stringify(body), headers: { "content-type": "application/json" } }
      : {}),
  });
  const text = await response.text();
  return { status: response.status, text, body: JSON.parse(text) };
}

function membersManifest(base: string): { [key: string]: JsonValue } {
  return {
    initial_data_form: [{ id: "API_TOKEN", name: "API token" }],
    headers: { Authorization: "Bearer {{ API_TOKEN }}" },
    exists: { url: `${base}/members/{{ email }}`, method: "GET", status_code: [200] },
    execute: [{ url: `${base}/echo` }],
  };
}

async function integration(name: string, manifest: { [key: string]: JsonValue }) {
  const record = await api.store.createIntegration({ name, manifest });
  await api.store.setSecret(record.id, "API_TOKEN", TOKEN);
  return record.id;
}

async function hire(email: string) {
  return (await api.store.createHire({ props: { email } })).id;
}

describe("POST /api/hires/{id}/exists", () => {
  it("answers true or false by status_code, with the reason, and masks secrets", async () => {
    const id = await integration("Asana", membersManifest(target.url));
    const yes = await call("POST", `/api/hires/${await hire("ada@example.com")}/exists`, {
      integration_id: id,
    });
    expect(yes.status).toBe(200);
    expect(yes.body).toEqual({
      integration_id: id,
      name: "Asana",
      exists: true,
      reason: `GET ${target.url}/members/ada@example.com answered 200`,
    });
    const no = await call("POST", `/api/hires/${await hire("bob@example.com")}/exists`, {
      integration_id: id,
    });
    expect(no.body).toMatchObject({ exists: false });
    expect(no.body.reason).toContain("answered 404, not one of 200");
    expect(yes.text + no.text).not.toContain(TOKEN);
  });

  it("answers by the expected text", async () => {
    const id = await integration("Directory", {
      exists: { url: `${target.url}/directory?q={{ email }}`, expected: "{{ email }}" },
      execute: [{ url: `${target.url}/echo` }],
    });
    const yes = await call("POST", `/api/hires/${await hire("ada@example.com")}/exists`, {
      integration_id: id,
    });
    expect(yes.body.exists).toBe(true);
    const no = await call("POST", `/api/hires/${await hire("bob@example.com")}/exists`, {
      integration_id: id,
    });
    expect(no.body.exists).toBe(false);
    expect(no.body.reason).toContain('does not contain "bob@example.com"');
  });

  it("answers unknown (null) when the third party cannot be reached", async () => {
    const id = await integration("Teams", membersManifest(closedUrl));
    const reply = await call("POST", `/api/hires/${await hire("ada@example.com")}/exists`, {
      integration_id: id,
    });
    expect(reply.status).toBe(200);
    expect(reply.body.exists).toBeNull();
    expect(reply.body.reason).toMatch(/refused|connect/i);
  });

  it("refuses with 422 and sends nothing when the check cannot be made", async () => {
    const before = target.requests.length;
    const none = await integration("Payroll", { execute: [{ url: `${target.url}/echo` }] });
    const hireId = await hire("ada@example.com");
    const noBlock = await call("POST", `/api/hires/${hireId}/exists`, { integration_id: none });
    expect(noBlock.status).toBe(422);
    expect(noBlock.body).toMatchObject({ code: "INPUT_INVALID", path: "exists" });
    expect(noBlock.body.message).toContain("has no exists block");
    const id = (
      await api.store.createIntegration({ name: "NoToken", manifest: membersManifest(target.url) })
    ).id;
    const noSecret = await call("POST", `/api/hires/${hireId}/exists`, { integration_id: id });
    expect(noSecret.status).toBe(422);
    expect(noSecret.body.code).toBe("TEMPLATE_UNDEFINED_VARIABLE");
    expect(target.requests.length).toBe(before);
  });

  it("404s for an unknown hire or integration", async () => {
    const id = await integration("Asana", membersManifest(target.url));
    expect((await call("POST", "/api/hires/nope/exists", { integration_id: id })).status).toBe(404);
    const missing = await call("POST", `/api/hires/${await hire("ada@example.com")}/exists`, {
      integration_id: "nope",
    });
    expect(missing.status).toBe(404);
    expect(missing.body.path).toBe("integration_id");
  });
});

describe("GET /api/hires/{id}/access", () => {
  it("checks every integration with an exists block and renders the overview", async () => {
    await integration("Google", membersManifest(target.url));
    await integration("Asana", {
      exists: { url: `${target.url}/directory?q={{ email }}`, expected: "{{ email }}" },
      execute: [{ url: `${target.url}/echo` }],
    });
    await integration("Teams", membersManifest(closedUrl));
    await integration("Payroll", { execute: [{ url: `${target.url}/echo` }] });
    const ada = await call("GET", `/api/hires/${await hire("ada@example.com")}/access`);
    expect(ada.status).toBe(200);
    expect(ada.body.items.map((item: { name: string }) => item.name)).toEqual([
      "Asana",
      "Google",
      "Teams",
    ]);
    expect(ada.body.access_overview).toBe(
      "Asana (has access), Google (has access), Teams (unknown)",
    );
    const bob = await call("GET", `/api/hires/${await hire("bob@example.com")}/access`);
    expect(bob.body.access_overview).toBe("Asana (no access), Google (no access), Teams (unknown)");
    expect(ada.text + bob.text).not.toContain(TOKEN);
  });

  it("404s for an unknown hire", async () => {
    expect((await call("GET", "/api/hires/nope/access")).status).toBe(404);
  });
});
