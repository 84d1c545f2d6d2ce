// Stored fields that hold a secret, through the real service (in-process, real HTTP, real SQLite
// file): a target that echoes the Authorization header, a generated password and an OAuth access
// token end up in `store_data`. The values must be encrypted at rest (no form of them in the .db
// or its -wal), masked in every API answer, and still sent raw by a later run that uses them.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OAUTH_SECRET_KEY, oauthSecretValue } from "../../src/secrets/oauth-secret.ts";
import { startInProcessService, type InProcessService } from "../support/in-process-service.ts";
import { sendJson, startTargetServer, type TargetServer } from "../support/target-server.ts";

const API_TOKEN = "tok_live_stored_secret_0123456789";
const ACCESS_TOKEN = "ya29.access-token-stored-9876543210";
const ADMIN_SECRET = "admin-set-stored-secret-5555";

let target: TargetServer;
let svc: InProcessService;
let failUse = 0;

beforeAll(async () => {
  target = await startTargetServer();
  // Echoes the credentials it was sent, the way a misbehaving target does.
  target.route("POST", "/whoami", (req, res) =>
    sendJson(res, 200, {
      id: "u_42",
      authorization: req.headers.authorization,
      access: req.headers["x-access"],
      password: (req.json as { password?: string } | undefined)?.password,
    }),
  );
  target.route("POST", "/consume", (req, res) => sendJson(res, 200, { got: req.json }));
  target.route("POST", "/flaky-use", (req, res) => {
    if (failUse > 0) {
      failUse -= 1;
      return sendJson(res, 503, { error: "try later" });
    }
    sendJson(res, 200, { ok: true });
  });
  svc = await startInProcessService();
});
afterAll(async () => {
  await svc.close();
  await target.close();
});

/** Every form a value could be written in: raw, base64 (standard and URL-safe), URL-encoded. */
function forms(value: string): string[] {
  const base64 = Buffer.from(value).toString("base64");
  return [
    value,
    base64.replace(/=+$/, ""),
    Buffer.from(value).toString("base64url"),
    encodeURIComponent(value),
  ];
}

async function dataFiles(): Promise<string> {
  const file = join(svc.dir, "hirewire.sqlite");
  const parts = await Promise.all(
    [file, `${file}-wal`].map((path) => readFile(path).catch(() => Buffer.alloc(0))),
  );
  return Buffer.concat(parts).toString("latin1");
}

async function integration(name: string, manifest: unknown, secrets: Record<string, string>) {
  const created = await svc.api("POST", "/api/integrations", { name, manifest });
  expect(created.status, created.text).toBe(201);
  if (Object.keys(secrets).length > 0) {
    const set = await svc.api("PUT", `/api/integrations/${created.body.id}/secrets`, secrets);
    expect(set.status, set.text).toBeLessThan(300);
  }
  return created.body.id as string;
}

async function run(integrationId: string, hireId: string) {
  const triggered = await svc.api("POST", "/api/runs", {
    integration_id: integrationId,
    hire_id: hireId,
  });
  expect(triggered.status, triggered.text).toBe(202);
  const done = await svc.finished(triggered.body.id);
  expect(done.status, JSON.stringify(done.error)).toBe("succeeded");
  return (await svc.api("GET", `/api/runs/${done.id}`)).body;
}

