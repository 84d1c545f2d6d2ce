import { OpenAPIHono } from "@hono/zod-openapi";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  sendJson,
  startTargetServer,
  type TargetServer,
} from "../../../test/support/target-server.ts";
import type { JsonValue } from "../../manifest/index.ts";
import type { ApiEnv } from "./api-deps.ts";
import { apiErrorHandler, validationHook } from "./api-errors.ts";
import { formRoutes } from "./form-routes.ts";
import { startTestApi, type TestApi } from "../../../test/support/test-api.ts";

const TOKEN = "form-token-0123456789";
let target: TargetServer;
let api: TestApi;
let app: OpenAPIHono<ApiEnv>;

beforeAll(async () => {
  target = await startTargetServer();
  target.route("GET", "/orgs/:org/teams", (req, res) => {
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return sendJson(res, 401, {});
    sendJson(res, 200, {
      data: [
        { gid: "t1", title: `Support (${req.params.org})` },
        { gid: "t2", title: "Sales" },
      ],
    });
  });
  target.route("GET", "/managers", (req, res) =>
    sendJson(res, 200, [{ id: `m-${req.query.email}`, name: "Grace" }]),
  );
});
afterAll(() => target.close());

beforeEach(async () => {
  api = await startTestApi();
  // Only the route under test: createApi registers it for the service.
  app = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });
  app.onError(apiErrorHandler(() => undefined));
  formRoutes(app, { store: api.store, files: api.files, notify() {}, now: Date.now });
});
afterEach(() => api.close());

async function get(url: string) {
  const response = await app.request(url);
  const text = await response.text();
  return { status: response.status, text, body: JSON.parse(text) };
}

function manifest(): { [key: string]: JsonValue } {
  return {
    initial_data_form: [
      { id: "API_TOKEN", name: "API token" },
      { id: "ORG", name: "Organisation", secret: false },
    ],
    headers: { Authorization: "Bearer {{ API_TOKEN }}" },
    form: [
      {
        id: "TEAM_ID",
        name: "Team",
        type: "choice",
        required: true,
        url: `${target.url}/orgs/{{ ORG }}/teams`,
        data_from: "data",
        choice_value: "gid",
        choice_name: "title",
      },
      {
        id: "LEVEL",
        name: "Level",
        type: "choice",
        required: true,
        items: [
          { id: "1", name: "Junior" },
          { id: "2", name: "Senior" },
        ],
      },
      { id: "NOTE", name: "Note", type: "input", required: false, description: "free text" },
      {
        id: "MANAGER",
        name: "Manager",
        type: "choice",
        url: `${target.url}/managers?email={{ email }}`,
      },
    ],
    execute: [{ url: `${target.url}/echo` }],
  };
}

async function integration() {
  const record = await api.store.createIntegration({ name: "Asana", manifest: manifest() });
  await api.store.setSecret(record.id, "API_TOKEN", TOKEN);
  await api.store.setSecret(record.id, "ORG", "org-7");
  return record.id;
}

describe("GET /api/integrations/{id}/form", () => {
  it("lists every field with fetched and fixed choices; hire props need hire_id", async () => {
    const id = await integration();
    const reply = await get(`/api/integrations/${id}/form`);
    expect(reply.status).toBe(200);
    expect(reply.body.fields).toEqual([
      {
        id: "TEAM_ID",
        name: "Team",
        type: "choice",
        required: true,
        options: [
          { value: "t1", name: "Support (org-7)" },
          { value: "t2", name: "Sales" },
        ],
      },
      {
        id: "LEVEL",
        name: "Level",
        type: "choice",
        required: true,
        options: [
          { value: "1", name: "Junior" },
          { value: "2", name: "Senior" },
        ],
      },
      { id: "NOTE", name: "Note", type: "input", description: "free text", required: false },
      {
        id: "MANAGER",
        name: "Manager",
        type: "choice",
        required: false,
        options_error: 'form[3].url: unknown variable "email"',
      },
    ]);
    expect(reply.text).not.toContain(TOKEN);

    const hire = await api.store.createHire({ props: { email: "ada@example.com" } });
    const forHire = await get(`/api/integrations/${id}/form?hire_id=${hire.id}`);
    expect(forHire.body.fields[3].options).toEqual([{ value: "m-ada@example.com", name: "Grace" }]);
  });

  it("404s for an unknown integration or hire", async () => {
    const id = await integration();
    expect((await get("/api/integrations/nope/form")).status).toBe(404);
    const noHire = await get(`/api/integrations/${id}/form?hire_id=nope`);
    expect(noHire.status).toBe(404);
    expect(noHire.body.path).toBe("hire_id");
  });

  it("gives an empty list for a manifest without a form", async () => {
    const record = await api.store.createIntegration({
      name: "Plain",
      manifest: { execute: [{ url: `${target.url}/echo` }] },
    });
    expect((await get(`/api/integrations/${record.id}/form`)).body).toEqual({ fields: [] });
  });
});
