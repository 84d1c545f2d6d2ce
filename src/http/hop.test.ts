// How one hop reads its answer, against real local servers: a deadline that fires while the
// request still waits for a connection, a long redirect body, hostile and repeated header names.
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { AttemptOutcome, RequestSpec } from "../exchange/types.ts";
import { DiskFileStore } from "../files/index.ts";
import { sendAttempt, type SendOptions } from "./send-attempt.ts";
import { Agent } from "./undici-parts.ts";

let files: DiskFileStore;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "hirewire-hop-"));
  files = new DiskFileStore(dir);
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
});

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function get(url: string, overrides: Partial<RequestSpec> = {}): RequestSpec {
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

function responseOf(outcome: AttemptOutcome) {
  if (outcome.type !== "response") throw new Error(`expected a response: ${outcome.error.message}`);
  return outcome.response;
}

describe("one hop", () => {
  it("times out a request still waiting for a connection, without waiting for the one ahead", async () => {
    // The only connection is held by a request the server never answers.
    const base = await serve((req) => {
      if (req.url === "/hang") return;
    });
    const dispatcher = new Agent({ connections: 1 });
    cleanups.push(() => dispatcher.destroy());
    const options: SendOptions = { files, runId: "run-hop", dispatcher };
    const stuck = sendAttempt(get(`${base}/hang`, { timeoutMs: 60_000 }), options);
    const queued = await sendAttempt(get(`${base}/queued`, { timeoutMs: 300 }), options);
    expect(queued.type).toBe("error");
    if (queued.type === "error") {
      expect(queued.error.code).toBe("HTTP_TIMEOUT");
      expect(queued.error.message).toContain("0.3 s");
    }
    await dispatcher.destroy();
    expect((await stuck).type).toBe("error");
  });

  it("follows a redirect whose body is too long to read, and answers with the target", async () => {
    const base = await serve((req, res) => {
      if (req.url === "/moved") {
        res.writeHead(302, { location: "/here", "content-type": "text/plain" });
        // 1 MiB of body nobody needs: read up to a limit, then the connection is dropped.
        res.end(Buffer.alloc(1024 * 1024, 0x61));
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"ok":true}');
    });
    const outcome = await sendAttempt(get(`${base}/moved`), { files, runId: "run-hop" });
    const response = responseOf(outcome);
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ ok: true });
    expect(outcome.redirects).toHaveLength(1);
    expect(outcome.redirects[0]).toMatchObject({ status: 302, location: `${base}/here` });
  });

  it("fails a saved download cut off before its file store starts reading, and goes on", async () => {
    const base = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/pdf", "content-length": "100000" });
      res.write(Buffer.alloc(1000, 0x25));
      // The connection dies while the store is still getting ready.
      setTimeout(() => res.socket?.destroy(), 20);
    });
    // The real disk store, slow to start: the body's error comes before anyone reads it.
    class SlowStore extends DiskFileStore {
      override async save(...args: Parameters<DiskFileStore["save"]>) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        return super.save(...args);
      }
    }
    const outcome = await sendAttempt(get(`${base}/doc`, { saveAs: "doc.pdf" }), {
      files: new SlowStore(files.rootDir),
      runId: "run-hop",
    });
    expect(outcome.type).toBe("error");
    if (outcome.type === "error") {
      expect(outcome.error.code).toBe("HTTP_CONNECTION");
      expect(outcome.response?.status).toBe(200);
    }
    // Nothing half-written is left behind.
    expect(await files.listPartials("run-hop")).toEqual([]);
    expect(existsSync(path.join(files.rootDir, "run-hop", "doc.pdf"))).toBe(false);
  });

  it("reads the final answer after informational ones (103 Early Hints)", async () => {
    const base = await serve((_req, res) => {
      res.writeEarlyHints({ link: "</style.css>; rel=preload; as=style" });
      res.writeHead(201, { "content-type": "application/json" });
      res.end('{"id":"u1"}');
    });
    const response = responseOf(await sendAttempt(get(`${base}/`), { files, runId: "run-hop" }));
    expect(response.status).toBe(201);
    expect(response.json).toEqual({ id: "u1" });
    expect(response.headers.link).toBeUndefined();
  });

  it("keeps a header named __proto__ as data and joins repeated headers", async () => {
    const base = await serve((_req, res) => {
      res.setHeader("__proto__", "polluted");
      res.setHeader("x-many", ["one", "two"]);
      res.setHeader("content-type", "text/plain");
      res.end("hi");
    });
    const response = responseOf(await sendAttempt(get(`${base}/`), { files, runId: "run-hop" }));
    expect(Object.getPrototypeOf(response.headers)).toBe(Object.prototype);
    expect(Object.prototype.hasOwnProperty.call(response.headers, "__proto__")).toBe(true);
    expect(response.headers["__proto__"]).toBe("polluted");
    expect(response.headers["x-many"]).toBe("one, two");
    expect(response.text).toBe("hi");
  });

  it("sends the same RequestSpec twice (a poll) with the same headers and body", async () => {
    const seen: string[] = [];
    const base = await serve((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString()));
      req.on("end", () => {
        seen.push(`${req.method} ${req.url} ${req.headers["x-token"]} ${body}`);
        res.end("{}");
      });
    });
    const spec = get(`${base}/jobs/7?full=1`, {
      method: "POST",
      headers: [["X-Token", "abc"]],
      body: { kind: "text", text: '{"a":1}' },
    });
    const options: SendOptions = { files, runId: "run-hop" };
    responseOf(await sendAttempt(spec, options));
    responseOf(await sendAttempt(spec, options));
    expect(seen).toEqual(['POST /jobs/7?full=1 abc {"a":1}', 'POST /jobs/7?full=1 abc {"a":1}']);
  });

  it("gives answers with equal headers one frozen header record, and a different one its own", async () => {
    let status = "pending";
    const base = await serve((_req, res) => {
      res.sendDate = false;
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ status }));
    });
    const options = { files, runId: "run-hop" };
    const first = responseOf(await sendAttempt(get(`${base}/jobs/1`), options));
    const second = responseOf(await sendAttempt(get(`${base}/jobs/2`), options));
    status = "finished";
    const third = responseOf(await sendAttempt(get(`${base}/jobs/1`), options));
    expect(second.headers).toBe(first.headers);
    expect(Object.isFrozen(first.headers)).toBe(true);
    // A longer body: another content-length, another record.
    expect(third.headers).not.toBe(first.headers);
    expect(third.headers["content-length"]).toBe(String(JSON.stringify({ status }).length));
    expect(first.headers["content-length"]).toBe("20");
    expect([first.text, third.text]).toEqual(['{"status":"pending"}', '{"status":"finished"}']);
  });
});
