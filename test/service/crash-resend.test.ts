// Crash test for integrations that send Idempotency-Keys: the service is SIGKILLed while POSTs are
// in flight (the target already acted on them), then started again. The target deduplicates by
// key, as such APIs do; the witness is its ledger — every POST took effect once, every run
// finished, and each run says which request it sent again.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTargetServer, type TargetServer } from "../support/target-server.ts";
import {
  eventually,
  startServiceProcess,
  type ServiceProcess,
} from "../support/service-process.ts";

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

const RUNS = 6;

describe("crash recovery with idempotency keys", () => {
  it("resends each in-flight POST once with the same key; the target deduplicates and every run succeeds", async () => {
    // key → the account created for it. The first request for a key creates the account and then
    // never answers (the answer is lost in the crash); a repeat answers with the same account.
    const accounts = new Map<string, string>();
    let created = 0;
    target.route("POST", "/keyed-accounts", (req, res) => {
      const key = req.headers["idempotency-key"];
      if (typeof key !== "string") return res.writeHead(400).end("Idempotency-Key required");
      const existing = accounts.get(key);
      if (existing !== undefined) {
        res.writeHead(201, { "content-type": "application/json" });
        return res.end(JSON.stringify({ id: existing, replayed: true }));
      }
      created += 1;
      accounts.set(key, `acct_${created}`);
      return undefined;
    });

    const dir = await mkdtemp(join(tmpdir(), "hirewire-resend-"));
    dirs.push(dir);
    const first = await startServiceProcess(dir, { HIREWIRE_SANDBOX: "off" });
    services.push(first);
    const integration = await first.api("POST", "/api/integrations", {
      name: "keyed accounts",
      options: { idempotency_keys: true },
      manifest: {
        initial_data_form: [{ id: "BASE_URL", name: "Base URL", secret: false }],
        execute: [
          {
            url: "{{ BASE_URL }}/keyed-accounts",
            data: { email: "{{ email }}" },
            store_data: { ACCOUNT_ID: "id" },
            timeout: 120,
          },
          { url: "{{ BASE_URL }}/echo?account={{ ACCOUNT_ID }}", method: "GET" },
        ],
      },
    });
    expect(integration.status, JSON.stringify(integration.body)).toBe(201);
    const integrationId = integration.body.id as string;
    await first.api("PUT", `/api/integrations/${integrationId}/secrets`, { BASE_URL: target.url });
    const runIds: string[] = [];
    for (let i = 0; i < RUNS; i++) {
      const hire = await first.api("POST", "/api/hires", { email: `keyed-${i}@example.com` });
      expect(hire.status, JSON.stringify(hire.body)).toBe(201);
      const run = await first.api("POST", "/api/runs", {
        integration_id: integrationId,
        hire_id: hire.body.id ?? hire.body.hire?.id,
      });
      expect(run.status, JSON.stringify(run.body)).toBe(202);
      runIds.push(run.body.id);
    }
    await eventually(
      async () => (accounts.size === RUNS ? true : undefined),
      30_000,
      "every POST to be in flight",
    );

    await first.kill("SIGKILL");
    const second = await startServiceProcess(dir, { HIREWIRE_SANDBOX: "off" });
    services.push(second);
    const runs = await eventually(
      async () => {
        const all = await Promise.all(
          runIds.map(async (id) => (await second.api("GET", `/api/runs/${id}`)).body),
        );
        return all.every((run) => ["succeeded", "failed"].includes(run.status)) ? all : undefined;
      },
      40_000,
      "every run to finish",
    );

    expect(created).toBe(RUNS);
    const posts = target.requests.filter((r) => r.path === "/keyed-accounts");
    expect(posts).toHaveLength(2 * RUNS);
    const keys = posts.map((r) => r.headers["idempotency-key"] as string);
    expect(new Set(keys).size).toBe(RUNS);
    for (const run of runs) {
      expect(run.status, JSON.stringify(run.error)).toBe("succeeded");
      const key = `hw-${run.id}-execute-0`;
      expect(keys.filter((k) => k === key)).toHaveLength(2);
      expect(run.stored.ACCOUNT_ID).toBe(accounts.get(key));
      expect(run.resent_after_interruption).toEqual([
        { step: 0, attempt: 1, at: expect.any(String) },
      ]);
      const detail = await second.api("GET", `/api/runs/${run.id}`);
      const attempts = detail.body.attempts as Array<Record<string, unknown>>;
      expect(attempts.map((a) => [a.step, a.attempt, a.resent_after_interruption])).toEqual([
        [0, 1, true],
        [1, 1, false],
      ]);
    }
  });
});
