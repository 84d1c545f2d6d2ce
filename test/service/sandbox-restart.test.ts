// The sandbox keeps its users and jobs in the store: after a restart, "Sandbox: contract" works
// for a hire whose sandbox user was made before it, and a run stopped while polling the contract
// job finds the job again. With the sandbox off, the first-start banner does not offer it.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, expect, it } from "vitest";
import { startService, type RunningService } from "../../src/service/serve.ts";
import { configFromEnv } from "../../src/service/service-config.ts";
import { startServiceProcess, type ServiceProcess } from "../support/service-process.ts";

const ADMIN = "hw_sandbox_restart_admin_token";
const dirs: string[] = [];
let service: RunningService | undefined;
let child: ServiceProcess | undefined;

afterEach(async () => {
  await service?.close();
  service = undefined;
  await child?.kill();
  child = undefined;
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function start(dir: string): Promise<RunningService> {
  const config = configFromEnv({
    HIREWIRE_DATA: dir,
    PORT: "0",
    HIREWIRE_ADMIN_TOKEN: ADMIN,
    LOG_LEVEL: "silent",
  });
  service = await startService(config, pino({ level: "silent" }));
  return service;
}

async function api(method: string, path: string, body?: unknown): Promise<any> {
  const response = await fetch(`${service!.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${ADMIN}`,
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return text === "" ? {} : JSON.parse(text);
}

async function until(runId: string, statuses: string[], ms = 20_000): Promise<any> {
  const deadline = Date.now() + ms;
  for (;;) {
    const run = await api("GET", `/api/runs/${runId}`);
    if (statuses.includes(run.status)) return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${run.status}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

it("keeps sandbox users and jobs across a restart", async () => {
  const dir = await mkdtemp(join(tmpdir(), "hirewire-sandbox-restart-"));
  dirs.push(dir);
  await start(dir);
  const integrations = (await api("GET", "/api/integrations")).items as Array<{
    id: string;
    name: string;
  }>;
  const idOf = (name: string) => integrations.find((item) => item.name === name)!.id;
  const created = await api("POST", "/api/hires", {
    email: "restart@example.com",
    first_name: "Re",
    last_name: "Start",
    trigger: [idOf("Sandbox: create account")],
  });
  const account = await until(created.runs[0].id, ["succeeded", "failed"]);
  expect(account.status, JSON.stringify(account.error)).toBe("succeeded");

  await service!.close();
  service = undefined;
  await start(dir);
  // A user made before the restart: the contract job can be started for it.
  const contract = await api("POST", "/api/runs", {
    integration_id: idOf("Sandbox: contract"),
    hire_id: created.hire.id,
  });
  await until(contract.id, ["waiting", "failed"]);
  // Stopped while polling: the job must still be there after the next restart.
  await service!.close();
  service = undefined;
  await start(dir);
  const done = await until(contract.id, ["succeeded", "failed"]);
  expect(done.status, JSON.stringify(done.error)).toBe("succeeded");
  expect(Object.keys(done.stored)).toEqual(
    expect.arrayContaining(["CONTRACT_JOB_ID", "CONTRACT_DOCUMENT_ID", "CONTRACT_UPLOAD_ID"]),
  );
}, 60_000);

it("does not offer the sandbox in the first-start banner when it is off", async () => {
  const dir = await mkdtemp(join(tmpdir(), "hirewire-banner-off-"));
  dirs.push(dir);
  child = await startServiceProcess(dir, { HIREWIRE_SANDBOX: "off", HIREWIRE_ADMIN_TOKEN: "" });
  const deadline = Date.now() + 10_000;
  while (!child.output().includes("Try the") && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 50));
  expect(child.output()).toContain("Try the API:");
  expect(child.output()).not.toMatch(/sandbox/i);
}, 30_000);
