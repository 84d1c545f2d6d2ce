// The sandbox's bearer token at rest: settings keep a hash, never the token, also for data made
// by a version that kept it in plaintext; the seeded integrations keep working either way.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { openCipher } from "../../src/secrets/index.ts";
import { startService, type RunningService } from "../../src/service/serve.ts";
import { configFromEnv } from "../../src/service/service-config.ts";
import { openSqliteStore } from "../../src/store/index.ts";

const ADMIN = "hw_sandbox_token_test_admin";
const dirs: string[] = [];
const services: RunningService[] = [];

afterEach(async () => {
  for (const service of services.splice(0)) await service.close();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function start(dir: string): Promise<RunningService> {
  const config = configFromEnv({
    HIREWIRE_DATA: dir,
    PORT: "0",
    HIREWIRE_ADMIN_TOKEN: ADMIN,
    LOG_LEVEL: "silent",
  });
  const service = await startService(config, pino({ level: "silent" }));
  services.push(service);
  return service;
}

function settingsText(dir: string): string {
  const db = new Database(join(dir, "hirewire.sqlite"), { readonly: true });
  try {
    return JSON.stringify(db.prepare("SELECT key, value FROM settings").all());
  } finally {
    db.close();
  }
}

async function seededToken(service: RunningService): Promise<string> {
  const seeded = (await service.store.listIntegrations()).find(
    (i) => i.name === "Sandbox: create account",
  )!;
  return (await service.store.getSecrets(seeded.id)).SANDBOX_TOKEN!;
}

async function sandboxStatus(service: RunningService, token: string): Promise<number> {
  const response = await fetch(`${service.url}/sandbox/api/users`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ email: `s${Math.random()}@example.com` }),
  });
  return response.status;
}

describe("the sandbox token", () => {
  it("is kept as a hash in settings and still admits the seeded integrations' token", async () => {
    const dir = await mkdtemp(join(tmpdir(), "hirewire-sbx-"));
    dirs.push(dir);
    const service = await start(dir);
    const token = await seededToken(service);
    expect(token).toMatch(/^sbx_/);
    expect(settingsText(dir)).not.toContain(token);
    expect(settingsText(dir)).not.toContain("sbx_");
    expect(await sandboxStatus(service, token)).toBe(201);
    expect(await sandboxStatus(service, `${token}x`)).toBe(401);
  });

  it("replaces a plaintext token left by an older version with its hash", async () => {
    const dir = await mkdtemp(join(tmpdir(), "hirewire-sbx-"));
    dirs.push(dir);
    const store = await openSqliteStore({
      file: join(dir, "hirewire.sqlite"),
      cipher: await openCipher(dir),
    });
    await store.setSetting("sandbox.token", "sbx_old_plaintext_token_1234");
    await store.close();

    const service = await start(dir);
    expect(settingsText(dir)).not.toContain("sbx_old_plaintext_token_1234");
    expect(await sandboxStatus(service, "sbx_old_plaintext_token_1234")).toBe(201);
  });
});
