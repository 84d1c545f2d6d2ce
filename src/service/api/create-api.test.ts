import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "../../../test/support/test-api.ts";

let api: TestApi;
beforeEach(async () => {
  api = await startTestApi();
});
afterEach(async () => {
  await api.close();
});

const UNAUTHORIZED = {
  code: "UNAUTHORIZED",
  message: "missing or invalid API token; send Authorization: Bearer <token>",
};

describe("auth", () => {
  it("refuses /api/ without a valid bearer token, and leaves /healthz and /openapi.json open", async () => {
    for (const authorization of [
      "",
      "Bearer",
      "Basic abc",
      "Bearer hw_wrong",
      `Token ${api.token}`,
    ]) {
      const reply = await api.call("GET", "/api/integrations", undefined, { authorization });
      expect(reply.status).toBe(401);
      expect(reply.body).toEqual(UNAUTHORIZED);
    }
    const post = await api.app.request("/api/runs", { method: "POST", body: "{}" });
    expect(post.status).toBe(401);
    expect((await api.app.request("/healthz")).status).toBe(200);
    expect((await api.app.request("/openapi.json")).status).toBe(200);
    const lowercase = await api.call("GET", "/api/integrations", undefined, {
      authorization: `bearer ${api.token}`,
    });
    expect(lowercase.status).toBe(200);
  });

  it("answers an unknown /api/ route with a JSON 404, after auth", async () => {
    const reply = await api.call("GET", "/api/nothing-here");
    expect(reply.status).toBe(404);
    expect(reply.body).toEqual({
      code: "NOT_FOUND",
      message: "no API route GET /api/nothing-here; see /openapi.json",
    });
    expect(
      (await api.call("GET", "/api/nothing-here", undefined, { authorization: "" })).status,
    ).toBe(401);
  });

  it("never leaks the token hash", async () => {
    await api.call("GET", "/api/integrations");
    const [token] = await api.store.listApiTokens();
    for (const text of api.transcript) expect(text).not.toContain(token?.tokenHash);
  });
});

describe("openapi.json", () => {
  it("documents every route with bearer security", async () => {
    const doc = (await (await api.app.request("/openapi.json")).json()) as any;
    expect(doc.info.title).toBe("hirewire");
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: "http", scheme: "bearer" });
    const routes = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(routes.sort()).toEqual(
      [
        "POST /api/integrations",
        "GET /api/integrations",
        "GET /api/integrations/{id}",
        "PUT /api/integrations/{id}",
        "DELETE /api/integrations/{id}",
        "POST /api/manifests/validate",
        "GET /api/integrations/{id}/secrets",
        "PUT /api/integrations/{id}/secrets",
        "DELETE /api/integrations/{id}/secrets/{key}",
        "POST /api/hires",
        "GET /api/hires",
        "GET /api/hires/{id}",
        "PUT /api/hires/{id}",
        "DELETE /api/hires/{id}",
        "GET /api/hires/{id}/stored",
        "PUT /api/hires/{id}/stored/{name}",
        "DELETE /api/hires/{id}/stored/{name}",
        "POST /api/runs",
        "GET /api/runs",
        "GET /api/runs/{id}",
        "POST /api/runs/{id}/cancel",
        "POST /api/runs/{id}/resume",
        "GET /api/runs/{id}/files",
        "GET /api/runs/{id}/files/{name}",
        "POST /api/hires/{id}/exists",
        "GET /api/hires/{id}/access",
        "GET /api/integrations/{id}/form",
        "GET /api/integrations/{id}/oauth",
        "DELETE /api/integrations/{id}/oauth",
        "GET /api/integrations/{id}/oauth/authorize",
        "POST /api/integrations/{id}/oauth/authorize",
        "POST /api/integrations/{id}/oauth/connect",
        "GET /oauth/{id}/callback",
        "POST /api/integrations/{id}/sync",
        "GET /api/integrations/{id}/sync/{run_id}/preview",
        "POST /api/integrations/{id}/sync/{run_id}/apply",
        "GET /api/tokens",
        "POST /api/tokens",
        "DELETE /api/tokens/{id}",
      ].sort(),
    );
    expect(doc.paths["/api/runs"].post.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: "Idempotency-Key", in: "header" })]),
    );
    expect(doc.paths["/api/runs"].post.security).toEqual([{ bearer: [] }]);
  });
});

describe("errors", () => {
  it("refuses bodies over 5 MiB with 413", async () => {
    const reply = await api.call("POST", "/api/hires", {
      email: "a@example.com",
      notes: "x".repeat(5 * 1024 * 1024),
    });
    expect(reply.status).toBe(413);
    expect(reply.body.code).toBe("INPUT_TOO_LARGE");
    expect((await api.store.listHires()).items).toEqual([]);
  });

  it("hides internals of unexpected failures behind 500 INTERNAL", async () => {
    await api.store.close();
    const reply = await api.call("GET", "/api/integrations");
    expect(reply.status).toBe(500);
    expect(reply.body).toEqual({
      code: "INTERNAL",
      message: "the server failed to handle this request; the details are in the server log",
    });
  });
});
