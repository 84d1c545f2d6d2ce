// The service on PostgreSQL (HIREWIRE_DATABASE_URL), each test on a fresh schema: the sandbox's
// integrations run to success in-process, and two service processes on one database share 200
// runs without driving any twice (the target's request log is the witness).
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestSchema, type TestSchema } from "../../src/store/postgres/test-database.ts";
import { startInProcessService, type InProcessService } from "../support/in-process-service.ts";
import {
  eventually,
  startServiceProcess,
  type ServiceProcess,
} from "../support/service-process.ts";
import { sendJson, startTargetServer, type TargetServer } from "../support/target-server.ts";

const schemas: TestSchema[] = [];
async function freshSchema(): Promise<TestSchema> {
  const schema = await createTestSchema();
  schemas.push(schema);
  return schema;
}
afterAll(async () => {
  for (const schema of schemas) await schema.drop();
});

describe("the service on PostgreSQL", () => {
  let svc: InProcessService;
  beforeAll(async () => {
    const db = await freshSchema();
    svc = await startInProcessService({ HIREWIRE_DATABASE_URL: db.urlWithSchema });
  });
  afterAll(async () => {
    await svc?.close();
  });

  async function run(integrationId: string, hireId: string) {
    const triggered = await svc.api("POST", "/api/runs", {
      integration_id: integrationId,
      hire_id: hireId,
    });
    expect(triggered.status, triggered.text).toBe(202);
    return svc.finished(triggered.body.id);
  }

  it("runs the sandbox's create account and contract (poll, download, upload) to success", async () => {
    expect(await (await fetch(`${svc.service.url}/healthz`)).json()).toEqual({ ok: true });
    const list = (await svc.api("GET", "/api/integrations")).body.items as Array<{
      id: string;
      name: string;
    }>;
    const create = list.find((i) => i.name === "Sandbox: create account")!;
    const contract = list.find((i) => i.name === "Sandbox: contract")!;
    const created = await svc.api("POST", "/api/hires", {
      email: "pg-sandbox@example.com",
      first_name: "Ada",
      last_name: "Lovelace",
    });
    expect(created.status, created.text).toBe(201);
    const hireId = created.body.hire?.id ?? created.body.id;
    const account = await run(create.id, hireId);
    expect(account.status, JSON.stringify(account.error)).toBe("succeeded");
    const done = await run(contract.id, hireId);
    expect(done.status, JSON.stringify(done.error)).toBe("succeeded");
    expect(Object.keys(done.stored)).toEqual([
      "CONTRACT_JOB_ID",
      "CONTRACT_DOCUMENT_ID",
      "CONTRACT_UPLOAD_ID",
    ]);
    const attempts = (await svc.api("GET", `/api/runs/${done.id}`)).body;
    expect(JSON.stringify(attempts)).not.toContain("sbx_");
    const file = await svc.api("GET", `/api/runs/${done.id}/files/contract.pdf`);
    expect(file.status).toBe(200);
    expect(file.text).toContain("%PDF-1.4");
  });
});

describe("two service processes on one database", () => {
  let target: TargetServer;
  const services: ServiceProcess[] = [];
  const dirs: string[] = [];
  beforeAll(async () => {
    target = await startTargetServer();
  });
  afterAll(async () => {
    for (const service of services) await service.kill();
    await target?.close();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it(
    "share 200 runs, each driven by one of them, and no POST is sent twice",
    { timeout: 120_000 },
    async () => {
      target.route("POST", "/pg-users", (req, res) => {
        setTimeout(() => sendJson(res, 201, { id: `u-${target.requests.length}` }), 20);
      });
      const db = await freshSchema();
      const env = {
        HIREWIRE_DATABASE_URL: db.urlWithSchema,
        HIREWIRE_SECRET_KEY: randomBytes(32).toString("base64"),
        HIREWIRE_SANDBOX: "off",
        HIREWIRE_CONCURRENCY: "10",
        HIREWIRE_DATABASE_POOL: "4",
      };
      // Both start at once on the empty schema: one migrates, the other waits for it.
      for (const _ of [1, 2]) dirs.push(await mkdtemp(join(tmpdir(), "hirewire-pg-")));
      const [a, b] = await Promise.all(dirs.map((dir) => startServiceProcess(dir, env)));
      services.push(a!, b!);

      const integration = await a!.api("POST", "/api/integrations", {
        name: "Directory",
        manifest: {
          initial_data_form: [{ id: "BASE_URL", name: "Base URL", secret: false }],
          execute: [{ url: "{{ BASE_URL }}/pg-users", data: { email: "{{ email }}" } }],
        },
      });
      expect(integration.status, JSON.stringify(integration.body)).toBe(201);
      const secrets = await b!.api("PUT", `/api/integrations/${integration.body.id}/secrets`, {
        BASE_URL: target.url,
      });
      expect(secrets.status).toBeLessThan(300);

      // Who holds leases while the runs go: the owner names the process id.
      const watcher = new pg.Client({ connectionString: db.url });
      await watcher.connect();
      const drivers = new Set<string>();
      let watching = true;
      const watch = (async () => {
        while (watching) {
          const { rows } = await watcher.query<{ owner: string }>(
            `select distinct lease_owner as owner from "${db.schema}".runs where lease_owner is not null`,
          );
          for (const row of rows) drivers.add(row.owner.split(":")[1]!);
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      })();

      const runIds: string[] = [];
      for (let i = 0; i < 200; i++) {
        const via = i % 2 === 0 ? a! : b!;
        const hire = await via.api("POST", "/api/hires", {
          email: `pg-${i}@example.com`,
          first_name: `Hire${i}`,
        });
        expect(hire.status).toBe(201);
        const run = await via.api("POST", "/api/runs", {
          integration_id: integration.body.id,
          hire_id: hire.body.hire?.id ?? hire.body.id,
        });
        expect(run.status).toBe(202);
        runIds.push(run.body.id);
      }
      await eventually(
        async () => {
          const page = await a!.api("GET", `/api/runs?status=succeeded&limit=200`);
          return page.body.items.length === 200 ? true : undefined;
        },
        60_000,
        "every run to succeed",
      );
      watching = false;
      await watch;
      await watcher.end();

      const posts = target.requests.filter((r) => r.method === "POST" && r.path === "/pg-users");
      const emails = posts.map((r) => (JSON.parse(r.body) as { email: string }).email);
      expect(posts).toHaveLength(200);
      expect(new Set(emails).size).toBe(200);
      expect([...drivers].sort()).toEqual([String(a!.child.pid), String(b!.child.pid)].sort());
      for (const id of runIds.slice(0, 5)) {
        const run = (await b!.api("GET", `/api/runs/${id}`)).body;
        expect(run.status).toBe("succeeded");
      }
    },
  );
});
