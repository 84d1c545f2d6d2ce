// sendAttempt against a real local server: successes, every failure kind, and the size cap.
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTargetServer, type TargetServer } from "../../test/support/target-server.ts";
import type { AttemptOutcome, RequestSpec } from "../exchange/types.ts";
import { DiskFileStore } from "../files/index.ts";
import { RESOLUTION_MS } from "./deadlines.ts";
import { pendingDeadlines, sendAttempt, type SendOptions } from "./send-attempt.ts";

let server: TargetServer;
let dir: string;
let options: SendOptions;

beforeAll(async () => {
  server = await startTargetServer();
  dir = await mkdtemp(path.join(tmpdir(), "hirewire-http-"));
  options = { files: new DiskFileStore(dir), runId: "run-1" };
});

afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

function spec(url: string, overrides: Partial<RequestSpec> = {}): RequestSpec {
  return {
    method: "GET",
    url,
    headers: [],
    body: { kind: "none" },
    timeoutMs: 5000,
    maxRedirects: 10,
    ...overrides,
  };
}

function expectError(outcome: AttemptOutcome) {
  if (outcome.type !== "error")
    throw new Error(`expected an error, got ${outcome.response.status}`);
  return outcome;
}

function expectResponse(outcome: AttemptOutcome) {
  if (outcome.type !== "response")
    throw new Error(`expected a response, got ${outcome.error.message}`);
  return outcome;
}

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe("sendAttempt", () => {
  it("sends method, headers and a text body, and parses the JSON answer", async () => {
    const outcome = expectResponse(
      await sendAttempt(
        spec(`${server.url}/echo?x=1`, {
          method: "POST",
          headers: [
            ["Content-Type", "application/json"],
            ["X-Token", "abc"],
          ],
          body: { kind: "text", text: '{"name":"Ada"}' },
        }),
        options,
      ),
    );
    expect(outcome.response.status).toBe(200);
    expect(outcome.response.headers["content-type"]).toBe("application/json");
    expect(outcome.response.json).toMatchObject({
      method: "POST",
      query: { x: "1" },
      headers: { "content-type": "application/json", "x-token": "abc" },
      json: { name: "Ada" },
    });
    expect(outcome.response.url).toBe(`${server.url}/echo?x=1`);
    expect(outcome.redirects).toEqual([]);
  });

  it("joins repeated response headers with a comma", async () => {
    server.route("GET", "/repeated", (_req, res) => {
      res.setHeader("x-multi", ["a", "b"]);
      res.end("ok");
    });
    const outcome = expectResponse(await sendAttempt(spec(`${server.url}/repeated`), options));
    expect(outcome.response.headers["x-multi"]).toBe("a, b");
    expect(outcome.response.text).toBe("ok");
    expect(outcome.response.json).toBeUndefined();
  });

  it("returns a 503 as a response; retrying is the engine's job", async () => {
    const outcome = expectResponse(await sendAttempt(spec(`${server.url}/status/503`), options));
    expect(outcome.response.status).toBe(503);
    expect(outcome.response.json).toEqual({ status: 503 });
  });

  it("returns a 429 with its Retry-After header", async () => {
    const outcome = expectResponse(
      await sendAttempt(spec(`${server.url}/retry-after/a?seconds=7`), options),
    );
    expect(outcome.response.status).toBe(429);
    expect(outcome.response.headers["retry-after"]).toBe("7");
  });

  it("keeps the text of invalid JSON and leaves json undefined", async () => {
    const outcome = expectResponse(await sendAttempt(spec(`${server.url}/invalid-json`), options));
    expect(outcome.response.text).toBe('{"a":');
    expect(outcome.response.json).toBeUndefined();
  });

  it("gives HEAD and 204 responses an empty text", async () => {
    server.route("DELETE", "/gone", (_req, res) => res.writeHead(204).end());
    const head = expectResponse(
      await sendAttempt(spec(`${server.url}/echo`, { method: "HEAD" }), options),
    );
    expect(head.response.text).toBe("");
    const gone = expectResponse(
      await sendAttempt(spec(`${server.url}/gone`, { method: "DELETE" }), options),
    );
    expect(gone.response).toMatchObject({ status: 204, text: "" });
  });

  it("reports a refused connection with host and port", async () => {
    const port = await closedPort();
    const outcome = expectError(await sendAttempt(spec(`http://127.0.0.1:${port}/x`), options));
    expect(outcome.error).toMatchObject({
      code: "HTTP_CONNECTION",
      message: `connection refused by 127.0.0.1:${port}`,
      details: { cause: "ECONNREFUSED" },
    });
  });

  it("reports a reset before the response", async () => {
    const outcome = expectError(await sendAttempt(spec(`${server.url}/reset`), options));
    expect(outcome.error.code).toBe("HTTP_CONNECTION");
    expect(outcome.error.message).toBe(
      `connection reset by 127.0.0.1:${server.port} before a response arrived`,
    );
    expect(outcome.response).toBeUndefined();
  });

  it("reports a reset in the middle of the body, keeping the status", async () => {
    const outcome = expectError(await sendAttempt(spec(`${server.url}/reset-mid-body`), options));
    expect(outcome.error).toMatchObject({
      code: "HTTP_CONNECTION",
      message: "connection reset while reading the response body",
    });
    expect(outcome.response?.status).toBe(200);
  });

  it("times out the whole attempt", async () => {
    const outcome = expectError(
      await sendAttempt(spec(`${server.url}/slow?ms=5000`, { timeoutMs: 200 }), options),
    );
    expect(outcome.error).toMatchObject({
      code: "HTTP_TIMEOUT",
      message: "no response within 0.2 s",
    });
  });

  it("times out a long deadline through the shared deadlines, and leaves none armed", async () => {
    const started = performance.now();
    const outcome = expectError(
      await sendAttempt(spec(`${server.url}/slow?ms=5000`, { timeoutMs: 2100 }), options),
    );
    const waited = performance.now() - started;
    expect(outcome.error).toMatchObject({
      code: "HTTP_TIMEOUT",
      message: "no response within 2.1 s",
    });
    expect(waited).toBeGreaterThanOrEqual(2099);
    expect(waited).toBeLessThan(2100 + RESOLUTION_MS + 300);
    // Attempts that end before their deadline take it away with them.
    const answers = await Promise.all(
      Array.from({ length: 50 }, () =>
        sendAttempt(spec(`${server.url}/echo`, { timeoutMs: 30_000 }), options),
      ),
    );
    for (const answer of answers) expectResponse(answer);
    expect(pendingDeadlines()).toBe(0);
  });

  it("times out while the body is still arriving", async () => {
    server.route("GET", "/trickle", (_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("first");
      const timer = setTimeout(() => res.end("late"), 5000);
      res.on("close", () => clearTimeout(timer));
    });
    const outcome = expectError(
      await sendAttempt(spec(`${server.url}/trickle`, { timeoutMs: 300 }), options),
    );
    expect(outcome.error).toMatchObject({ code: "HTTP_TIMEOUT", details: { phase: "body" } });
    expect(outcome.response?.status).toBe(200);
  });

  it("stops at the body cap and keeps status and headers", async () => {
    const outcome = expectError(
      await sendAttempt(spec(`${server.url}/bytes?size=300000`), {
        ...options,
        maxBodyBytes: 100_000,
      }),
    );
    expect(outcome.error).toMatchObject({
      code: "HTTP_BODY_TOO_LARGE",
      message: "response body larger than 97.7 KiB",
    });
    expect(outcome.response).toMatchObject({
      status: 200,
      headers: { "content-type": "application/pdf" },
    });
    expect(outcome.response?.text).toBeUndefined();
  });

  it("stops at the cap without Content-Length too", async () => {
    server.route("GET", "/chunked", (_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("y".repeat(2 * 1024 * 1024));
    });
    const outcome = expectError(
      await sendAttempt(spec(`${server.url}/chunked`), { ...options, maxBodyBytes: 1024 * 1024 }),
    );
    expect(outcome.error.message).toBe("response body larger than 1 MiB");
  });

  it("answers a cancelled signal with CANCELLED", async () => {
    const controller = new AbortController();
    const pending = sendAttempt(spec(`${server.url}/slow?ms=5000`), {
      ...options,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 50);
    const outcome = expectError(await pending);
    expect(outcome.error.code).toBe("CANCELLED");
  });

  it("turns an unusable URL into URL_INVALID", async () => {
    const outcome = expectError(await sendAttempt(spec("not a url"), options));
    expect(outcome.error.code).toBe("URL_INVALID");
  });

  it("reports an unresolvable host", async () => {
    const outcome = expectError(await sendAttempt(spec("http://no-such-host.invalid/"), options));
    expect(outcome.error).toMatchObject({
      code: "HTTP_CONNECTION",
      message: "could not resolve host no-such-host.invalid",
    });
  });
});