describe("stored fields that hold a secret", () => {
  let hireId: string;
  let password: string;
  let producer: any;

  beforeAll(async () => {
    const producerId = await integration(
      "Echoing target",
      {
        initial_data_form: [
          { id: "API_TOKEN", name: "API token" },
          { id: "PASSWORD", name: "generate" },
        ],
        execute: [
          {
            url: `${target.url}/whoami`,
            method: "POST",
            headers: {
              Authorization: "Bearer {{ API_TOKEN }}",
              "X-Access": "{{ oauth.access_token }}",
            },
            data: { password: "{{ PASSWORD }}" },
            store_data: {
              USER_ID: "id",
              AUTH_ECHO: "authorization",
              ACCESS_ECHO: "access",
              PASSWORD_ECHO: "password",
            },
          },
        ],
      },
      { API_TOKEN },
    );
    await svc.service.store.setSecret(
      producerId,
      OAUTH_SECRET_KEY,
      oauthSecretValue({ access_token: ACCESS_TOKEN, token_type: "Bearer" }),
    );
    const created = await svc.api("POST", "/api/hires", { email: "stored@example.com" });
    hireId = created.body.hire.id;
    producer = await run(producerId, hireId);
    const sent = target.requests.find((request) => request.path === "/whoami")!;
    password = (JSON.parse(sent.body) as { password: string }).password;
    expect(password).toHaveLength(16);
  });

  it("keeps them out of the SQLite file and its WAL in every form", async () => {
    const bytes = await dataFiles();
    expect(bytes.length).toBeGreaterThan(0);
    for (const secret of [API_TOKEN, ACCESS_TOKEN, password])
      for (const form of forms(secret)) expect(bytes.includes(form), form).toBe(false);
  });

  it("masks them in the hire, the stored-fields API and the run, which agree", async () => {
    const hire = (await svc.api("GET", `/api/hires/${hireId}`)).body;
    const fields = (await svc.api("GET", `/api/hires/${hireId}/stored`)).body.stored;
    expect(hire.stored).toEqual(fields);
    expect(fields.USER_ID).toMatchObject({ value: "u_42", secret: false });
    expect(fields.AUTH_ECHO).toMatchObject({ value: "Bearer ***API_TOKEN***", secret: true });
    expect(fields.ACCESS_ECHO).toMatchObject({
      value: "***oauth.access_token***",
      secret: true,
    });
    expect(fields.PASSWORD_ECHO).toMatchObject({ value: "***PASSWORD***", secret: true });
    for (const name of ["USER_ID", "AUTH_ECHO", "ACCESS_ECHO", "PASSWORD_ECHO"])
      expect(producer.stored[name]).toEqual(fields[name].value);
    const shown = JSON.stringify([hire, fields, producer]);
    for (const secret of [API_TOKEN, ACCESS_TOKEN, password]) expect(shown).not.toContain(secret);
  });

  it("sends them raw to a later integration, whose attempts show them masked", async () => {
    const consumerId = await integration(
      "Consumer",
      {
        execute: [
          {
            url: `${target.url}/consume`,
            method: "POST",
            data: {
              auth: "{{ AUTH_ECHO }}",
              access: "{{ ACCESS_ECHO }}",
              password: "{{ PASSWORD_ECHO }}",
              user: "{{ USER_ID }}",
            },
            store_data: { COPIED_AUTH: "got.auth" },
          },
        ],
      },
      {},
    );
    const consumer = await run(consumerId, hireId);
    const received = JSON.parse(target.requests.at(-1)!.body) as Record<string, string>;
    expect(received).toEqual({
      auth: `Bearer ${API_TOKEN}`,
      access: ACCESS_TOKEN,
      password,
      user: "u_42",
    });
    const shown = JSON.stringify(consumer);
    for (const secret of [API_TOKEN, ACCESS_TOKEN, password]) expect(shown).not.toContain(secret);
    expect(shown).toContain("***stored.AUTH_ECHO***");
    expect(shown).toContain("***stored.PASSWORD_ECHO***");
    // A value copied from a secret stored field is a secret too.
    const fields = (await svc.api("GET", `/api/hires/${hireId}/stored`)).body.stored;
    expect(fields.COPIED_AUTH).toMatchObject({
      value: "Bearer ***stored.AUTH_ECHO***",
      secret: true,
    });
    const bytes = await dataFiles();
    for (const secret of [API_TOKEN, ACCESS_TOKEN, password])
      for (const form of forms(secret)) expect(bytes.includes(form), form).toBe(false);
  });

  it("masks them in exists checks and the access overview", async () => {
    const checkId = await integration(
      "Directory check",
      {
        execute: [{ url: `${target.url}/consume`, method: "POST" }],
        exists: {
          url: `${target.url}/status/404?auth={{ AUTH_ECHO }}&password={{ PASSWORD_ECHO }}`,
          method: "GET",
        },
      },
      {},
    );
    const check = await svc.api("POST", `/api/hires/${hireId}/exists`, {
      integration_id: checkId,
    });
    expect(check.status, check.text).toBe(200);
    expect(check.body.exists).toBe(false);
    expect(check.body.reason).toContain("***stored.PASSWORD_ECHO***");
    const sent = target.requests.at(-1)!;
    expect(sent.query).toEqual({ auth: `Bearer ${API_TOKEN}`, password });
    const overview = await svc.api("GET", `/api/hires/${hireId}/access`);
    expect(overview.status, overview.text).toBe(200);
    expect(overview.text).toContain("Directory check");
    for (const secret of [API_TOKEN, password])
      for (const form of forms(secret)) {
        expect(check.text, form).not.toContain(form);
        expect(overview.text, form).not.toContain(form);
      }
  });

  it("gives a resumed run the real value of a secret field its failed run stored", async () => {
    const integrationId = await integration(
      "Store then use",
      {
        initial_data_form: [{ id: "API_TOKEN", name: "API token" }],
        execute: [
          {
            url: `${target.url}/whoami`,
            method: "POST",
            headers: { Authorization: "Bearer {{ API_TOKEN }}" },
            store_data: { RESUME_AUTH: "authorization" },
          },
          {
            url: `${target.url}/flaky-use`,
            method: "POST",
            data: { auth: "{{ RESUME_AUTH }}" },
            status_code: [200],
          },
        ],
      },
      { API_TOKEN },
    );
    failUse = 1;
    const triggered = await svc.api("POST", "/api/runs", {
      integration_id: integrationId,
      hire_id: hireId,
    });
    const failed = await svc.finished(triggered.body.id);
    expect(failed.status).toBe("failed");
    expect(failed.stored.RESUME_AUTH).toBe("Bearer ***API_TOKEN***");
    const resumed = await svc.api("POST", `/api/runs/${failed.id}/resume`);
    expect(resumed.status, resumed.text).toBe(202);
    const done = await svc.finished(failed.id);
    expect(done.status, JSON.stringify(done.error)).toBe("succeeded");
    const sent = target.requests.filter((request) => request.path === "/flaky-use");
    expect(sent.map((request) => JSON.parse(request.body))).toEqual([
      { auth: `Bearer ${API_TOKEN}` },
      { auth: `Bearer ${API_TOKEN}` },
    ]);
    expect(JSON.stringify((await svc.api("GET", `/api/runs/${failed.id}`)).body)).not.toContain(
      API_TOKEN,
    );
  });

  it("lets an admin set a secret stored field that is write-only afterwards", async () => {
    const put = await svc.api("PUT", `/api/hires/${hireId}/stored/LICENSE_KEY`, {
      value: ADMIN_SECRET,
      secret: true,
    });
    expect(put.status, put.text).toBe(200);
    expect(put.body).toMatchObject({
      name: "LICENSE_KEY",
      value: "***stored.LICENSE_KEY***",
      secret: true,
    });
    const fields = (await svc.api("GET", `/api/hires/${hireId}/stored`)).body.stored;
    expect(fields.LICENSE_KEY).toMatchObject({ value: "***stored.LICENSE_KEY***", secret: true });
    const userId = await integration(
      "License user",
      {
        execute: [
          {
            url: `${target.url}/consume`,
            method: "POST",
            data: { key: "{{ LICENSE_KEY }}" },
          },
        ],
      },
      {},
    );
    const used = await run(userId, hireId);
    expect(JSON.parse(target.requests.at(-1)!.body)).toEqual({ key: ADMIN_SECRET });
    expect(JSON.stringify(used)).not.toContain(ADMIN_SECRET);
    expect(JSON.stringify(used)).toContain("***stored.LICENSE_KEY***");
    const bytes = await dataFiles();
    for (const form of forms(ADMIN_SECRET)) expect(bytes.includes(form), form).toBe(false);
  });

  it("masks a value in earlier runs' details once an admin marks its field secret", async () => {
    const value = "late-secret-value-8642";
    await svc.api("PUT", `/api/hires/${hireId}/stored/LATE_KEY`, { value });
    const senderId = await integration(
      "Late sender",
      {
        execute: [
          { url: `${target.url}/consume`, method: "POST", data: { key: "{{ LATE_KEY }}" } },
        ],
      },
      {},
    );
    const before = await run(senderId, hireId);
    expect(JSON.stringify(before)).toContain(value);
    await svc.api("PUT", `/api/hires/${hireId}/stored/LATE_KEY`, { value, secret: true });
    const after = (await svc.api("GET", `/api/runs/${before.id}`)).body;
    expect(JSON.stringify(after)).not.toContain(value);
    expect(JSON.stringify(after)).toContain("***stored.LATE_KEY***");
  });
});
