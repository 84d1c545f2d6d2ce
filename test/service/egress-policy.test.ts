// Egress rules through the real service: allowed_hosts with and without ports (and the service's
// own port), every form of a metadata address, and the operator's private-network switch.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInProcessService, type InProcessService } from "../support/in-process-service.ts";
import { startTargetServer, type TargetServer } from "../support/target-server.ts";

let target: TargetServer;
let svc: InProcessService;
let strict: InProcessService;
let hireId: string;

beforeAll(async () => {
  target = await startTargetServer();
  svc = await startInProcessService({ HIREWIRE_SANDBOX: "off" });
  strict = await startInProcessService({
    HIREWIRE_SANDBOX: "off",
    HIREWIRE_EGRESS_BLOCK_PRIVATE: "on",
  });
  hireId = await hire(svc);
});
afterAll(async () => {
  await svc.close();
  await strict.close();
  await target.close();
});

async function hire(service: InProcessService): Promise<string> {
  const created = await service.api("POST", "/api/hires", { email: "egress@example.com" });
  expect(created.status, created.text).toBe(201);
  return created.body.hire?.id ?? created.body.id;
}

async function runTo(url: string, allowedHosts?: string[], service = svc, hireOf = hireId) {
  const created = await service.api("POST", "/api/integrations", {
    name: `egress ${Math.random()}`,
    manifest: { execute: [{ url, method: "GET", retry: { max: 0 }, timeout: 5 }] },
    ...(allowedHosts !== undefined ? { options: { allowed_hosts: allowedHosts } } : {}),
  });
  expect(created.status, created.text).toBe(201);
  const triggered = await service.api("POST", "/api/runs", {
    integration_id: created.body.id,
    hire_id: hireOf,
  });
  expect(triggered.status, triggered.text).toBe(202);
  return service.finished(triggered.body.id);
}

function ownPort(service: InProcessService): number {
  return Number(new URL(service.service.url).port);
}

describe("allowed_hosts", () => {
  it("a host:port entry allows that port, and only that one", async () => {
    const allowed = await runTo(`${target.url}/echo`, [`127.0.0.1:${target.port}`]);
    expect(allowed.status, JSON.stringify(allowed.error)).toBe("succeeded");
    const other = await runTo(`http://127.0.0.1:${ownPort(svc)}/healthz`, [
      `127.0.0.1:${target.port}`,
    ]);
    expect(other.error).toMatchObject({ code: "HTTP_EGRESS_DENIED" });
    expect(other.error.message).toContain(
      `127.0.0.1:${ownPort(svc)} is not in this integration's allowed hosts`,
    );
  });

  it("a bare host allows other ports but not the service's own, which must be named", async () => {
    const other = await runTo(`${target.url}/echo`, ["127.0.0.1"]);
    expect(other.status, JSON.stringify(other.error)).toBe("succeeded");
    const own = await runTo(`http://127.0.0.1:${ownPort(svc)}/healthz`, ["127.0.0.1"]);
    expect(own.error).toMatchObject({ code: "HTTP_EGRESS_DENIED" });
    expect(own.error.message).toContain("this service's own port");
    const byName = await runTo(`http://localhost:${ownPort(svc)}/healthz`, ["localhost"]);
    expect(byName.error).toMatchObject({ code: "HTTP_EGRESS_DENIED" });
    const named = await runTo(`http://127.0.0.1:${ownPort(svc)}/healthz`, [
      `127.0.0.1:${ownPort(svc)}`,
    ]);
    expect(named.status, JSON.stringify(named.error)).toBe("succeeded");
  });
});

describe("cloud metadata in every form", () => {
  it.each([
    "http://[::a9fe:a9fe]/latest/",
    "http://[::ffff:169.254.169.254]/latest/",
    "http://[64:ff9b::a9fe:a9fe]/latest/",
    "http://[64:ff9b:1::a9fe:a9fe]/latest/",
    "http://[2002:a9fe:a9fe::1]/latest/",
    "http://168.63.129.16/machine",
    "http://192.0.0.192/opc/v1/",
    "http://100.100.100.200/latest/",
    "http://[fd00:ec2::254]/latest/",
  ])("refuses %s before connecting", async (url) => {
    const result = await runTo(url);
    expect(result.status).toBe("failed");
    expect(result.error.code).toBe("HTTP_EGRESS_DENIED");
    expect(result.error.message).toContain("link-local or cloud-metadata");
  });
});

describe("HIREWIRE_EGRESS_BLOCK_PRIVATE=on", () => {
  it("refuses loopback, private and unique-local addresses, also embedded or by name", async () => {
    const strictHire = await hire(strict);
    const before = target.requests.length;
    for (const url of [
      `${target.url}/echo`,
      `http://localhost:${target.port}/echo`,
      `http://[::ffff:127.0.0.1]:${target.port}/echo`,
      `http://[::1]:${target.port}/echo`,
      "http://10.1.2.3/x",
      "http://192.168.1.1/x",
      "http://[fd12:3456::1]/x",
    ]) {
      const result = await runTo(url, undefined, strict, strictHire);
      expect(result.error, url).toMatchObject({ code: "HTTP_EGRESS_DENIED" });
      expect(result.error.message, url).toContain("HIREWIRE_EGRESS_BLOCK_PRIVATE");
    }
    // An integration's allowed_hosts cannot open what the operator closed.
    const listed = await runTo(
      `${target.url}/echo`,
      [`127.0.0.1:${target.port}`],
      strict,
      strictHire,
    );
    expect(listed.error).toMatchObject({ code: "HTTP_EGRESS_DENIED" });
    expect(target.requests.length).toBe(before);
  });

  it("is off by default: the same local target is reachable", async () => {
    const result = await runTo(`http://localhost:${target.port}/echo`);
    expect(result.status, JSON.stringify(result.error)).toBe("succeeded");
  });
});
