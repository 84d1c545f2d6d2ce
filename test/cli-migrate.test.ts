// `hirewire migrate` as an operator meets it: a real SQLite data directory made by the service
// (the sandbox's runs done, an integration secret, a secret stored field, a run file), copied by
// the CLI in a child process into a fresh PostgreSQL schema, then the service started on that
// schema with the same key shows the same data, and its secrets still decrypt (runs succeed).
// A second copy into the same schema is refused, and the URL's password is never printed.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestSchema, type TestSchema } from "../src/store/postgres/test-database.ts";
import { startInProcessService, type InProcessService } from "./support/in-process-service.ts";
import { sendJson, startTargetServer, type TargetServer } from "./support/target-server.ts";

const BIN = fileURLToPath(new URL("../bin/hirewire.js", import.meta.url));
const KEY = randomBytes(32).toString("base64");
const API_TOKEN = "tok_live_migrate_secret_0123456789";
const LICENSE = "license-secret-migrate-42424242";
const PASSWORD = "pw-never-printed-77";

function hirewire(
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, NO_COLOR: "1", HIREWIRE_DATABASE_URL: "", HIREWIRE_DATA: "" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** The schema's URL with a password in it (trust auth ignores it; the output must not show it). */
function withPassword(url: string): string {
  const parsed = new URL(url);
  parsed.username = parsed.username || "postgres";
  parsed.password = PASSWORD;
  return parsed.toString();
}

let target: TargetServer;
let db: TestSchema;
let sqliteSvc: InProcessService | undefined;
let pgSvc: InProcessService | undefined;
let dataDir: string;

beforeAll(async () => {
  target = await startTargetServer();
  target.route("POST", "/consume", (req, res) =>
    sendJson(res, 200, { id: "c_1", got: req.json, auth: req.headers.authorization }),
  );
  db = await createTestSchema();
});
afterAll(async () => {
  await pgSvc?.close();
  if (sqliteSvc !== undefined) await rm(sqliteSvc.dir, { recursive: true, force: true });
  await db?.drop();
  await target?.close();
});

async function trigger(svc: InProcessService, integrationId: string, hireId: string) {
  const triggered = await svc.api("POST", "/api/runs", {
    integration_id: integrationId,
    hire_id: hireId,
  });
  expect(triggered.status, triggered.text).toBe(202);
  const done = await svc.finished(triggered.body.id);
  expect(done.status, JSON.stringify(done.error)).toBe("succeeded");
  return done;
}

/** Every start points the sandbox's BASE_URL secret at its own port again: leave out its time. */
function withoutBaseUrlTime(value: any): any {
  if (Array.isArray(value)) return value.map(withoutBaseUrlTime);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value))
    if (!(value.id === "BASE_URL" && key === "updated_at")) out[key] = withoutBaseUrlTime(inner);
  return out;
}

/** What a user sees of the store through the API, for before/after comparison. */
async function snapshot(svc: InProcessService) {
  const integrations = (await svc.api("GET", "/api/integrations")).body.items as any[];
  const secrets: Record<string, unknown> = {};
  for (const integration of integrations)
    secrets[integration.id] = (
      await svc.api("GET", `/api/integrations/${integration.id}/secrets`)
    ).body;
  const hires = (await svc.api("GET", "/api/hires")).body.items as any[];
  const hireDetails = [];
  for (const hire of hires) hireDetails.push((await svc.api("GET", `/api/hires/${hire.id}`)).body);
  const runs = (await svc.api("GET", "/api/runs?limit=200")).body.items as any[];
  const runDetails = [];
  for (const run of runs) runDetails.push((await svc.api("GET", `/api/runs/${run.id}`)).body);
  return withoutBaseUrlTime({ integrations, secrets, hires: hireDetails, runs: runDetails });
}

