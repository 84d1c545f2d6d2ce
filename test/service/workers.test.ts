// Roles on PostgreSQL, as real child processes on a fresh schema: an API-only process
// (`serve --no-worker`) accepts runs but drives none; a separate `hirewire worker` drives them to
// success against a local target, answers /metrics on its own port, and stops on SIGTERM. Both
// /metrics endpoints are scraped: counts by status and outcome, never an id or a secret. The same
// split also works on one SQLite data directory.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestSchema, type TestSchema } from "../../src/store/postgres/test-database.ts";
import {
  eventually,
  startServiceProcess,
  startWorkerProcess,
  type ServiceProcess,
  type WorkerProcess,
} from "../support/service-process.ts";
import { sendJson, startTargetServer, type TargetServer } from "../support/target-server.ts";

const SECRET = "tok_workers_test_secret_5f2a9c";

/** One sample's value from a Prometheus text page (`name{labels} value`), or undefined. */
function sample(page: string, name: string, labels = ""): number | undefined {
  for (const line of page.split("\n")) {
    if (line.startsWith("#")) continue;
    const [key, value] = line.split(" ");
    if (key === `${name}${labels === "" ? "" : `{${labels}}`}`) return Number(value);
  }
  return undefined;
}

async function scrape(url: string): Promise<{ status: number; type: string; text: string }> {
  const response = await fetch(url);
  return {
    status: response.status,
    type: response.headers.get("content-type") ?? "",
    text: await response.text(),
  };
}

