// API tokens through the real API on a real SQLite file: list (never the token), create, revoke,
// and what HIREWIRE_ADMIN_TOKEN means across restarts (the one env token, valid while set).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { openCipher } from "../../src/secrets/index.ts";
import { issueApiToken, revokeApiToken, TOKEN_CACHE_MS } from "../../src/service/api-tokens.ts";
import { openStore } from "../../src/service/open-store.ts";
import { startService, type RunningService } from "../../src/service/serve.ts";
import { configFromEnv } from "../../src/service/service-config.ts";

const dirs: string[] = [];
let running: RunningService | undefined;

afterEach(async () => {
  await running?.close();
  running = undefined;
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "hirewire-tokens-"));
  dirs.push(dir);
  return dir;
}

/** (Re)starts the service on `dir`; `adminToken` undefined leaves HIREWIRE_ADMIN_TOKEN unset. */
async function start(dir: string, adminToken?: string): Promise<RunningService> {
  await running?.close();
  const env: Record<string, string> = {
    HIREWIRE_DATA: dir,
    PORT: "0",
    LOG_LEVEL: "silent",
    HIREWIRE_SANDBOX: "off",
  };
  if (adminToken !== undefined) env.HIREWIRE_ADMIN_TOKEN = adminToken;
  running = await startService(configFromEnv(env), pino({ level: "silent" }));
  return running;
}

async function call(token: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${running!.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, text, body: text === "" ? undefined : JSON.parse(text) };
}

describe("/api/tokens", () => {
  it("creates a token shown once, lists tokens without them, and revokes at once", async () => {
    const dir = await dataDir();
    await start(dir, "hw_env_token_one");
    const created = await call("hw_env_token_one", "POST", "/api/tokens", { name: "ci deploys" });
    expect(created.status, created.text).toBe(201);
    const token = created.body.token as string;
    expect(token).toMatch(/^hw_/);
    expect(created.body).toMatchObject({ name: "ci deploys", source: "created" });

    expect((await call(token, "GET", "/api/integrations")).status).toBe(200);
    const listed = await call(token, "GET", "/api/tokens");
    expect(listed.status).toBe(200);
    expect(listed.text).not.toContain(token);
    expect(listed.text).not.toContain("hw_env_token_one");
    expect(listed.text).not.toMatch(/hash/i);
    expect(listed.body.items).toEqual([
      {
        id: expect.stringMatching(/^tok_/),
        name: "admin (HIREWIRE_ADMIN_TOKEN)",
        source: "env",
        created_at: expect.any(String),
        last_used_at: expect.any(String),
        current: false,
      },
      {
        id: created.body.id,
        name: "ci deploys",
        source: "created",
        created_at: created.body.created_at,
        last_used_at: expect.any(String),
        current: true,
      },
    ]);

    const revoked = await call("hw_env_token_one", "DELETE", `/api/tokens/${created.body.id}`);
    expect(revoked.status).toBe(204);
    expect((await call(token, "GET", "/api/integrations")).status).toBe(401);
    expect(
      (await call("hw_env_token_one", "DELETE", `/api/tokens/${created.body.id}`)).status,
    ).toBe(404);
    const blank = await call("hw_env_token_one", "POST", "/api/tokens", { name: " " });
    expect(blank.status).toBe(422);
  });

  it("a token revoked by another process stops working within TOKEN_CACHE_MS; one made there works at once", async () => {
    const dir = await dataDir();
    await start(dir, "hw_env_token_cache");
    // A second store on the same file, as `hirewire token` in another process opens it.
    const cipher = await openCipher(dir, undefined);
    const { store: other } = await openStore({ dataDir: dir }, cipher);
    try {
      const { record, token } = await issueApiToken(other, "elsewhere");
      expect((await call(token, "GET", "/api/integrations")).status).toBe(200);
      await revokeApiToken(other, record.id);
      await new Promise((resolve) => setTimeout(resolve, TOKEN_CACHE_MS + 50));
      expect((await call(token, "GET", "/api/integrations")).status).toBe(401);
      expect((await call("hw_env_token_cache", "GET", "/api/integrations")).status).toBe(200);
    } finally {
      await other.close();
    }
  });

  it("a changed HIREWIRE_ADMIN_TOKEN replaces the old one instead of adding a second", async () => {
    const dir = await dataDir();
    await start(dir, "hw_env_token_old");
    const kept = await call("hw_env_token_old", "POST", "/api/tokens", { name: "kept" });
    await start(dir, "hw_env_token_new");
    expect((await call("hw_env_token_old", "GET", "/api/integrations")).status).toBe(401);
    expect((await call("hw_env_token_new", "GET", "/api/integrations")).status).toBe(200);
    expect((await call(kept.body.token, "GET", "/api/integrations")).status).toBe(200);
    const names = (await call("hw_env_token_new", "GET", "/api/tokens")).body.items.map(
      (t: { name: string; source: string }) => `${t.name}/${t.source}`,
    );
    expect(names).toEqual(["kept/created", "admin (HIREWIRE_ADMIN_TOKEN)/env"]);
  });

  it("an unset HIREWIRE_ADMIN_TOKEN is no longer valid; with no token left one is made", async () => {
    const dir = await dataDir();
    await start(dir, "hw_env_token_gone");
    const service = await start(dir);
    expect((await call("hw_env_token_gone", "GET", "/api/integrations")).status).toBe(401);
    const made = service.createdAdminToken!;
    expect(made).toMatch(/^hw_/);
    const items = (await call(made, "GET", "/api/tokens")).body.items;
    expect(items).toMatchObject([{ name: "admin", source: "generated", current: true }]);
  });

  it("a revoked HIREWIRE_ADMIN_TOKEN is not accepted again at the next start", async () => {
    const dir = await dataDir();
    await start(dir, "hw_env_token_leaked");
    const spare = await call("hw_env_token_leaked", "POST", "/api/tokens", { name: "spare" });
    const env = (await call("hw_env_token_leaked", "GET", "/api/tokens")).body.items.find(
      (t: { source: string }) => t.source === "env",
    );
    expect((await call(spare.body.token, "DELETE", `/api/tokens/${env.id}`)).status).toBe(204);
    expect((await call("hw_env_token_leaked", "GET", "/api/integrations")).status).toBe(401);
    await start(dir, "hw_env_token_leaked");
    expect((await call("hw_env_token_leaked", "GET", "/api/integrations")).status).toBe(401);
    expect((await call(spare.body.token, "GET", "/api/integrations")).status).toBe(200);
  });
});