describe("hirewire migrate", () => {
  let before: Awaited<ReturnType<typeof snapshot>>;
  let ids: {
    create: string;
    contract: string;
    consumer: string;
    hire: string;
    contractRun: string;
  };

  beforeAll(async () => {
    sqliteSvc = await startInProcessService({ HIREWIRE_SECRET_KEY: KEY });
    dataDir = sqliteSvc.dir;
    const list = (await sqliteSvc.api("GET", "/api/integrations")).body.items as any[];
    const create = list.find((i) => i.name === "Sandbox: create account")!.id as string;
    const contract = list.find((i) => i.name === "Sandbox: contract")!.id as string;
    const consumer = await sqliteSvc.api("POST", "/api/integrations", {
      name: "Consumer",
      manifest: {
        initial_data_form: [{ id: "API_TOKEN", name: "API token" }],
        execute: [
          {
            url: `${target.url}/consume`,
            method: "POST",
            headers: { Authorization: "Bearer {{ API_TOKEN }}" },
            data: { license: "{{ LICENSE_KEY }}", user: "{{ SANDBOX_USER_ID }}" },
          },
        ],
      },
    });
    expect(consumer.status, consumer.text).toBe(201);
    const set = await sqliteSvc.api("PUT", `/api/integrations/${consumer.body.id}/secrets`, {
      API_TOKEN,
    });
    expect(set.status, set.text).toBeLessThan(300);
    const hire = await sqliteSvc.api("POST", "/api/hires", {
      email: "migrate@example.com",
      first_name: "Ada",
      last_name: "Lovelace",
    });
    expect(hire.status, hire.text).toBe(201);
    const hireId = hire.body.hire.id as string;
    await trigger(sqliteSvc, create, hireId);
    const contractRun = await trigger(sqliteSvc, contract, hireId);
    const license = await sqliteSvc.api("PUT", `/api/hires/${hireId}/stored/LICENSE_KEY`, {
      value: LICENSE,
      secret: true,
    });
    expect(license.status, license.text).toBeLessThan(300);
    await trigger(sqliteSvc, consumer.body.id, hireId);
    ids = {
      create,
      contract,
      consumer: consumer.body.id,
      hire: hireId,
      contractRun: contractRun.id,
    };
    before = await snapshot(sqliteSvc);
    // Stop the service but keep its data directory (the key check, run files).
    await sqliteSvc.service.close();
  }, 60_000);

  it("copies the store into PostgreSQL, where the service shows the same data and runs", async () => {
    const url = withPassword(db.urlWithSchema);
    const copied = await hirewire(["migrate", "--from", dataDir, "--to", url]);
    expect(copied.code, copied.stderr).toBe(0);
    expect(copied.stdout).toContain(`schema ${db.schema}`);
    expect(copied.stdout).toMatch(/integrations\s+3\n/);
    expect(copied.stdout).toMatch(/hires\s+1\n/);
    expect(copied.stdout).toMatch(/runs\s+3\n/);
    expect(copied.stdout).toMatch(/stored_fields\s+\d+\n/);
    expect(copied.stdout).toMatch(/attempts\s+[1-9]\d*\n/);
    expect(copied.stdout).toMatch(/files\s+1\n/);
    // The run file itself moved into the database, where every worker reaches it.
    expect(copied.stdout).toMatch(/run_file_bodies\s+1\n/);
    expect(copied.stdout).toContain("Run files were copied into the database.");
    const printed = copied.stdout + copied.stderr;
    for (const secret of [PASSWORD, API_TOKEN, LICENSE]) expect(printed).not.toContain(secret);

    const dump = (await db.dump()).toString("utf8");
    for (const secret of [API_TOKEN, LICENSE]) expect(dump).not.toContain(secret);

    pgSvc = await startInProcessService({
      HIREWIRE_DATA: dataDir,
      HIREWIRE_DATABASE_URL: db.urlWithSchema,
      HIREWIRE_SECRET_KEY: KEY,
    });
    // The key check value was copied and still opens: no warning about unreadable secrets.
    expect(pgSvc.service.warnings).toEqual([]);
    const after = await snapshot(pgSvc);
    expect(after.integrations).toEqual(before.integrations);
    expect(after.secrets).toEqual(before.secrets);
    expect(after.hires).toEqual(before.hires);
    expect(after.runs).toEqual(before.runs);
    const stored = after.hires[0].stored;
    expect(stored.LICENSE_KEY).toMatchObject({ value: "***stored.LICENSE_KEY***", secret: true });
    expect(Object.keys(stored)).toEqual(
      expect.arrayContaining(["SANDBOX_USER_ID", "CONTRACT_UPLOAD_ID"]),
    );
    const file = await pgSvc.api("GET", `/api/runs/${ids.contractRun}/files/contract.pdf`);
    expect(file.status).toBe(200);
    expect(file.text).toContain("%PDF-1.4");

    // Secrets decrypt with the same key: the sandbox token, an admin-set secret, a stored one.
    const requests = target.requests.length;
    await trigger(pgSvc, ids.create, ids.hire);
    const consumed = await trigger(pgSvc, ids.consumer, ids.hire);
    const sent = target.requests.slice(requests).find((r) => r.path === "/consume")!;
    expect(sent.headers.authorization).toBe(`Bearer ${API_TOKEN}`);
    expect(JSON.parse(sent.body)).toMatchObject({ license: LICENSE });
    expect(JSON.stringify(consumed)).not.toContain(LICENSE);
  }, 60_000);

  it("refuses a second copy into the same schema, saying why", async () => {
    const again = await hirewire([
      "migrate",
      "--from",
      dataDir,
      "--to",
      withPassword(db.urlWithSchema),
    ]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(
      /already holds hirewire data \(\d+ integrations, .*nothing was copied/,
    );
    expect(again.stderr).not.toContain(PASSWORD);
    expect(again.stdout).toBe("");
    const runs = (await pgSvc!.api("GET", "/api/runs?limit=200")).body.items as any[];
    expect(runs).toHaveLength(5);
  });

  it("refuses a directory without a store and a URL that is not postgres://", async () => {
    const empty = await hirewire([
      "migrate",
      "--from",
      join(tmpdir(), "hirewire-no-such-dir"),
      "--to",
      db.url,
    ]);
    expect(empty.code).toBe(3);
    expect(empty.stderr).toContain("holds no hirewire data");
    const bad = await hirewire([
      "migrate",
      "--from",
      dataDir,
      "--to",
      `mysql://u:${PASSWORD}@h/db`,
    ]);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain("--to must be a postgres:// URL");
    expect(bad.stderr).not.toContain(PASSWORD);
  });
});
