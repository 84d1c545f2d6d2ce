// Scale-out on PostgreSQL, as an operator would run it: one API process (`serve --no-worker`) and
// three `hirewire worker` processes, each with its own data directory (nothing shared but the
// database), drive 2,000 onboardings of create → poll → download → upload against a local target.
// Mid-way one worker is killed with SIGKILL and another stopped with SIGTERM. Every run must
// succeed; the target's log must show each account created once (a POST in flight at the kill is
// resent only with its Idempotency-Key, which the target honours), each run's requests one at a
// time (never two processes driving one run), and the uploaded bytes equal to what was downloaded
// — whichever worker downloaded them.
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import type { ServerResponse } from "node:http";
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

const RUNS = 2_000;
const TOKEN = "tok_scale_out_secret_8c1d27";

/** The document the target serves for an account: 8 KiB derived from its id. */
function documentFor(accountId: string): Buffer {
  const seed = createHash("sha256").update(accountId).digest();
  return Buffer.concat(Array.from({ length: 256 }, () => seed));
}

const sha256 = (bytes: Buffer): string => createHash("sha256").update(bytes).digest("hex");

interface Ledger {
  /** Accounts by Idempotency-Key: a resent POST returns the account the first one made. */
  byKey: Map<string, { id: string; email: string }>;
  /** Raw POST /accounts count per email, resends included. */
  postsByEmail: Map<string, number>;
  /** Requests of one account's run in flight right now, and the most ever seen at once. */
  inFlight: Map<string, number>;
  maxInFlight: number;
  polls: Map<string, number>;
}

/** Counts a request of account `id`'s run as in flight until its response closes. */
function track(ledger: Ledger, id: string, res: ServerResponse): void {
  const now = (ledger.inFlight.get(id) ?? 0) + 1;
  ledger.inFlight.set(id, now);
  ledger.maxInFlight = Math.max(ledger.maxInFlight, now);
  res.once("close", () => ledger.inFlight.set(id, (ledger.inFlight.get(id) ?? 1) - 1));
}

function installRoutes(target: TargetServer, ledger: Ledger): void {
  target.route("POST", "/accounts", (req, res) => {
    const email = String((req.json as { email?: unknown }).email);
    ledger.postsByEmail.set(email, (ledger.postsByEmail.get(email) ?? 0) + 1);
    const key = String(req.headers["idempotency-key"] ?? "");
    let account = ledger.byKey.get(key);
    if (account === undefined) {
      account = { id: `acct_${ledger.byKey.size + 1}`, email };
      ledger.byKey.set(key, account);
    }
    track(ledger, account.id, res);
    sendJson(res, 201, { id: account.id, job: account.id });
  });
  target.route("GET", "/jobs/:id", (req, res) => {
    const id = req.params.id!;
    track(ledger, id, res);
    const polls = (ledger.polls.get(id) ?? 0) + 1;
    ledger.polls.set(id, polls);
    sendJson(res, 200, { status: polls >= 2 ? "done" : "pending" });
  });
  target.route("GET", "/documents/:id", (req, res) => {
    const id = req.params.id!;
    track(ledger, id, res);
    const body = documentFor(id);
    res.writeHead(200, { "content-type": "application/pdf", "content-length": body.length });
    res.end(body);
  });
}

const MANIFEST = {
  initial_data_form: [{ id: "BASE_URL", name: "Base URL", secret: false }],
  headers: { Authorization: "Bearer {{ TOKEN }}" },
  execute: [
    {
      url: "{{ BASE_URL }}/accounts",
      method: "POST",
      data: { email: "{{ email }}" },
      store_data: { ACCOUNT_ID: "id" },
    },
    {
      url: "{{ BASE_URL }}/jobs/{{ responses.0.job }}",
      method: "GET",
      continue_if: { response_notation: "status", value: "done" },
      polling: { interval: 0.2, amount: 30 },
    },
    {
      url: "{{ BASE_URL }}/documents/{{ responses.0.id }}",
      method: "GET",
      save_as_file: "contract.pdf",
    },
    {
      url: "{{ BASE_URL }}/upload",
      method: "POST",
      data: { account: "{{ responses.0.id }}" },
      files: { document: "contract.pdf" },
      store_data: { UPLOAD_SHA: "files.0.sha256", UPLOADED_FOR: "fields.account" },
    },
  ],
};

/** Runs `task` over `items` with at most `limit` at once. */
async function pool<T>(items: T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await task(items[next++]!);
    }),
  );
}

