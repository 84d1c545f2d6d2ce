// Limits on what the API stores, through the real API: each breach is refused with a status
// and a message naming the limit, and nothing is stored.
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ADMIN_TOKEN,
  startInProcessService,
  type InProcessService,
} from "../support/in-process-service.ts";

let svc: InProcessService;
let integrationId: string;
let hireId: string;

beforeAll(async () => {
  svc = await startInProcessService({ HIREWIRE_SANDBOX: "off" });
  const created = await svc.api("POST", "/api/integrations", {
    name: "limits",
    manifest: { execute: [{ url: "https://api.example.com/x", method: "GET" }] },
  });
  expect(created.status, created.text).toBe(201);
  integrationId = created.body.id;
  const hire = await svc.api("POST", "/api/hires", { email: "limits@example.com" });
  expect(hire.status, hire.text).toBe(201);
  hireId = hire.body.hire?.id ?? hire.body.id;
});
afterAll(async () => {
  await svc.close();
});

function many(count: number, prefix: string): Record<string, string> {
  return Object.fromEntries(Array.from({ length: count }, (_, i) => [`${prefix}${i}`, "v"]));
}

async function secretCount(): Promise<number> {
  const status = await svc.api("GET", `/api/integrations/${integrationId}/secrets`);
  return (status.body.secrets as Array<{ set: boolean }>).filter((s) => s.set).length;
}

describe("input limits", () => {
  it("caps the secrets of an integration, in one request or across several", async () => {
    const started = performance.now();
    const flood = await svc.api(
      "PUT",
      `/api/integrations/${integrationId}/secrets`,
      many(20_000, "S"),
    );
    expect(flood.status).toBe(413);
    expect(flood.body).toMatchObject({ code: "INPUT_TOO_LARGE" });
    expect(flood.body.message).toContain("at most 200 secrets per integration");
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(await secretCount()).toBe(0);

    expect(
      (await svc.api("PUT", `/api/integrations/${integrationId}/secrets`, many(200, "A"))).status,
    ).toBe(200);
    const oneMore = await svc.api("PUT", `/api/integrations/${integrationId}/secrets`, { B0: "v" });
    expect(oneMore.status).toBe(413);
    expect(oneMore.body.message).toContain("this would make 201");
    // Replacing a secret that exists adds none.
    const replace = await svc.api("PUT", `/api/integrations/${integrationId}/secrets`, { A0: "w" });
    expect(replace.status).toBe(200);
    expect(await secretCount()).toBe(200);
  });

  it("caps one secret's size", async () => {
    const big = await svc.api("PUT", `/api/integrations/${integrationId}/secrets`, {
      A1: "x".repeat(64 * 1024 + 1),
    });
    expect(big.status).toBe(422);
    expect(big.text).toContain("at most 65536 characters");
  });

  it("caps a manifest's size", async () => {
    const huge = await svc.api("POST", "/api/integrations", {
      name: "huge",
      manifest: {
        execute: [
          {
            url: "https://api.example.com/x",
            method: "POST",
            data: { blob: "x".repeat(1_100_000) },
          },
        ],
      },
    });
    expect(huge.status).toBe(413);
    expect(huge.body).toMatchObject({ code: "INPUT_TOO_LARGE", path: "manifest" });
    expect(huge.body.message).toContain("a manifest may be at most 1 MiB");
  });

  it("caps a hire's props, a stored field and a run's params", async () => {
    const props = await svc.api("POST", "/api/hires", {
      email: "many@example.com",
      ...many(250, "extra_"),
    });
    expect(props.status).toBe(413);
    expect(props.body.message).toContain("at most 200 props per hire");
    const bigProps = await svc.api("PUT", `/api/hires/${hireId}`, {
      email: "limits@example.com",
      notes: "x".repeat(300 * 1024),
    });
    expect(bigProps.status).toBe(413);
    expect(bigProps.body.message).toContain("a hire's props may be at most 256 KiB");

    const field = await svc.api("PUT", `/api/hires/${hireId}/stored/BIG`, {
      value: "x".repeat(65 * 1024),
    });
    expect(field.status).toBe(413);
    expect(field.body.message).toContain("a stored field may be at most 64 KiB");
    expect((await svc.api("GET", `/api/hires/${hireId}/stored`)).text).not.toContain("BIG");

    const params = await svc.api("POST", "/api/runs", {
      integration_id: integrationId,
      hire_id: hireId,
      params: many(101, "P"),
    });
    expect(params.status).toBe(413);
    expect(params.body.message).toContain("at most 100 params per run");
  });

  it("caps any request body", async () => {
    const body = await svc.api("PUT", `/api/hires/${hireId}`, {
      email: "limits@example.com",
      notes: "x".repeat(6 * 1024 * 1024),
    });
    expect(body.status).toBe(413);
    expect(body.body).toMatchObject({ code: "INPUT_TOO_LARGE" });
    expect(body.body.message).toContain("5 MiB limit");
  });

  it("caps a body sent in chunks, whose size no header declares, as it arrives", async () => {
    const chunk = Buffer.alloc(1024 * 1024, "x");
    const reply = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${svc.service.url}/api/hires/${hireId}`, {
        method: "PUT",
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      });
      req.on("response", (res) => {
        let body = "";
        res.on("data", (data: Buffer) => (body += data.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      // The server may answer and close before the whole body is sent.
      req.on("error", (error: NodeJS.ErrnoException) => {
        if (error.code !== "EPIPE" && error.code !== "ECONNRESET") reject(error);
      });
      req.write('{"email":"limits@example.com","notes":"');
      for (let i = 0; i < 6; i += 1) req.write(chunk);
      req.end('"}');
    });
    expect(reply.status).toBe(413);
    expect(JSON.parse(reply.body)).toMatchObject({ code: "INPUT_TOO_LARGE" });
    const hire = await svc.api("GET", `/api/hires/${hireId}`);
    expect(JSON.stringify(hire.body)).not.toContain("xxxx");
  });
});
