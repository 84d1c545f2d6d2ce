// The secret key is lost (secret.key deleted, or another key given) while the data directory
// still holds secrets encrypted with the old one. The service says so loudly at start, refuses
// what needs those secrets with a 409 naming them, and everything else keeps working: other
// integrations, the access overview, and runs that need no unreadable secret.
import Database from "better-sqlite3";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { startService, type RunningService } from "../../src/service/serve.ts";
import { configFromEnv } from "../../src/service/service-config.ts";
import { sendJson, startTargetServer, type TargetServer } from "../support/target-server.ts";

const ADMIN = "hw_lost_key_admin_token_0123";
const TOKEN = "tgt_lost_key_SECRET_42";
let target: TargetServer;
const dirs: string[] = [];
const services: RunningService[] = [];

beforeAll(async () => {
  target = await startTargetServer();
  target.route("GET", "/members/:email", (req, res) =>
    req.headers.authorization === `Bearer ${TOKEN}`
      ? sendJson(res, 200, { member: req.params.email })
      : sendJson(res, 401, {}),
  );
  target.route("GET", "/open/:email", (_req, res) => sendJson(res, 200, { ok: true }));
  target.route("POST", "/accounts", (_req, res) => sendJson(res, 201, { id: "acc_1" }));
});
afterEach(async () => {
  for (const service of services.splice(0)) await service.close();
});
afterAll(async () => {
  await target.close();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

interface Started {
  service: RunningService;
  logs: () => string;
  api<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
}

async function start(dir: string, env: Record<string, string> = {}): Promise<Started> {
  let logs = "";
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs += chunk.toString();
      done();
    },
  });
  const config = configFromEnv({
    HIREWIRE_DATA: dir,
    PORT: "0",
    HIREWIRE_ADMIN_TOKEN: ADMIN,
    HIREWIRE_SANDBOX: "off",
    ...env,
  });
  const service = await startService(config, pino({ level: "warn" }, sink));
  services.push(service);
  const api: Started["api"] = async (method, path, body) => {
    const response = await fetch(`${service.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${ADMIN}`,
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, body: text === "" ? undefined : JSON.parse(text) };
  };
  return { service, logs: () => logs, api };
}

async function newDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "hirewire-lostkey-"));
  dirs.push(dir);
  return dir;
}

const KEY_A = Buffer.alloc(32, 1).toString("base64");
const KEY_B = Buffer.alloc(32, 2).toString("base64");

/** Sets up a secret-holding integration and one without secrets; returns their ids and a hire. */
async function setUp(s: Started) {
  const locked = await s.api("POST", "/api/integrations", {
    name: "Locked",
    manifest: {
      initial_data_form: [{ id: "TOKEN", name: "API token" }],
      headers: { Authorization: "Bearer {{ TOKEN }}" },
      execute: [{ url: `${target.url}/accounts`, data: { email: "{{ email }}" } }],
      exists: { url: `${target.url}/members/{{ email }}`, method: "GET", expected: "member" },
      form: [
        {
          id: "TEAM",
          name: "Team",
          type: "choice",
          url: `${target.url}/members/teams`,
          method: "GET",
          headers: { Authorization: "Bearer {{ TOKEN }}" },
        },
      ],
    },
  });
  expect(locked.status, JSON.stringify(locked.body)).toBe(201);
  expect(
    (await s.api("PUT", `/api/integrations/${locked.body.id}/secrets`, { TOKEN })).status,
  ).toBeLessThan(300);
  const open = await s.api("POST", "/api/integrations", {
    name: "Open",
    manifest: {
      execute: [{ url: `${target.url}/accounts`, data: { email: "{{ email }}" } }],
      exists: { url: `${target.url}/open/{{ email }}`, method: "GET" },
    },
  });
  expect(open.status, JSON.stringify(open.body)).toBe(201);
  const hire = await s.api("POST", "/api/hires", {
    email: "ada@example.com",
    first_name: "Ada",
  });
  expect(hire.status).toBe(201);
  return {
    locked: locked.body.id as string,
    open: open.body.id as string,
    hire: hire.body.hire.id,
  };
}

