import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startTestApi, tokenManifest, type TestApi } from "../../../test/support/test-api.ts";

let api: TestApi;
beforeEach(async () => {
  api = await startTestApi();
});
afterEach(async () => {
  await api.close();
});

describe("integrations", () => {
  it("refuses an invalid manifest with every problem and its path", async () => {
    const reply = await api.call("POST", "/api/integrations", {
      name: "Broken",
      manifest: {
        execute: [
          {
            url: "https://x.example/a",
            polling: { interval: 1, amount: 500 },
            continue_if: { response_notation: "s", value: "ok" },
          },
          { url: "https://x.example/b", store: { A: "id" } },
        ],
      },
    });
    expect(reply.status).toBe(422);
    expect(reply.body.code).toBe("VALIDATION");
    expect(reply.body.message).toMatch(/^the manifest has 2 problems/);
    const paths = reply.body.problems.map((p: { path: string }) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining(["manifest.execute[0].polling.amount", "manifest.execute[1].store"]),
    );
    expect(
      reply.body.problems.every(
        (p: { message: string; severity: string }) => p.message !== "" && p.severity === "error",
      ),
    ).toBe(true);
    expect((await api.call("GET", "/api/integrations")).body.items).toEqual([]);
  });

  it("creates, lists, gets, replaces and deletes", async () => {
    const created = await api.call("POST", "/api/integrations", {
      name: "Accounts",
      manifest: tokenManifest(),
      options: { idempotency_keys: true, allowed_hosts: ["API.example.com"] },
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    expect(created.body.options).toEqual({
      idempotency_keys: true,
      allowed_hosts: ["api.example.com"],
    });
    expect(created.body.warnings).toEqual([]);
    expect(created.body.created_at).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);
    expect(created.body.secrets).toEqual([
      {
        id: "API_TOKEN",
        name: "API token",
        declared: true,
        secret: true,
        generated: false,
        set: false,
      },
      {
        id: "ORG_ID",
        name: "Organisation id",
        declared: true,
        secret: false,
        generated: false,
        set: false,
      },
      {
        id: "PASSWORD",
        name: "generate",
        declared: true,
        secret: true,
        generated: true,
        set: false,
      },
    ]);

    const list = await api.call("GET", "/api/integrations");
    expect(list.body.items.map((item: { id: string }) => item.id)).toEqual([id]);
    expect(list.body.next_cursor).toBeNull();

    const replaced = await api.call("PUT", `/api/integrations/${id}`, {
      name: "Accounts v2",
      manifest: { execute: [{ url: "https://api.example.com/v2" }] },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body.name).toBe("Accounts v2");
    expect(replaced.body.options.idempotency_keys).toBe(true);
    expect((await api.call("GET", `/api/integrations/${id}`)).body.manifest).toEqual({
      execute: [{ url: "https://api.example.com/v2" }],
    });

    const invalidPut = await api.call("PUT", `/api/integrations/${id}`, {
      name: "x",
      manifest: { execute: [] },
    });
    expect(invalidPut.status).toBe(422);
    expect(invalidPut.body.code).toBe("VALIDATION");

    expect((await api.call("DELETE", `/api/integrations/${id}`)).status).toBe(204);
    const gone = await api.call("GET", `/api/integrations/${id}`);
    expect(gone.status).toBe(404);
    expect(gone.body).toEqual({ code: "NOT_FOUND", message: `no integration with id "${id}"` });
  });

  it("returns warnings for legacy keys with the created record", async () => {
    const manifest = {
      execute: [{ url: "https://api.example.com/u" }],
      exists: {
        url: "https://api.example.com/u",
        expected: "x",
        fail_when_4xx_response_code: true,
      },
    };
    const created = await api.call("POST", "/api/integrations", { name: "Legacy", manifest });
    expect(created.status).toBe(201);
    expect(created.body.warnings).toEqual([
      expect.objectContaining({
        path: "manifest.exists.fail_when_4xx_response_code",
        severity: "warning",
      }),
    ]);
  });

  it("answers 409 for a duplicate name and while a run of the integration is unfinished", async () => {
    const first = await api.call("POST", "/api/integrations", {
      name: "Same",
      manifest: tokenManifest(),
    });
    const duplicate = await api.call("POST", "/api/integrations", {
      name: "Same",
      manifest: tokenManifest(),
    });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.code).toBe("CONFLICT");
    const hire = await api.store.createHire({ props: { email: "a@example.com" } });
    await api.store.createRun({ integrationId: first.body.id, hireId: hire.id, block: "execute" });
    const refused = await api.call("DELETE", `/api/integrations/${first.body.id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.message).toMatch(
      /has 1 unfinished run \(run_\w+ is queued\); cancel it first/,
    );
  });

  it("validates the request body itself", async () => {
    const unknownKey = await api.call("POST", "/api/integrations", {
      name: "A",
      manifest: tokenManifest(),
      manfest: {},
    });
    expect(unknownKey.status).toBe(422);
    expect(unknownKey.body).toMatchObject({ code: "INPUT_INVALID", path: "manfest" });
    const badHost = await api.call("POST", "/api/integrations", {
      name: "A",
      manifest: tokenManifest(),
      options: { allowed_hosts: ["https://x.example"] },
    });
    expect(badHost.body.path).toBe("options.allowed_hosts[0]");
    const malformed = await api.call("POST", "/api/integrations", "{not json");
    expect(malformed.status).toBe(400);
    expect(malformed.body).toEqual({
      code: "INPUT_INVALID",
      message: "the request body is not valid JSON",
    });
    const notJson = await api.call("POST", "/api/integrations", "name=x", {
      "content-type": "application/x-www-form-urlencoded",
    });
    expect(notJson.status).toBe(415);
    expect(notJson.body.code).toBe("INPUT_INVALID");
  });
});

describe("integration rate limits", () => {
  it("are set and replaced through options, and shown with their shared state once used", async () => {
    const created = await api.call("POST", "/api/integrations", {
      name: "Directory",
      manifest: tokenManifest(),
      options: { rate_limit: { requests_per_second: 0.5, max_in_flight: 2 } },
    });
    expect(created.status, created.text).toBe(201);
    const id = created.body.id;
    expect(created.body.options).toEqual({
      idempotency_keys: false,
      rate_limit: { requests_per_second: 0.5, max_in_flight: 2 },
    });
    expect(created.body.rate_limit_status).toBeUndefined();
    const limit = { requestsPerSecond: 0.5, maxInFlight: 2 };
    const now = Date.now();
    await api.store.acquireRateSlot({ integrationId: id, limit, slot: "s1", now, leaseMs: 60_000 });
    await api.store.releaseRateSlot({
      integrationId: id,
      limit,
      slot: "s1",
      now,
      throttled: { retryAfterMs: 120_000 },
    });
    const got = await api.call("GET", `/api/integrations/${id}`);
    expect(got.body.rate_limit_status).toEqual({
      requests_per_second: 0.25,
      paused_until: new Date(now + 120_000).toISOString(),
      in_flight: 0,
      throttled: 1,
    });
    const replaced = await api.call("PUT", `/api/integrations/${id}`, {
      name: "Directory",
      manifest: tokenManifest(),
      options: { rate_limit: { requests_per_second: 20, burst: 5 } },
    });
    expect(replaced.body.options.rate_limit).toEqual({ requests_per_second: 20, burst: 5 });
    const removed = await api.call("PUT", `/api/integrations/${id}`, {
      name: "Directory",
      manifest: tokenManifest(),
      options: { idempotency_keys: true },
    });
    expect(removed.body.options).toEqual({ idempotency_keys: true });
    expect(removed.body.rate_limit_status).toBeUndefined();
  });

  it("refuses a limit that says nothing or cannot be kept, naming the field", async () => {
    const refused = async (rate_limit: unknown) => {
      const reply = await api.call("POST", "/api/integrations", {
        name: "Limited",
        manifest: tokenManifest(),
        options: { rate_limit },
      });
      expect(reply.status).toBe(422);
      return { path: reply.body.path, message: reply.body.message };
    };
    expect(await refused({})).toEqual({
      path: "options.rate_limit",
      message: expect.stringContaining("set requests_per_second, max_in_flight or both"),
    });
    expect(await refused({ requests_per_second: 0 })).toEqual({
      path: "options.rate_limit.requests_per_second",
      message: expect.stringContaining("must be more than 0"),
    });
    expect(await refused({ max_in_flight: 1.5 })).toEqual({
      path: "options.rate_limit.max_in_flight",
      message: expect.stringContaining("must be a whole number of requests"),
    });
    expect(await refused({ max_in_flight: 2, burst: 3 })).toEqual({
      path: "options.rate_limit.burst",
      message: expect.stringContaining("burst needs requests_per_second"),
    });
    expect(await refused({ requests_per_second: "5" })).toMatchObject({
      path: "options.rate_limit.requests_per_second",
    });
    expect(await refused({ rps: 5 })).toMatchObject({ path: "options.rate_limit.rps" });
  });
});

describe("integration secrets", () => {
  const TOKEN = "tok-9f8e7d6c5b4a";
  const ORG = "org-314159";

  it("are write-only: status says set or missing, no response ever holds a value", async () => {
    const created = await api.call("POST", "/api/integrations", {
      name: "S",
      manifest: tokenManifest(),
    });
    const id = created.body.id;
    const set = await api.call("PUT", `/api/integrations/${id}/secrets`, {
      API_TOKEN: TOKEN,
      ORG_ID: ORG,
      EXTRA_KEY: "extra-value-1",
    });
    expect(set.status).toBe(200);
    const byId = Object.fromEntries(set.body.secrets.map((s: { id: string }) => [s.id, s]));
    expect(byId.API_TOKEN).toMatchObject({
      set: true,
      declared: true,
      updated_at: expect.any(String),
    });
    expect(byId.ORG_ID).toMatchObject({ set: true, secret: false });
    expect(byId.PASSWORD).toMatchObject({ set: false, generated: true });
    expect(byId.EXTRA_KEY).toMatchObject({ set: true, declared: false });

    await api.call("GET", `/api/integrations/${id}`);
    await api.call("GET", `/api/integrations`);
    await api.call("GET", `/api/integrations/${id}/secrets`);
    expect(await api.store.getSecrets(id)).toMatchObject({ API_TOKEN: TOKEN, ORG_ID: ORG });
    for (const text of api.transcript) {
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain(ORG);
      expect(text).not.toContain("extra-value-1");
    }

    expect((await api.call("DELETE", `/api/integrations/${id}/secrets/API_TOKEN`)).status).toBe(
      204,
    );
    const after = await api.call("GET", `/api/integrations/${id}/secrets`);
    expect(after.body.secrets.find((s: { id: string }) => s.id === "API_TOKEN").set).toBe(false);
    const again = await api.call("DELETE", `/api/integrations/${id}/secrets/API_TOKEN`);
    expect(again.status).toBe(404);
  });

  it("refuses generated items, empty values and bad names", async () => {
    const id = (
      await api.call("POST", "/api/integrations", { name: "S", manifest: tokenManifest() })
    ).body.id;
    const generated = await api.call("PUT", `/api/integrations/${id}/secrets`, {
      PASSWORD: "hunter22",
    });
    expect(generated.status).toBe(422);
    expect(generated.body).toMatchObject({ code: "INPUT_INVALID", path: "PASSWORD" });
    const empty = await api.call("PUT", `/api/integrations/${id}/secrets`, { API_TOKEN: "" });
    expect(empty.body).toMatchObject({ code: "INPUT_INVALID", path: "API_TOKEN" });
    const badName = await api.call("PUT", `/api/integrations/${id}/secrets`, {
      "bad name": "value",
    });
    expect(badName.status).toBe(422);
    // One plain sentence naming the field, not zod's "Invalid key in record".
    expect(badName.body.message).not.toMatch(/Invalid key|record/);
    expect(badName.body.message).toBe('["bad name"] is not an allowed name here');
    expect(await api.store.listSecretKeys(id)).toEqual([]);
  });
});
