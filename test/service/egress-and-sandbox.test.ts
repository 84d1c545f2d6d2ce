// The service as a new user meets it: the sandbox on first start, egress rules, outgoing
// Idempotency-Keys and graceful shutdown.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTargetServer, type TargetServer } from "../support/target-server.ts";
import { startInProcessService, type InProcessService } from "../support/in-process-service.ts";

let target: TargetServer;
let svc: InProcessService;

beforeAll(async () => {
  target = await startTargetServer();
  svc = await startInProcessService();
});
afterAll(async () => {
  await svc.close();
  await target.close();
});

async function integration(
  manifest: unknown,
  options: Record<string, unknown> = {},
  secrets: Record<string, string> = {},
): Promise<string> {
  const created = await svc.api("POST", "/api/integrations", {
    name: `int ${Math.random()}`,
    manifest,
    options,
  });
  expect(created.status, created.text).toBe(201);
  if (Object.keys(secrets).length > 0)
    expect(
      (await svc.api("PUT", `/api/integrations/${created.body.id}/secrets`, secrets)).status,
    ).toBeLessThan(300);
  return created.body.id;
}

async function hire(email: string): Promise<string> {
  const created = await svc.api("POST", "/api/hires", {
    email,
    first_name: "Ada",
    last_name: "Lovelace",
  });
  expect(created.status, created.text).toBe(201);
  return created.body.hire?.id ?? created.body.id;
}

async function run(integrationId: string, hireId: string) {
  const triggered = await svc.api("POST", "/api/runs", {
    integration_id: integrationId,
    hire_id: hireId,
  });
  expect(triggered.status, triggered.text).toBe(202);
  return svc.finished(triggered.body.id);
}

describe("sandbox", () => {
  it("seeds example integrations that really create a user, poll, download, upload and store ids", async () => {
    const list = (await svc.api("GET", "/api/integrations")).body.items as Array<{
      id: string;
      name: string;
    }>;
    const create = list.find((i) => i.name === "Sandbox: create account")!;
    const contract = list.find((i) => i.name === "Sandbox: contract")!;
    const hireId = await hire("sandbox-user@example.com");
    expect((await run(create.id, hireId)).status).toBe("succeeded");
    const done = await run(contract.id, hireId);
    expect(done.status, JSON.stringify(done.error)).toBe("succeeded");
    expect(Object.keys(done.stored)).toEqual([
      "CONTRACT_JOB_ID",
      "CONTRACT_DOCUMENT_ID",
      "CONTRACT_UPLOAD_ID",
    ]);
    const stored = (await svc.api("GET", `/api/hires/${hireId}`)).body;
    expect(JSON.stringify(stored)).toContain("SANDBOX_USER_ID");
    const file = await svc.api("GET", `/api/runs/${done.id}/files/contract.pdf`);
    expect(file.status).toBe(200);
    expect(file.text).toContain("%PDF-1.4");
  });
});

describe("egress", () => {
  it("refuses cloud-metadata addresses, also when a redirect leads there", async () => {
    const direct = await integration({
      execute: [
        { url: "http://169.254.169.254/latest/meta-data/", method: "GET", retry: { max: 0 } },
      ],
    });
    const hireId = await hire("egress@example.com");
    const blocked = await run(direct, hireId);
    expect(blocked.status).toBe("failed");
    expect(blocked.error.code).toBe("HTTP_EGRESS_DENIED");
    expect(blocked.error.message).toContain("169.254.169.254");

    const redirect = await integration({
      execute: [
        {
          url: `${target.url}/redirect-to?url=${encodeURIComponent("http://169.254.169.254/latest/")}`,
          method: "GET",
          retry: { max: 0 },
        },
      ],
    });
    const viaRedirect = await run(redirect, hireId);
    expect(viaRedirect.error.code).toBe("HTTP_EGRESS_DENIED");
  });

  it("keeps an integration to its allowed hosts", async () => {
    const id = await integration(
      { execute: [{ url: `${target.url}/echo`, method: "GET", retry: { max: 0 } }] },
      { allowed_hosts: ["api.example.com"] },
    );
    const result = await run(id, await hire("allow@example.com"));
    expect(result.error).toMatchObject({ code: "HTTP_EGRESS_DENIED" });
    expect(result.error.message).toContain(
      "not in this integration's allowed hosts (api.example.com)",
    );
  });
});

describe("outgoing Idempotency-Key", () => {
  it("sends the same key on every resend of a POST step when the integration enables it", async () => {
    const id = await integration(
      { execute: [{ url: `${target.url}/flaky/idem?fail=1`, retry: { max: 2 } }] },
      { idempotency_keys: true },
    );
    const result = await run(id, await hire("idem@example.com"));
    expect(result.status).toBe("succeeded");
    const keys = target.requests
      .filter((r) => r.path === "/flaky/idem")
      .map((r) => r.headers["idempotency-key"]);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^hw-run_/);
    expect(keys[1]).toBe(keys[0]);
  });
});