it.each([
  ["the key file is deleted", {}, {}, true],
  ["another key is given", { HIREWIRE_SECRET_KEY: KEY_A }, { HIREWIRE_SECRET_KEY: KEY_B }, false],
])(
  "when %s: warns at start, answers 409 naming the secrets, keeps the rest working",
  async (_what, before: Record<string, string>, after: Record<string, string>, deleteFile) => {
    const dir = await newDir();
    const first = await start(dir, before);
    const { locked, open, hire } = await setUp(first);
    await first.service.close();
    if (deleteFile) await rm(join(dir, "secret.key"));

    const s = await start(dir, after);
    expect(s.logs()).toMatch(/secret key/i);
    expect(s.logs()).toMatch(/Locked\\?" \(TOKEN\)/);
    expect(s.service.warnings).toHaveLength(1);
    expect(s.logs()).toContain("docs/operations.md");
    expect(s.logs()).not.toContain(TOKEN);

    const trigger = await s.api("POST", "/api/runs", {
      integration_id: locked,
      hire_id: hire,
      params: { TEAM: "t1" },
    });
    expect(trigger.status).toBe(409);
    expect(trigger.body.code).toBe("SECRETS_UNREADABLE");
    expect(trigger.body.message).toMatch(/TOKEN/);
    expect(trigger.body.message).toMatch(/set (it|them) again/);

    const withTrigger = await s.api("POST", "/api/hires", {
      email: "bob@example.com",
      trigger: [locked],
    });
    expect(withTrigger.status).toBe(409);
    expect(withTrigger.body.code).toBe("SECRETS_UNREADABLE");

    const exists = await s.api("POST", `/api/hires/${hire}/exists`, { integration_id: locked });
    expect(exists.status).toBe(409);
    expect((await s.api("GET", `/api/integrations/${locked}/form`)).status).toBe(409);

    const access = await s.api("GET", `/api/hires/${hire}/access`);
    expect(access.status).toBe(200);
    const byName = Object.fromEntries(
      access.body.items.map((item: { name: string }) => [item.name, item]),
    );
    expect(byName.Locked.exists).toBeNull();
    expect(byName.Locked.reason).toMatch(/cannot be decrypted; set them again/);
    expect(byName.Open.exists).toBe(true);

    expect((await s.api("GET", "/api/integrations")).status).toBe(200);
    expect((await s.api("GET", `/api/integrations/${locked}`)).status).toBe(200);
    const other = await s.api("POST", "/api/runs", { integration_id: open, hire_id: hire });
    expect(other.status).toBe(202);

    // Setting the secret again heals the integration, and the next start is quiet.
    expect(
      (await s.api("PUT", `/api/integrations/${locked}/secrets`, { TOKEN })).status,
    ).toBeLessThan(300);
    expect(
      (
        await s.api("POST", "/api/runs", {
          integration_id: locked,
          hire_id: hire,
          params: { TEAM: "t1" },
        })
      ).status,
    ).toBe(202);
    await s.service.close();
    const again = await start(dir, after);
    expect(again.logs()).not.toMatch(/secret key/i);
  },
);

it("a first start on an empty data directory is quiet", async () => {
  const s = await start(await newDir());
  expect(s.logs()).toBe("");
});

it("loses no run and leaves none stuck with a lost key and a damaged row", async () => {
  const dir = await newDir();
  const first = await start(dir, { HIREWIRE_CONCURRENCY: "2" });
  const { locked, open } = await setUp(first);
  const hires: string[] = [];
  for (let i = 0; i < 12; i++) {
    const hire = await first.api("POST", "/api/hires", { email: `h${i}@example.com` });
    hires.push(hire.body.hire.id);
  }
  // Queue runs, then stop before the scheduler has driven them all.
  await first.service.scheduler!.stop();
  const runs: Array<{ id: string; integration: string }> = [];
  for (const hire of hires) {
    for (const integration of [locked, open]) {
      const run = await first.api("POST", "/api/runs", {
        integration_id: integration,
        hire_id: hire,
        params: integration === locked ? { TEAM: "t1" } : {},
      });
      expect(run.status, JSON.stringify(run.body)).toBe(202);
      runs.push({ id: run.body.id, integration });
    }
  }
  await first.service.close();
  await rm(join(dir, "secret.key"));
  const damaged = runs.find((run) => run.integration === open)!.id;
  const db = new Database(join(dir, "hirewire.sqlite"));
  db.prepare('update runs set state = \'{"version":1,"step":[]}\' where id = ?').run(damaged);
  db.close();

  const s = await start(dir, { HIREWIRE_CONCURRENCY: "2" });
  const deadline = Date.now() + 20_000;
  let listed: Array<{ id: string; status: string; error: { code: string } | null }> = [];
  for (;;) {
    const list = await s.api("GET", "/api/runs?limit=200");
    expect(list.status).toBe(200);
    listed = list.body.items;
    const done = listed.every((run) => ["succeeded", "failed"].includes(run.status));
    if (done || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(listed).toHaveLength(runs.length);
  const byId = new Map(listed.map((run) => [run.id, run]));
  for (const run of runs) {
    const got = byId.get(run.id)!;
    if (run.id === damaged) expect(got.error?.code).toBe("STATE_INVALID");
    else if (run.integration === locked) expect(got.error?.code).toBe("SECRETS_UNREADABLE");
    else expect(got.status).toBe("succeeded");
  }
});

it("a secret stored field encrypted with a lost key stops only the runs that use it, with a sentence", async () => {
  const dir = await newDir();
  const first = await start(dir);
  const { open, hire } = await setUp(first);
  const usesField = await first.api("POST", "/api/integrations", {
    name: "Uses the field",
    manifest: {
      execute: [
        {
          url: `${target.url}/accounts`,
          headers: { "X-Key": "{{ API_KEY }}" },
          data: { email: "{{ email }}" },
        },
      ],
    },
  });
  expect(usesField.status).toBe(201);
  const put = await first.api("PUT", `/api/hires/${hire}/stored/API_KEY`, {
    value: "sk_live_lost_with_the_key",
    secret: true,
  });
  expect(put.status).toBe(200);
  await first.service.close();
  await rm(join(dir, "secret.key"));

  const s = await start(dir);
  const shown = await s.api("GET", `/api/hires/${hire}`);
  expect(shown.status).toBe(200);
  expect(shown.body.stored.API_KEY.value).toBe("***stored.API_KEY***");
  expect((await s.api("GET", `/api/hires/${hire}/access`)).status).toBe(200);

  const other = await s.api("POST", "/api/runs", { integration_id: open, hire_id: hire });
  expect(other.status).toBe(202);
  const using = await s.api("POST", "/api/runs", {
    integration_id: usesField.body.id,
    hire_id: hire,
  });
  expect(using.status).toBe(422);
  expect(JSON.stringify(using.body)).toMatch(/API_KEY.*cannot be decrypted.*set it again/);
});
