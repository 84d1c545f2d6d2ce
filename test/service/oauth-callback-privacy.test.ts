// The OAuth callback needs no API token, so it must not tell a stranger anything: whether an
// integration id exists, whether it uses OAuth, what is wrong with its manifest. Every refusal
// before a valid `state` is one and the same page; the reason goes to the service log.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startService, type RunningService } from "../../src/service/serve.ts";

const ADMIN = "hw_oauth_privacy_admin_token";
let service: RunningService;
let dataDir: string;
let logs = "";

async function api(method: string, path: string, body?: unknown) {
  const response = await fetch(`${service.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${ADMIN}`,
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, body: (await response.json()) as any };
}

const OAUTH_MANIFEST = {
  oauth: {
    authenticate_url:
      "https://auth.example.com/authorize?client_id=x&redirect_uri={{ redirect_url }}",
    access_token: {
      url: "https://auth.example.com/token",
      method: "POST",
      data: { code: "{{ code }}" },
    },
  },
  execute: [{ url: "https://api.example.com/me", method: "GET" }],
};

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "hirewire-oauth-privacy-"));
  service = await startService(
    {
      dataDir,
      host: "127.0.0.1",
      port: 0,
      adminToken: ADMIN,
      logLevel: "info",
      sandbox: false,
      fileRetentionMs: null,
      leaseMs: 5_000,
      concurrency: 10,
    },
    pino({ level: "info" }, { write: (line: string) => void (logs += line) }),
  );
});
afterAll(async () => {
  await service?.close();
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
});

describe("the OAuth callback, to a caller without a valid state", () => {
  it("answers an unknown id, a plain integration, a broken manifest and a wrong state alike", async () => {
    const plain = await api("POST", "/api/integrations", {
      name: "Secret project plain",
      manifest: { execute: [{ url: "https://api.example.com/x", method: "GET" }] },
    });
    expect(plain.status).toBe(201);
    const oauth = await api("POST", "/api/integrations", {
      name: "Secret project oauth",
      manifest: OAUTH_MANIFEST,
    });
    expect(oauth.status).toBe(201);
    const broken = await service.store.createIntegration({
      name: "Secret project broken",
      manifest: { execute: [{ url: "https://api.example.com/{{ oops", method: "GET" }] },
    });
    const pending = await api("POST", `/api/integrations/${oauth.body.id}/oauth/authorize`);
    expect(pending.status).toBe(200);

    const probes = [
      `/oauth/int_does_not_exist/callback?code=c&state=s`,
      `/oauth/${plain.body.id}/callback?code=c&state=s`,
      `/oauth/${broken.id}/callback?code=c&state=s`,
      `/oauth/${oauth.body.id}/callback?code=c&state=wrong`,
      `/oauth/${oauth.body.id}/callback?code=c`,
    ];
    const html: string[] = [];
    const json: string[] = [];
    for (const probe of probes) {
      const page = await fetch(`${service.url}${probe}`);
      expect(page.status, probe).toBe(400);
      html.push(await page.text());
      const answer = await fetch(`${service.url}${probe}`, {
        headers: { accept: "application/json" },
      });
      expect(answer.status, probe).toBe(400);
      json.push(await answer.text());
    }
    expect(new Set(html).size).toBe(1);
    expect(new Set(json).size).toBe(1);
    for (const text of [html[0]!, json[0]!]) {
      expect(text).not.toMatch(/int_|Secret project|oauth block|manifest|exist/i);
    }
    expect(JSON.parse(json[0]!)).toMatchObject({ connected: false, code: "INPUT_INVALID" });

    // The admin finds the reason in the log.
    expect(logs).toContain("oauth callback refused");
    expect(logs).toContain(broken.id);

    // The real authorization is still pending: a wrong state did not use it up.
    const state = new URL(pending.body.url).searchParams.get("state")!;
    const real = await fetch(
      `${service.url}/oauth/${oauth.body.id}/callback?error=access_denied&state=${state}`,
      {
        headers: { accept: "application/json" },
      },
    );
    expect(real.status).toBe(400);
    expect(await real.json()).toMatchObject({
      message: expect.stringContaining("access_denied"),
    });
  });
});
