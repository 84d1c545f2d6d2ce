// Crash tests: the service runs as a real child process, is killed with SIGKILL mid-run, and is
// started again on the same data dir. The target server's request log is the witness: every run
// finishes, and no POST is ever sent twice.
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTargetServer, type TargetServer } from "../support/target-server.ts";
import {
  eventually,
  startServiceProcess,
  type ServiceProcess,
} from "../support/service-process.ts";

const API_TOKEN = "tgt_SECRET_9f8e7d6c5b4a";
let target: TargetServer;
const dirs: string[] = [];
const services: ServiceProcess[] = [];

beforeAll(async () => {
  target = await startTargetServer();
});
afterAll(async () => {
  for (const service of services) await service.kill();
  await target.close();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function freshService(): Promise<{ dir: string; service: ServiceProcess }> {
  const dir = await mkdtemp(join(tmpdir(), "hirewire-crash-"));
  dirs.push(dir);
  const service = await startServiceProcess(dir, { HIREWIRE_SANDBOX: "off" });
  services.push(service);
  return { dir, service };
}

async function restart(dir: string, old: ServiceProcess): Promise<ServiceProcess> {
  await old.kill("SIGKILL");
  const service = await startServiceProcess(dir, { HIREWIRE_SANDBOX: "off" });
  services.push(service);
  return service;
}

async function setUp(service: ServiceProcess, manifest: unknown, hires: number, prefix: string) {
  const integration = await service.api("POST", "/api/integrations", {
    name: `crash ${prefix}`,
    manifest,
  });
  expect(integration.status, JSON.stringify(integration.body)).toBe(201);
  const id = integration.body.id as string;
  expect(
    (
      await service.api("PUT", `/api/integrations/${id}/secrets`, {
        TOKEN: API_TOKEN,
        BASE_URL: target.url,
      })
    ).status,
  ).toBeLessThan(300);
  const runIds: string[] = [];
  for (let i = 0; i < hires; i++) {
    const hire = await service.api("POST", "/api/hires", {
      email: `${prefix}-${i}@example.com`,
      first_name: `Hire${i}`,
      last_name: "Test",
    });
    expect(hire.status, JSON.stringify(hire.body)).toBe(201);
    const run = await service.api("POST", "/api/runs", {
      integration_id: id,
      hire_id: hire.body.id ?? hire.body.hire?.id,
    });
    expect(run.status, JSON.stringify(run.body)).toBe(202);
    runIds.push(run.body.id);
  }
  return { integrationId: id, runIds };
}

async function allFinished(service: ServiceProcess, runIds: string[]) {
  return eventually(
    async () => {
      const runs = await Promise.all(
        runIds.map(async (id) => (await service.api("GET", `/api/runs/${id}`)).body),
      );
      return runs.every((run) =>
        ["succeeded", "failed", "blocked", "cancelled"].includes(run.status),
      )
        ? runs
        : undefined;
    },
    40_000,
    "every run to finish",
  );
}

const form = [
  { id: "TOKEN", name: "API token" },
  { id: "BASE_URL", name: "Base URL", secret: false },
];

describe("crash recovery", () => {
  it("continues runs killed while polling, waking them on time, and never repeats a POST", async () => {
    const { dir, service } = await freshService();
    const manifest = {
      initial_data_form: form,
      headers: { Authorization: "Bearer {{ TOKEN }}" },
      execute: [
        {
          url: "{{ BASE_URL }}/users",
          data: { email: "{{ email }}", token_hint: "{{ TOKEN }}" },
          store_data: { USER_ID: "id" },
        },
        {
          url: "{{ BASE_URL }}/poll/{{ email|slugify }}?ready_after=8",
          method: "GET",
          polling: { interval: 0.25, amount: 40 },
          continue_if: { response_notation: "status", value: "done" },
          store_data: { DOC_ID: "id" },
        },
      ],
    };
    const { runIds } = await setUp(service, manifest, 5, "poll");
    await eventually(
      async () =>
        target.requests.filter((r) => r.path.startsWith("/poll/poll-")).length >= 10
          ? true
          : undefined,
      30_000,
      "polling to start",
    );
    const restarted = await restart(dir, service);
    const runs = await allFinished(restarted, runIds);
    for (const run of runs) expect(run.status, JSON.stringify(run.error)).toBe("succeeded");
    const posts = target.requests.filter(
      (r) => r.method === "POST" && r.path === "/users" && r.body.includes("poll-"),
    );
    expect(posts).toHaveLength(5);
    for (let i = 0; i < 5; i++)
      expect(target.requests.filter((r) => r.path === `/poll/poll-${i}examplecom`).length).toBe(8);

    // Secret-leak check: the raw secret is in no stored byte, log line or API response.
    const responses = JSON.stringify(
      await Promise.all(
        runIds.map(async (id) => (await restarted.api("GET", `/api/runs/${id}`)).body),
      ),
    );
    expect(responses).toContain("***TOKEN***");
    expect(responses).not.toContain(API_TOKEN);
    expect(service.output() + restarted.output()).not.toContain(API_TOKEN);
    for (const name of await readdir(dir)) {
      if (!name.startsWith("hirewire.sqlite")) continue;
      const bytes = await readFile(join(dir, name));
      expect(bytes.includes(Buffer.from(API_TOKEN)), `${name} holds the raw secret`).toBe(false);
    }
  });

  it("marks a POST that was in flight at the crash failed, not resent, and resends it only on a deliberate resume", async () => {
    let hang = true;
    target.route("POST", "/hang-create", (_req, res) => {
      if (!hang) res.writeHead(201, { "content-type": "application/json" }).end('{"ok":true}');
    });
    const { dir, service } = await freshService();
    const manifest = {
      initial_data_form: form,
      execute: [
        { url: "{{ BASE_URL }}/users", data: { email: "{{ email }}" } },
        { url: "{{ BASE_URL }}/hang-create", data: { email: "{{ email }}" }, timeout: 120 },
      ],
    };
    const { runIds } = await setUp(service, manifest, 2, "inflight");
    await eventually(
      async () => (target.requestCount("POST", "/hang-create") >= 2 ? true : undefined),
      30_000,
      "the POSTs to be in flight",
    );
    const restarted = await restart(dir, service);
    const runs = await allFinished(restarted, runIds);
    for (const run of runs) {
      expect(run.status).toBe("failed");
      expect(run.error.message).toBe("interrupted while sending; not resent to avoid a duplicate");
    }
    expect(target.requestCount("POST", "/hang-create")).toBe(2);
    hang = false;
    for (const id of runIds)
      expect((await restarted.api("POST", `/api/runs/${id}/resume`)).status).toBeLessThan(300);
    const resumed = await allFinished(restarted, runIds);
    for (const run of resumed) expect(run.status).toBe("succeeded");
    expect(target.requestCount("POST", "/hang-create")).toBe(4);
    expect(
      target.requests.filter(
        (r) => r.method === "POST" && r.path === "/users" && r.body.includes("inflight-"),
      ),
    ).toHaveLength(2);
  });

  it(
    "resends an idempotent download killed mid-body, uploads the whole file, and leaves no partial file",
    { timeout: 90_000 },
    async () => {
      const size = 40 * 1024 * 1024;
      target.route("GET", "/slow-download", (_req, res) => {
        res.writeHead(200, { "content-type": "application/pdf", "content-length": size });
        const chunk = Buffer.alloc(256 * 1024, 7);
        let sent = 0;
        const timer = setInterval(() => {
          if (res.destroyed) return clearInterval(timer);
          if (sent >= size) {
            clearInterval(timer);
            return res.end();
          }
          res.write(chunk);
          sent += chunk.length;
        }, 15);
      });
      const { dir, service } = await freshService();
      const manifest = {
        initial_data_form: form,
        execute: [
          {
            url: "{{ BASE_URL }}/slow-download",
            method: "GET",
            save_as_file: "big.pdf",
            timeout: 120,
          },
          {
            url: "{{ BASE_URL }}/upload",
            files: { file: "big.pdf" },
            store_data: { SIZE: "files.0.size" },
          },
        ],
      };
      const { runIds } = await setUp(service, manifest, 1, "download");
      await eventually(
        async () => (target.requestCount("GET", "/slow-download") >= 1 ? true : undefined),
        30_000,
        "the download to start",
      );
      await new Promise((resolve) => setTimeout(resolve, 500));
      const restarted = await restart(dir, service);
      const [run] = await allFinished(restarted, runIds).catch(async (error) => {
        throw new Error(
          `${error}: ${JSON.stringify((await restarted.api("GET", `/api/runs/${runIds[0]}`)).body).slice(0, 3000)}\n${restarted.output().slice(-3000)}`,
        );
      });
      expect(run.status, JSON.stringify(run.error)).toBe("succeeded");
      expect(target.requestCount("GET", "/slow-download")).toBe(2);
      expect(target.requestCount("POST", "/upload")).toBe(1);
      const hire = await restarted.api("GET", `/api/hires/${run.hire_id}`);
      expect(JSON.stringify(hire.body)).toContain(String(size));
      // The killed process's half download is gone; only the finished file is left.
      expect(await readdir(join(dir, "files", run.id))).toEqual(["big.pdf"]);
    },
  );

  it("stops gracefully on SIGTERM (exit 0, runs checkpointed) and a restart continues without waiting for a lease", async () => {
    const { dir, service } = await freshService();
    const manifest = {
      initial_data_form: form,
      execute: [
        { url: "{{ BASE_URL }}/users", data: { email: "{{ email }}" } },
        {
          url: "{{ BASE_URL }}/poll/{{ email|slugify }}?ready_after=6",
          method: "GET",
          polling: { interval: 0.3, amount: 30 },
          continue_if: { response_notation: "status", value: "done" },
        },
      ],
    };
    const { runIds } = await setUp(service, manifest, 2, "sigterm");
    await eventually(
      async () =>
        target.requests.filter((r) => r.path.startsWith("/poll/sigterm-")).length >= 2
          ? true
          : undefined,
      30_000,
      "polling to start",
    );
    const exited = new Promise<number | null>((resolve) =>
      service.child.once("exit", (code) => resolve(code)),
    );
    service.child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(service.output()).toContain("SIGTERM: finishing in-flight work and checkpointing");
    const restarted = await startServiceProcess(dir, {
      HIREWIRE_SANDBOX: "off",
      HIREWIRE_LEASE_MS: "600000",
    });
    services.push(restarted);
    const runs = await allFinished(restarted, runIds);
    for (const run of runs) expect(run.status).toBe("succeeded");
    expect(
      target.requests.filter(
        (r) => r.method === "POST" && r.path === "/users" && r.body.includes("sigterm-"),
      ),
    ).toHaveLength(2);
  });
});