describe("one API process and three workers on one PostgreSQL database", () => {
  let db: TestSchema;
  let target: TargetServer;
  const dirs: string[] = [];
  let api: ServiceProcess | undefined;
  const workers: WorkerProcess[] = [];
  beforeAll(async () => {
    db = await createTestSchema();
    target = await startTargetServer();
  });
  afterAll(async () => {
    for (const worker of workers) await worker.kill();
    await api?.kill();
    await target?.close();
    await db?.drop();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it(
    `${RUNS} runs finish through a SIGKILL and a SIGTERM: no account created twice, no run driven twice at once, every upload the bytes downloaded`,
    { timeout: 300_000 },
    async () => {
      const ledger: Ledger = {
        byKey: new Map(),
        postsByEmail: new Map(),
        inFlight: new Map(),
        maxInFlight: 0,
        polls: new Map(),
      };
      installRoutes(target, ledger);
      const env = {
        HIREWIRE_DATABASE_URL: db.urlWithSchema,
        HIREWIRE_SECRET_KEY: randomBytes(32).toString("base64"),
        HIREWIRE_SANDBOX: "off",
        HIREWIRE_DATABASE_POOL: "5",
        HIREWIRE_LEASE_MS: "3000",
      };
      for (let i = 0; i < 4; i++) dirs.push(await mkdtemp(join(tmpdir(), "hirewire-scale-")));
      api = await startServiceProcess(dirs[0]!, env, ["--no-worker"]);

      const integration = await api.api("POST", "/api/integrations", {
        name: "Accounts with a contract",
        manifest: MANIFEST,
        options: { idempotency_keys: true },
      });
      expect(integration.status, JSON.stringify(integration.body)).toBe(201);
      const integrationId: string = integration.body.id;
      const secrets = await api.api("PUT", `/api/integrations/${integrationId}/secrets`, {
        BASE_URL: target.url,
        TOKEN,
      });
      expect(secrets.status).toBeLessThan(300);

      for (let i = 1; i <= 3; i++)
        workers.push(await startWorkerProcess(dirs[i]!, env, ["--concurrency", "50"]));

      // 2,000 hires, each triggering its run as it is created.
      const emails = Array.from({ length: RUNS }, (_, i) => `hire${i}@scale.example`);
      const runIds = new Map<string, string>();
      await pool(emails, 16, async (email) => {
        const created = await api!.api("POST", "/api/hires", { email, trigger: [integrationId] });
        expect(created.status, JSON.stringify(created.body)).toBe(201);
        runIds.set(email, created.body.runs[0].id);
      });

      // Mid-way: one worker killed outright, another stopped gracefully.
      const uploads = () => target.requestCount("POST", "/upload");
      await eventually(
        async () => (uploads() >= RUNS / 4 ? true : undefined),
        120_000,
        "a quarter of the uploads",
      );
      await workers[0]!.kill("SIGKILL");
      await eventually(
        async () => (uploads() >= RUNS / 2 ? true : undefined),
        120_000,
        "half of the uploads",
      );
      expect(await workers[1]!.kill("SIGTERM")).toBe(0);

      const finished = await eventually(
        async () => {
          const statuses = await countStatuses(api!, integrationId);
          return statuses.open === 0 ? statuses : undefined;
        },
        180_000,
        "every run to finish",
      );
      expect(finished.byStatus, await failures(api, integrationId)).toEqual({ succeeded: RUNS });

      // Each account created once; a POST resent after the kill carried its first key.
      expect(ledger.byKey.size).toBe(RUNS);
      const emailsCreated = new Set([...ledger.byKey.values()].map((a) => a.email));
      expect(emailsCreated.size).toBe(RUNS);
      const resent = [...ledger.postsByEmail.values()].filter((n) => n > 1).length;
      expect(resent).toBeLessThanOrEqual(50); // at most the killed worker's concurrency
      // Never two requests of one run at once: no run was driven by two processes together.
      expect(ledger.maxInFlight).toBe(1);

      // Stored fields: each hire's account, and the upload's hash equal to its document's.
      await pool(emails.slice(0, 200), 8, async (email) => {
        const run = await api!.api("GET", `/api/runs/${runIds.get(email)}`);
        const hire = await api!.api("GET", `/api/hires/${run.body.hire_id}`);
        const stored = hire.body.stored;
        const accountId: string = stored.ACCOUNT_ID.value;
        const account = [...ledger.byKey.values()].find((a) => a.id === accountId);
        expect(account?.email).toBe(email);
        expect(stored.UPLOADED_FOR.value).toBe(accountId);
        expect(stored.UPLOAD_SHA.value).toBe(sha256(documentFor(accountId)));
      });
    },
  );
});

async function countStatuses(
  api: ServiceProcess,
  integrationId: string,
): Promise<{ open: number; byStatus: Record<string, number> }> {
  const byStatus: Record<string, number> = {};
  let cursor: string | undefined;
  do {
    const page = await api.api(
      "GET",
      `/api/runs?integration_id=${integrationId}&limit=500${cursor !== undefined ? `&cursor=${cursor}` : ""}`,
    );
    for (const run of page.body.items) byStatus[run.status] = (byStatus[run.status] ?? 0) + 1;
    cursor = page.body.next_cursor ?? undefined;
  } while (cursor !== undefined);
  const open = Object.entries(byStatus)
    .filter(([status]) => !["succeeded", "failed", "blocked", "cancelled"].includes(status))
    .reduce((sum, [, n]) => sum + n, 0);
  return { open, byStatus };
}

/** The first failed runs' errors, for a failing assertion's message. */
async function failures(api: ServiceProcess, integrationId: string): Promise<string> {
  const page = await api.api(
    "GET",
    `/api/runs?integration_id=${integrationId}&status=failed,blocked&limit=5`,
  );
  return JSON.stringify(page.body.items.map((run: { error: unknown }) => run.error));
}
