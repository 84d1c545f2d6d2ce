// OAuth end to end through the real service (in-process, real HTTP, real SQLite) against a fake
// provider that rotates tokens: authorize redirect, callback with state, runs that use
// `{{ oauth.access_token }}`, refresh before an expiring token and once after a 401, and no token
// anywhere in API answers, logs or the data dir.
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OAUTH_SECRET_KEY, parseOAuthSecret } from "../../src/secrets/oauth-secret.ts";
import { startService, type RunningService } from "../../src/service/serve.ts";
import {
  CLIENT_ID,
  CLIENT_SECRET,
  startFakeOAuthProvider,
  type FakeOAuthProvider,
} from "../support/fake-oauth-provider.ts";
import { eventually } from "../support/service-process.ts";

const ADMIN = "hw_oauth_test_admin_token_42";
let provider: FakeOAuthProvider;
let service: RunningService;
let dataDir: string;
let logs = "";
const answers: string[] = [];

async function api(method: string, path: string, body?: unknown) {
  const response = await fetch(`${service.url}${path}`, {
    method,
    redirect: "manual",
    headers: {
      authorization: `Bearer ${ADMIN}`,
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  answers.push(text, response.headers.get("location") ?? "");
  return {
    status: response.status,
    location: response.headers.get("location"),
    text,
    body: text !== "" && text.startsWith("{") ? JSON.parse(text) : undefined,
  };
}

function tokenStep(data: Record<string, string>) {
  return {
    url: `${provider.url}/token`,
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    data: { client_id: "{{ CLIENT_ID }}", client_secret: "{{ CLIENT_SECRET }}", ...data },
  };
}

function manifest(withoutCode = false) {
  return {
    initial_data_form: [
      { id: "CLIENT_ID", name: "Client id", secret: false },
      { id: "CLIENT_SECRET", name: "Client secret" },
    ],
    oauth: withoutCode
      ? {
          without_code: true,
          authenticate_url: `${provider.url}/adminconsent?client_id={{ CLIENT_ID }}&redirect_uri={{ redirect_url }}`,
          access_token: tokenStep({ grant_type: "client_credentials" }),
        }
      : {
          authenticate_url: `${provider.url}/authorize?client_id={{ CLIENT_ID }}&redirect_uri={{ redirect_url|urlencode }}&response_type=code`,
          access_token: tokenStep({
            grant_type: "authorization_code",
            code: "{{ code }}",
            redirect_uri: "{{ redirect_url }}",
          }),
          refresh: tokenStep({
            grant_type: "refresh_token",
            refresh_token: "{{ oauth.refresh_token }}",
          }),
        },
    headers: { Authorization: "Bearer {{ oauth.access_token }}" },
    execute: [{ url: `${provider.url}/api/me`, method: "GET", store_data: { PLAN: "plan" } }],
  };
}

async function createIntegration(name: string, withoutCode = false): Promise<string> {
  const created = await api("POST", "/api/integrations", { name, manifest: manifest(withoutCode) });
  expect(created.status, created.text).toBe(201);
  const id = created.body.id as string;
  const secrets = await api("PUT", `/api/integrations/${id}/secrets`, {
    CLIENT_ID,
    CLIENT_SECRET,
  });
  expect(secrets.status, secrets.text).toBe(200);
  return id;
}

let hireId: string;

async function runToEnd(integrationId: string) {
  const started = await api("POST", "/api/runs", {
    integration_id: integrationId,
    hire_id: hireId,
  });
  expect(started.status, started.text).toBe(202);
  const id = started.body.id as string;
  return eventually(
    async () => {
      const run = await api("GET", `/api/runs/${id}`);
      return ["succeeded", "failed", "blocked"].includes(run.body.status) ? run.body : undefined;
    },
    20_000,
    `run ${id}`,
  );
}

async function storedTokens(integrationId: string) {
  return parseOAuthSecret((await service.store.getSecrets(integrationId))[OAUTH_SECRET_KEY]);
}

beforeAll(async () => {
  provider = await startFakeOAuthProvider();
  dataDir = await mkdtemp(join(tmpdir(), "hirewire-oauth-"));
  const logger = pino({ level: "debug" }, { write: (line: string) => void (logs += line) });
  service = await startService(
    {
      dataDir,
      host: "127.0.0.1",
      port: 0,
      adminToken: ADMIN,
      logLevel: "debug",
      sandbox: false,
      fileRetentionMs: null,
      leaseMs: 5_000,
      concurrency: 10,
    },
    logger,
  );
  const hire = await api("POST", "/api/hires", {
    email: "ada@example.com",
    first_name: "Ada",
    last_name: "Lovelace",
  });
  expect(hire.status, hire.text).toBe(201);
  hireId = hire.body.hire.id;
});

afterAll(async () => {
  await service?.close();
  await provider?.close();
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
});

describe("OAuth through the service", () => {
  let id: string;
  let callback: string;

  it("refuses runs until connected, and redirects the admin to the provider with a state", async () => {
    id = await createIntegration("Provider");
    const before = await api("GET", `/api/integrations/${id}`);
    expect(before.body.oauth).toEqual({ connected: false });
    const refused = await api("POST", "/api/runs", { integration_id: id, hire_id: hireId });
    expect(refused.status).toBe(422);
    expect(refused.body.problems[0]).toMatchObject({ path: "oauth", code: "INPUT_MISSING" });

    const redirect = await api("GET", `/api/integrations/${id}/oauth/authorize`);
    expect(redirect.status).toBe(302);
    const location = new URL(redirect.location!);
    expect(`${location.origin}${location.pathname}`).toBe(`${provider.url}/authorize`);
    expect(location.searchParams.get("client_id")).toBe(CLIENT_ID);
    callback = location.searchParams.get("redirect_uri")!;
    expect(callback).toBe(`${service.url}/oauth/${id}/callback`);
    expect(location.searchParams.get("state")).toMatch(/^[\w-]{40,}$/);

    const forUi = await api("POST", `/api/integrations/${id}/oauth/authorize`);
    expect(forUi.status).toBe(200);
    expect(forUi.body.url).toContain(`${provider.url}/authorize?client_id=`);
    // A new authorization replaces the pending one: the first state no longer works.
    const stale = await fetch(
      `${callback}?code=${provider.issueCode(callback)}&state=${location.searchParams.get("state")}`,
    );
    expect(stale.status).toBe(400);
    expect(await stale.text()).toContain("could not be completed");
    expect(logs).toContain("the state does not match the authorization that was started");
    expect(await storedTokens(id)).toBeUndefined();
  });

  it("connects on the callback: checks state, exchanges the code, stores the tokens encrypted", async () => {
    const { url } = (await api("POST", `/api/integrations/${id}/oauth/authorize`)).body;
    const state = new URL(url).searchParams.get("state")!;
    const code = provider.issueCode(callback);
    const page = await fetch(`${callback}?code=${code}&state=${state}`);
    const html = await page.text();
    answers.push(html);
    expect(page.status, html).toBe(200);
    expect(html).toContain("Connected");
    expect(provider.count("token:authorization_code")).toBe(1);

    const replay = await fetch(`${callback}?code=${code}&state=${state}`, {
      headers: { accept: "application/json" },
    });
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ connected: false, code: "INPUT_INVALID" });

    const tokens = await storedTokens(id);
    expect(tokens?.access_token).toBe(provider.current()!.access);
    expect(tokens?.expires_at).toEqual(expect.any(Number));
    const shown = await api("GET", `/api/integrations/${id}`);
    expect(shown.body.oauth).toEqual({ connected: true, expires_at: expect.any(String) });
    expect(shown.body.secrets.map((s: { id: string }) => s.id)).toEqual([
      "CLIENT_ID",
      "CLIENT_SECRET",
    ]);
    const reserved = await api("PUT", `/api/integrations/${id}/secrets`, {
      [OAUTH_SECRET_KEY]: "{}",
    });
    expect(reserved.status).toBe(422);
  });

  it("runs with the access token; no refresh while it is fresh", async () => {
    const run = await runToEnd(id);
    expect(run.status, JSON.stringify(run.error)).toBe("succeeded");
    expect(run.stored).toEqual({ PLAN: "pro" });
    expect(provider.count("token:refresh_token")).toBe(0);
    expect(provider.events.at(-1)).toMatchObject({ kind: "api", status: 200 });
  });

  it("after a 401 refreshes once, retries, and stores the rotated tokens", async () => {
    const old = provider.current()!;
    provider.revokeAccess(old.access);
    provider.expiresIn = 30; // the next token is already within the refresh margin
    const run = await runToEnd(id);
    provider.expiresIn = 3600;
    expect(run.status, JSON.stringify(run.error)).toBe("succeeded");
    expect(provider.events.slice(-3).map((e) => `${e.kind} ${e.status}`)).toEqual([
      "api 401",
      "token:refresh_token 200",
      "api 200",
    ]);
    const tokens = await storedTokens(id);
    expect(tokens?.access_token).toBe(provider.current()!.access);
    expect(tokens?.refresh_token).not.toBe(old.refresh);
    const attempts = (await api("GET", `/api/runs/${run.id}`)).body.attempts as unknown[];
    expect(JSON.stringify(attempts)).toContain("***oauth.access_token***");
  });

  it("refreshes before the block when the stored token is about to expire", async () => {
    const before = provider.count("token:refresh_token");
    const run = await runToEnd(id);
    expect(run.status, JSON.stringify(run.error)).toBe("succeeded");
    expect(provider.events.slice(-2).map((e) => `${e.kind} ${e.status}`)).toEqual([
      "token:refresh_token 200",
      "api 200",
    ]);
    expect(provider.count("token:refresh_token")).toBe(before + 1);
    expect(provider.events.at(-1)!.token).toBe(provider.current()!.access);
    expect((await storedTokens(id))?.access_token).toBe(provider.current()!.access);
  });

  it("a second 401 after the refresh fails the run instead of looping", async () => {
    const before = provider.count("token:refresh_token");
    provider.rejectAll = true;
    const run = await runToEnd(id);
    provider.rejectAll = false;
    expect(run.status).toBe("failed");
    expect(run.error.code).toBe("HTTP_STATUS");
    expect(provider.count("token:refresh_token")).toBe(before + 1);
  });

  it("without_code: the callback needs no code, and POST …/oauth/connect connects at once", async () => {
    const other = await createIntegration("Client credentials", true);
    const refused = await api("POST", `/api/integrations/${id}/oauth/connect`);
    expect(refused.status).toBe(409);
    const authorize = await api("GET", `/api/integrations/${other}/oauth/authorize`);
    expect(authorize.status).toBe(302);
    const consent = new URL(authorize.location!);
    const back = await fetch(
      `${consent.searchParams.get("redirect_uri")}?admin_consent=True&state=${consent.searchParams.get("state")}`,
    );
    expect(back.status, await back.text()).toBe(200);
    expect((await api("GET", `/api/integrations/${other}`)).body.oauth.connected).toBe(true);
    expect((await api("DELETE", `/api/integrations/${other}/oauth`)).status).toBe(204);

    const connected = await api("POST", `/api/integrations/${other}/oauth/connect`);
    expect(connected.status, connected.text).toBe(200);
    expect(connected.body).toMatchObject({ connected: true, expires_at: expect.any(String) });
    expect(connected.body.tokens).toContain("access_token");
    const run = await runToEnd(other);
    expect(run.status, JSON.stringify(run.error)).toBe("succeeded");
    expect((await api("DELETE", `/api/integrations/${other}/oauth`)).status).toBe(204);
    expect((await api("GET", `/api/integrations/${other}`)).body.oauth).toEqual({
      connected: false,
    });
  });

  it("never shows a token or the client secret in API answers, logs or the data dir", async () => {
    const runs = await api("GET", "/api/runs?limit=500");
    for (const run of runs.body.items as Array<{ id: string }>)
      await api("GET", `/api/runs/${run.id}`);
    await api("GET", "/api/integrations");
    await api("GET", "/openapi.json");
    const files: string[] = [];
    for (const entry of await readdir(dataDir, { recursive: true, withFileTypes: true }))
      if (entry.isFile())
        files.push((await readFile(join(entry.parentPath, entry.name))).toString("latin1"));
    const haystacks = { answers: answers.join("\n"), logs, dataDir: files.join("\n") };
    // The haystacks hold what they should: masked records, the callback's request line.
    expect(haystacks.dataDir).toContain("***oauth.refresh_token***");
    expect(haystacks.answers).toContain("***oauth.access_token***");
    expect(haystacks.logs).toContain(`/oauth/${id}/callback`);
    const secrets = [...provider.issued(), CLIENT_SECRET];
    expect(secrets.length).toBeGreaterThan(8);
    for (const [where, text] of Object.entries(haystacks)) {
      expect(text.length, where).toBeGreaterThan(0);
      for (const secret of secrets)
        expect(text.includes(secret), `${secret} in ${where}`).toBe(false);
    }
  });
});
