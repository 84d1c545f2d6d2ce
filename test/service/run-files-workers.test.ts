// Run files on PostgreSQL reach whichever worker continues the run. Real child processes on a
// fresh schema, each with a data directory of its own: a `hirewire worker` downloads a file in step
// 1, is SIGKILLed while step 2 is held by the target, and a second worker, started afterwards,
// takes the run over and uploads in step 3 the very bytes the target served in step 1 (the
// target hashes what it receives). The file is downloaded once and never touches either disk;
// erasing the hire removes it from the database.
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import type { ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestSchema, type TestSchema } from "../../src/store/postgres/test-database.ts";
import {
  eventually,
  startServiceProcess,
  startWorkerProcess,
  TEST_ADMIN_TOKEN,
  type ServiceProcess,
  type WorkerProcess,
} from "../support/service-process.ts";
import { sendJson, startTargetServer, type TargetServer } from "../support/target-server.ts";

/** Rows of a run's files in the database: bodies and their chunks. */
async function fileRows(db: TestSchema, runId: string): Promise<number> {
  const client = new pg.Client({ connectionString: db.urlWithSchema });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(
      `select (select count(*) from run_file_bodies where run_id = $1)
            + (select count(*) from run_file_chunks c join run_file_bodies b on b.id = c.body_id
               where b.run_id = $1) as n`,
      [runId],
    );
    return Number(rows[0]!.n);
  } finally {
    await client.end();
  }
}

describe("run files on PostgreSQL across workers", () => {
  let db: TestSchema;
  let target: TargetServer;
  const dirs: string[] = [];
  const processes: Array<ServiceProcess | WorkerProcess> = [];
  beforeAll(async () => {
    db = await createTestSchema();
    target = await startTargetServer();
  });
  afterAll(async () => {
    for (const child of processes) await child.kill();
    await target?.close();
    await db?.drop();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it(
    "a worker killed after downloading leaves the file to the worker that takes the run over",
    { timeout: 90_000 },
    async () => {
      // 1.5 MB of random bytes: several chunks in the database, nothing a retry could regenerate.
      const document = randomBytes(1_500_000 + 123);
      const served = createHash("sha256").update(document).digest("hex");
      target.route("GET", "/contract", (_req, res) => {
        res.writeHead(200, {
          "content-type": "application/pdf",
          "content-length": document.length,
        });
        res.end(document);
      });
      // Step 2 is held (never answered) until the first worker is gone.
      let holding = true;
      const held: ServerResponse[] = [];
      target.route("GET", "/countersign", (_req, res) => {
        if (holding) held.push(res);
        else sendJson(res, 200, { countersigned: true });
      });

      const env = {
        HIREWIRE_DATABASE_URL: db.urlWithSchema,
        HIREWIRE_SECRET_KEY: randomBytes(32).toString("base64"),
        HIREWIRE_SANDBOX: "off",
        HIREWIRE_DATABASE_POOL: "3",
      };
      for (const _ of [1, 2, 3]) dirs.push(await mkdtemp(join(tmpdir(), "hirewire-files-")));
      const api = await startServiceProcess(dirs[0]!, env, ["--no-worker"]);
      processes.push(api);
      const integration = await api.api("POST", "/api/integrations", {
        name: "Contract",
        manifest: {
          initial_data_form: [{ id: "BASE_URL", name: "Base URL", secret: false }],
          execute: [
            { url: "{{ BASE_URL }}/contract", method: "GET", save_as_file: "contract.pdf" },
            { url: "{{ BASE_URL }}/countersign", method: "GET" },
            {
              url: "{{ BASE_URL }}/upload",
              data: { note: "signed" },
              files: { document: "contract.pdf" },
              store_data: { UPLOADED_SHA256: "files.0.sha256", UPLOADED_SIZE: "files.0.size" },
            },
          ],
        },
      });
      expect(integration.status, JSON.stringify(integration.body)).toBe(201);
      const integrationId: string = integration.body.id;
      const secrets = await api.api("PUT", `/api/integrations/${integrationId}/secrets`, {
        BASE_URL: target.url,
      });
      expect(secrets.status).toBeLessThan(300);
      const hire = await api.api("POST", "/api/hires", { email: "files-takeover@example.com" });
      expect(hire.status).toBe(201);
      const hireId: string = hire.body.hire?.id ?? hire.body.id;

      const first = await startWorkerProcess(dirs[1]!, env);
      processes.push(first);
      const run = await api.api("POST", "/api/runs", {
        integration_id: integrationId,
        hire_id: hireId,
      });
      expect(run.status).toBe(202);
      const runId: string = run.body.id;

      // The first worker downloaded the file and is waiting on step 2: kill it there.
      await eventually(
        async () => (held.length > 0 ? true : undefined),
        30_000,
        "the first worker to reach step 2",
      );
      expect(target.requestCount("GET", "/contract")).toBe(1);
      await first.kill("SIGKILL");
      holding = false;
      for (const res of held) res.destroy();

      const second = await startWorkerProcess(dirs[2]!, env);
      processes.push(second);
      const done = await eventually(
        async () => {
          const current = (await api.api("GET", `/api/runs/${runId}`)).body;
          return current.status === "queued" || current.status === "running" ? undefined : current;
        },
        60_000,
        "the second worker to finish the run",
      );
      expect(done.status, JSON.stringify(done.error)).toBe("succeeded");
      // Uploaded from the database: the bytes the target served, downloaded only once.
      expect(done.stored).toMatchObject({
        UPLOADED_SHA256: served,
        UPLOADED_SIZE: document.length,
      });
      expect(target.requestCount("GET", "/contract")).toBe(1);
      expect(target.requestCount("POST", "/upload")).toBe(1);
      for (const dir of dirs) expect(existsSync(join(dir, "files"))).toBe(false);
      // And the API process, which never ran it, serves the file too.
      const file = await fetch(`${api.url}/api/runs/${runId}/files/contract.pdf`, {
        headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
      });
      expect(file.status).toBe(200);
      expect(
        createHash("sha256")
          .update(Buffer.from(await file.arrayBuffer()))
          .digest("hex"),
      ).toBe(served);

      // Erasing the hire removes the file from the database.
      expect(await fileRows(db, runId)).toBeGreaterThan(0);
      const erased = await api.api("DELETE", `/api/hires/${hireId}`);
      expect(erased.status).toBe(204);
      expect(await fileRows(db, runId)).toBe(0);
      const gone = await api.api("GET", `/api/runs/${runId}/files/contract.pdf`);
      expect(gone.status).toBe(404);
    },
  );
});