describe("an API-only process and a separate worker on one PostgreSQL database", () => {
  let db: TestSchema;
  let target: TargetServer;
  const dirs: string[] = [];
  let api: ServiceProcess | undefined;
  let worker: WorkerProcess | undefined;
  beforeAll(async () => {
    db = await createTestSchema();
    target = await startTargetServer();
  });
  afterAll(async () => {
    await worker?.kill();
    await api?.kill();
    await target?.close();
    await db?.drop();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it(
    "the API accepts runs, only the worker drives them, and both serve /metrics without ids or secrets",
    { timeout: 90_000 },
    async () => {
      target.route("POST", "/accounts", (_req, res) => sendJson(res, 201, { id: "acct_1" }));
      const env = {
        HIREWIRE_DATABASE_URL: db.urlWithSchema,
        HIREWIRE_SECRET_KEY: randomBytes(32).toString("base64"),
        HIREWIRE_SANDBOX: "off",
        HIREWIRE_DATABASE_POOL: "3",
      };
      for (const _ of [1, 2]) dirs.push(await mkdtemp(join(tmpdir(), "hirewire-roles-")));
      api = await startServiceProcess(dirs[0]!, env, ["--no-worker"]);
      expect(api.output()).toContain("API only");

      const integration = await api.api("POST", "/api/integrations", {
        name: "Accounts",
        manifest: {
          initial_data_form: [{ id: "BASE_URL", name: "Base URL", secret: false }],
          execute: [
            {
              url: "{{ BASE_URL }}/accounts",
              headers: { Authorization: "Bearer {{ TOKEN }}" },
              data: { email: "{{ email }}" },
              store_data: { ACCOUNT_ID: "id" },
            },
          ],
        },
      });
      expect(integration.status, JSON.stringify(integration.body)).toBe(201);
      const integrationId: string = integration.body.id;
      const secrets = await api.api("PUT", `/api/integrations/${integrationId}/secrets`, {
        BASE_URL: target.url,
        TOKEN: SECRET,
      });
      expect(secrets.status).toBeLessThan(300);
      const hire = await api.api("POST", "/api/hires", {
        email: "worker-role@example.com",
        first_name: "Grace",
      });
      expect(hire.status).toBe(201);
      const hireId: string = hire.body.hire?.id ?? hire.body.id;
      const run = await api.api("POST", "/api/runs", {
        integration_id: integrationId,
        hire_id: hireId,
      });
      expect(run.status).toBe(202);
      const runId: string = run.body.id;

      // No worker yet: the API-only process leaves the run queued (it polls nothing, sends nothing).
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      expect((await api.api("GET", `/api/runs/${runId}`)).body.status).toBe("queued");
      expect(target.requests).toHaveLength(0);
      const queued = await scrape(`${api.url}/metrics`);
      expect(sample(queued.text, "hirewire_queue_depth")).toBe(1);
      expect(sample(queued.text, "hirewire_runs", 'status="queued"')).toBe(1);
      expect(sample(queued.text, "hirewire_process_role", 'role="api"')).toBe(1);

      worker = await startWorkerProcess(dirs[1]!, { ...env, HIREWIRE_METRICS_PORT: "0" }, [
        "--concurrency",
        "4",
      ]);
      expect(worker.output()).toContain("concurrency 4");
      expect(worker.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      const done = await eventually(
        async () => {
          const current = (await api!.api("GET", `/api/runs/${runId}`)).body;
          return current.status === "queued" || current.status === "running" ? undefined : current;
        },
        30_000,
        "the worker to finish the run",
      );
      expect(done.status, JSON.stringify(done.error)).toBe("succeeded");
      expect(target.requests.filter((r) => r.path === "/accounts")).toHaveLength(1);
      expect(target.requests[0]!.headers.authorization).toBe(`Bearer ${SECRET}`);

      // The worker's own figures: one claim, one 2xx attempt, no takeover.
      const fromWorker = await scrape(worker.metricsUrl!);
      expect(fromWorker.status).toBe(200);
      expect(fromWorker.type).toContain("text/plain");
      expect(sample(fromWorker.text, "hirewire_runs_claimed_total")).toBe(1);
      expect(sample(fromWorker.text, "hirewire_attempts_total", 'outcome="2xx"')).toBe(1);
      expect(sample(fromWorker.text, "hirewire_lease_takeovers_total")).toBe(0);
      expect(sample(fromWorker.text, "hirewire_claim_latency_seconds_count", 'kind="queued"')).toBe(
        1,
      );
      expect(sample(fromWorker.text, "hirewire_process_role", 'role="worker"')).toBe(1);
      // Store-wide figures agree on every process.
      const fromApi = await scrape(`${api.url}/metrics`);
      for (const page of [fromWorker.text, fromApi.text]) {
        expect(sample(page, "hirewire_runs", 'status="succeeded"')).toBe(1);
        expect(sample(page, "hirewire_queue_depth")).toBe(0);
        expect(sample(page, "hirewire_runs_waiting")).toBe(0);
      }
      // API latency by route pattern, not by path.
      expect(
        sample(
          fromApi.text,
          "hirewire_http_request_duration_seconds_count",
          'method="GET",route="/api/runs/:id",status="200"',
        ),
      ).toBeGreaterThanOrEqual(1);
      expect(sample(fromApi.text, "hirewire_runs_claimed_total")).toBe(0);
      // No token needed, and nothing that identifies a run, hire, integration or secret.
      for (const page of [fromWorker.text, fromApi.text]) {
        for (const secret of [runId, hireId, integrationId, SECRET, "worker-role", target.url])
          expect(page).not.toContain(secret);
      }

      // SIGTERM: the worker stops gracefully (exit 0) and says so.
      expect(await worker.kill("SIGTERM")).toBe(0);
      expect(worker.output()).toContain("SIGTERM: finishing in-flight work");
      await api.kill("SIGTERM");
    },
  );

  it(
    "a worker killed mid-request has its run taken over by another, which counts the takeover",
    { timeout: 90_000 },
    async () => {
      const schema = await createTestSchema();
      let held = 0;
      target.route("POST", "/slow", (_req, res) => {
        held += 1;
        // Never answered: its worker is killed while waiting for it.
        void res;
      });
      const env = {
        HIREWIRE_DATABASE_URL: schema.urlWithSchema,
        HIREWIRE_SECRET_KEY: randomBytes(32).toString("base64"),
        HIREWIRE_SANDBOX: "off",
        HIREWIRE_DATABASE_POOL: "3",
      };
      for (const _ of [1, 2, 3]) dirs.push(await mkdtemp(join(tmpdir(), "hirewire-roles-")));
      const front = await startServiceProcess(dirs.at(-3)!, env, ["--no-worker"]);
      try {
        const integration = await front.api("POST", "/api/integrations", {
          name: "Slow",
          manifest: { execute: [{ url: `${target.url}/slow`, data: { email: "{{ email }}" } }] },
        });
        expect(integration.status, JSON.stringify(integration.body)).toBe(201);
        const hire = await front.api("POST", "/api/hires", { email: "takeover@example.com" });
        const run = await front.api("POST", "/api/runs", {
          integration_id: integration.body.id,
          hire_id: hire.body.hire?.id ?? hire.body.id,
        });
        expect(run.status).toBe(202);
        const first = await startWorkerProcess(dirs.at(-2)!, env);
        await eventually(async () => (held === 1 ? true : undefined), 20_000, "the first request");
        await first.kill("SIGKILL");
        const second = await startWorkerProcess(dirs.at(-1)!, {
          ...env,
          HIREWIRE_METRICS_PORT: "0",
        });
        try {
          const done = await eventually(
            async () => {
              const current = (await front.api("GET", `/api/runs/${run.body.id}`)).body;
              return current.status === "succeeded" || current.status === "failed"
                ? current
                : undefined;
            },
            30_000,
            "the second worker to finish the run",
          );
          // A POST that was in flight is never sent again: the taken-over run fails saying so.
          expect(done.status).toBe("failed");
          expect(done.error.code).toBe("INTERRUPTED");
          expect(held).toBe(1);
          const page = (await scrape(second.metricsUrl!)).text;
          expect(sample(page, "hirewire_lease_takeovers_total")).toBe(1);
          expect(sample(page, "hirewire_runs_claimed_total")).toBe(1);
        } finally {
          await second.kill("SIGTERM");
        }
      } finally {
        await front.kill("SIGTERM");
        await schema.drop();
      }
    },
  );
});

describe("an API-only process and a worker on one SQLite data directory", () => {
  it("the worker drives the run the API accepted", { timeout: 60_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), "hirewire-roles-sqlite-"));
    const target = await startTargetServer();
    target.route("POST", "/users", (_req, res) => sendJson(res, 201, { id: "u_1" }));
    const env = { HIREWIRE_SANDBOX: "off" };
    const api = await startServiceProcess(dir, env, ["--no-worker"]);
    let worker: WorkerProcess | undefined;
    try {
      const integration = await api.api("POST", "/api/integrations", {
        name: "Users",
        manifest: { execute: [{ url: `${target.url}/users`, data: { email: "{{ email }}" } }] },
      });
      expect(integration.status, JSON.stringify(integration.body)).toBe(201);
      const hire = await api.api("POST", "/api/hires", { email: "sqlite-roles@example.com" });
      const run = await api.api("POST", "/api/runs", {
        integration_id: integration.body.id,
        hire_id: hire.body.hire?.id ?? hire.body.id,
      });
      expect(run.status).toBe(202);
      worker = await startWorkerProcess(dir, env);
      const done = await eventually(
        async () => {
          const current = (await api.api("GET", `/api/runs/${run.body.id}`)).body;
          return current.status === "succeeded" || current.status === "failed"
            ? current
            : undefined;
        },
        30_000,
        "the worker to finish the run",
      );
      expect(done.status, JSON.stringify(done.error)).toBe("succeeded");
      expect(target.requests).toHaveLength(1);
      expect(await worker.kill("SIGTERM")).toBe(0);
    } finally {
      await worker?.kill();
      await api.kill();
      await target.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
