import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startTestApi, tokenManifest, type TestApi } from "../../../test/support/test-api.ts";

let api: TestApi;
beforeEach(async () => {
  api = await startTestApi();
});
afterEach(async () => {
  await api.close();
});

const ADA = {
  email: "ada@example.com",
  first_name: "Ada",
  last_name: "Lovelace",
  start: "2025-03-01",
};

describe("hires", () => {
  it("validates props per docs/manifest.md, reporting every problem", async () => {
    const reply = await api.call("POST", "/api/hires", {
      first_name: 7,
      start: "1 March",
      manager_email: "nobody",
      "bad name": "x",
      responses: "y",
    });
    expect(reply.status).toBe(422);
    expect(reply.body.code).toBe("INPUT_INVALID");
    const paths = reply.body.problems.map((p: { path: string }) => p.path).sort();
    expect(paths).toEqual(
      ['["bad name"]', "email", "first_name", "manager_email", "responses", "start"].sort(),
    );
    expect(reply.body.message).toMatch(/\(and 5 more problems\)$/);
  });

  it("creates, lists by email, gets, replaces and deletes", async () => {
    const created = await api.call("POST", "/api/hires", { ...ADA, employee_no: 42, tags: ["x"] });
    expect(created.status).toBe(201);
    expect(created.body.runs).toEqual([]);
    const hire = created.body.hire;
    expect(hire.props).toEqual({ ...ADA, employee_no: 42, tags: ["x"] });
    expect(hire.stored).toEqual({});
    await api.call("POST", "/api/hires", { email: "grace@example.com" });

    const all = await api.call("GET", "/api/hires?limit=1");
    expect(all.body.items).toHaveLength(1);
    expect(all.body.next_cursor).toEqual(expect.any(String));
    const older = await api.call("GET", `/api/hires?limit=1&cursor=${all.body.next_cursor}`);
    expect(older.body.items[0].id).toBe(hire.id);
    const byEmail = await api.call("GET", "/api/hires?email=ADA@example.com");
    expect(byEmail.body.items.map((h: { id: string }) => h.id)).toEqual([hire.id]);

    const replaced = await api.call("PUT", `/api/hires/${hire.id}`, {
      email: "ada@lovelace.example",
      position: "Engineer",
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body.props).toEqual({ email: "ada@lovelace.example", position: "Engineer" });
    expect((await api.call("PUT", `/api/hires/${hire.id}`, { position: "x" })).body.path).toBe(
      "email",
    );

    expect((await api.call("DELETE", `/api/hires/${hire.id}`)).status).toBe(204);
    expect((await api.call("GET", `/api/hires/${hire.id}`)).status).toBe(404);
  });

  it("reads, sets and deletes stored fields", async () => {
    const id = (await api.call("POST", "/api/hires", ADA)).body.hire.id;
    await api.store.setStoredField(id, "SLACK_ID", "U1");
    const set = await api.call("PUT", `/api/hires/${id}/stored/TEAM`, {
      value: { id: 7, tags: ["a"] },
    });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ name: "TEAM", value: { id: 7, tags: ["a"] }, run_id: null });
    const nullValue = await api.call("PUT", `/api/hires/${id}/stored/EMPTY`, { value: null });
    expect(nullValue.body.value).toBeNull();
    const missingValue = await api.call("PUT", `/api/hires/${id}/stored/X`, {});
    expect(missingValue.status).toBe(422);
    expect(missingValue.body.path).toBe("value");
    const badName = await api.call("PUT", `/api/hires/${id}/stored/has%20space`, { value: 1 });
    expect(badName.body.path).toBe("path.name");

    const stored = await api.call("GET", `/api/hires/${id}/stored`);
    expect(Object.keys(stored.body.stored).sort()).toEqual(["EMPTY", "SLACK_ID", "TEAM"]);
    const detail = await api.call("GET", `/api/hires/${id}`);
    expect(detail.body.stored.SLACK_ID).toEqual({
      value: "U1",
      secret: false,
      updated_at: expect.any(String),
      run_id: null,
    });

    expect((await api.call("DELETE", `/api/hires/${id}/stored/SLACK_ID`)).status).toBe(204);
    expect((await api.call("DELETE", `/api/hires/${id}/stored/SLACK_ID`)).status).toBe(404);
    expect(await api.store.getStoredFields(id)).not.toHaveProperty("SLACK_ID");
  });

  it("triggers chosen integrations on create, or creates nothing when one cannot run", async () => {
    const integration = (
      await api.call("POST", "/api/integrations", { name: "Accounts", manifest: tokenManifest() })
    ).body;

    const refused = await api.call("POST", "/api/hires", { ...ADA, trigger: [integration.id] });
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe("INPUT_MISSING");
    expect(refused.body.path).toBe("trigger[0]");
    expect(refused.body.message).toMatch(/API_TOKEN/);
    expect((await api.store.listHires()).items).toEqual([]);

    await api.call("PUT", `/api/integrations/${integration.id}/secrets`, {
      API_TOKEN: "tok-123456",
      ORG_ID: "org-1",
    });
    const created = await api.call("POST", "/api/hires", { ...ADA, trigger: [integration.id] });
    expect(created.status).toBe(201);
    expect(created.body.hire.props).not.toHaveProperty("trigger");
    expect(created.body.runs).toEqual([
      expect.objectContaining({
        integration_id: integration.id,
        hire_id: created.body.hire.id,
        status: "queued",
      }),
    ]);
    expect(api.notified()).toBe(1);

    const unknown = await api.call("POST", "/api/hires", { ...ADA, trigger: ["int_nope"] });
    expect(unknown.status).toBe(404);
    expect(unknown.body.path).toBe("trigger[0]");
  });

  it("refuses to delete a hire that runs refer to", async () => {
    const integration = await api.store.createIntegration({ name: "I", manifest: tokenManifest() });
    const id = (await api.call("POST", "/api/hires", ADA)).body.hire.id;
    await api.store.createRun({ integrationId: integration.id, hireId: id, block: "execute" });
    const reply = await api.call("DELETE", `/api/hires/${id}`);
    expect(reply.status).toBe(409);
    expect(reply.body.code).toBe("CONFLICT");
  });
});
