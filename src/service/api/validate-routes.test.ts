import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "../../../test/support/test-api.ts";

let api: TestApi;
beforeEach(async () => {
  api = await startTestApi();
});
afterEach(async () => {
  await api.close();
});

describe("POST /api/manifests/validate", () => {
  it("answers valid for a good manifest, with legacy keys as warnings", async () => {
    const reply = await api.call("POST", "/api/manifests/validate", {
      execute: [{ url: "https://api.example.com/users", data: { email: "{{ email }}" } }],
      exists: {
        url: "https://api.example.com/users?email={{ email }}",
        expected: "{{ email }}",
        fail_when_4xx_response_code: true,
      },
    });
    expect(reply.status).toBe(200);
    expect(reply.body.valid).toBe(true);
    expect(reply.body.problems).toEqual([]);
    expect(reply.body.warnings).toEqual([
      expect.objectContaining({
        path: "exists.fail_when_4xx_response_code",
        severity: "warning",
      }),
    ]);
  });

  it("lists every error with its manifest-relative path, and saves nothing", async () => {
    const reply = await api.call("POST", "/api/manifests/validate", {
      execute: [
        { url: "https://api.example.com/a", polling: { interval: 1, amount: 500 } },
        { url: "https://api.example.com/b", store: { ID: "id" } },
      ],
    });
    expect(reply.status).toBe(200);
    expect(reply.body.valid).toBe(false);
    expect(reply.body.warnings).toEqual([]);
    const paths = reply.body.problems.map((problem: { path: string }) => problem.path);
    expect(paths).toEqual(
      expect.arrayContaining(["execute[0].polling.amount", "execute[1].store"]),
    );
    for (const problem of reply.body.problems) {
      expect(problem.severity).toBe("error");
      expect(problem.message).toEqual(expect.any(String));
    }
    expect(await api.store.listIntegrations()).toEqual([]);
  });

  it("answers a non-object body as an invalid manifest, and refuses text that is not JSON", async () => {
    const array = await api.call("POST", "/api/manifests/validate", [1, 2]);
    expect(array.status).toBe(200);
    expect(array.body.valid).toBe(false);
    expect(array.body.problems.length).toBeGreaterThan(0);
    const broken = await api.app.request("/api/manifests/validate", {
      method: "POST",
      headers: { authorization: `Bearer ${api.token}`, "content-type": "application/json" },
      body: "{ not json",
    });
    expect(broken.status).toBe(400);
  });

  it("needs the token", async () => {
    const reply = await api.call("POST", "/api/manifests/validate", {}, { authorization: "" });
    expect(reply.status).toBe(401);
  });
});
