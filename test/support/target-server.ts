// A fake third-party API on 127.0.0.1 (port 0) for tests: echo, status codes, flaky and
// rate-limited endpoints, polling, slow answers, redirects, connection resets, large streamed
// downloads and multipart uploads. Every request is logged so tests can assert what was sent.
import { createHash } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import type { ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Busboy } from "@fastify/busboy";

/** One request as the server received it. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** Body text; empty for streamed routes (`/upload`), whose size is still counted. */
  body: string;
  size: number;
  /** Date.now() when the request arrived. */
  time: number;
}

/** What a route handler gets: the parsed request and, for streamed routes, the raw stream. */
export interface TargetRequest extends RecordedRequest {
  params: Record<string, string>;
  /** The body parsed as JSON, when it is JSON. */
  json: unknown;
  raw: IncomingMessage;
}

export type RouteHandler = (req: TargetRequest, res: ServerResponse) => unknown;

export interface RouteOptions {
  /** Leave the body unread so the handler can stream it from `req.raw`. */
  stream?: boolean;
}

export interface TargetServer {
  /** `http://127.0.0.1:PORT`, without a trailing slash. */
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Adds a route ahead of the built-in ones; `method` "*" matches any; `:name` segments are params. */
  route(method: string, path: string, handler: RouteHandler, options?: RouteOptions): void;
  /** How many requests matched `method` ("*" for any) and exactly `path` (without query). */
  requestCount(method: string, path: string): number;
  close(): Promise<void>;
}

interface Route {
  method: string;
  segments: string[];
  handler: RouteHandler;
  stream: boolean;
}

/** Sends `value` as JSON with `status`. */
export function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

/** Starts a fake third-party API on 127.0.0.1 with a free port. */
export async function startTargetServer(): Promise<TargetServer> {
  const routes: Route[] = builtInRoutes();
  const requests: RecordedRequest[] = [];

  const server = createServer((raw, res) => {
    void handle(raw, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: String(error) });
      else res.destroy();
    });
  });

  async function handle(raw: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(raw.url ?? "/", "http://target.local");
    const record: RecordedRequest = {
      method: raw.method ?? "GET",
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: raw.headers,
      body: "",
      size: 0,
      time: Date.now(),
    };
    requests.push(record);
    const match = findRoute(routes, record.method, url.pathname);
    if (match === undefined) {
      sendJson(res, 404, { error: `no route for ${record.method} ${record.path}` });
      return;
    }
    if (match.route.stream) {
      raw.on("data", (chunk: Buffer) => (record.size += chunk.length));
    } else {
      const chunks: Buffer[] = [];
      for await (const chunk of raw) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks);
      record.body = body.toString("utf8");
      record.size = body.length;
    }
    const req: TargetRequest = {
      ...record,
      params: match.params,
      json: parseJson(record.body),
      raw,
    };
    await match.route.handler(req, res);
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    route(method, path, handler, options = {}) {
      routes.unshift({
        method: method.toUpperCase(),
        segments: splitPath(path),
        handler,
        stream: options.stream ?? false,
      });
    },
    requestCount(method, path) {
      const wanted = method.toUpperCase();
      return requests.filter((r) => (wanted === "*" || r.method === wanted) && r.path === path)
        .length;
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function builtInRoutes(): Route[] {
  const counters = new Map<string, number>();
  const count = (key: string): number => {
    const next = (counters.get(key) ?? 0) + 1;
    counters.set(key, next);
    return next;
  };
  const num = (value: string | undefined, fallback: number): number =>
    value === undefined || value === "" ? fallback : Number(value);
  const routes: Route[] = [];
  const add = (method: string, path: string, handler: RouteHandler, stream = false) =>
    routes.push({ method, segments: splitPath(path), handler, stream });

  const echo: RouteHandler = (req, res) =>
    sendJson(res, 200, {
      method: req.method,
      path: req.path,
      query: req.query,
      headers: req.headers,
      body: req.body,
      json: req.json,
    });
  add("*", "/echo", echo);

  add("*", "/status/:code", (req, res) => {
    const status = Number(req.params.code);
    sendJson(res, status, { status });
  });

  add("*", "/flaky/:key", (req, res) => {
    const attempts = count(`flaky:${req.params.key}`);
    if (attempts <= num(req.query.fail, 1)) {
      const status = num(req.query.status, 503);
      sendJson(res, status, { status, attempts });
    } else sendJson(res, 200, { ok: true, attempts });
  });

  add("*", "/retry-after/:key", (req, res) => {
    const attempts = count(`retry-after:${req.params.key}`);
    if (attempts === 1) {
      sendJson(res, 429, { status: 429 }, { "retry-after": String(num(req.query.seconds, 1)) });
    } else sendJson(res, 200, { ok: true, attempts });
  });

  add("*", "/poll/:key", (req, res) => {
    const calls = count(`poll:${req.params.key}`);
    if (calls >= num(req.query.ready_after, 3)) {
      sendJson(res, 200, { status: "done", id: "doc-1", calls });
    } else sendJson(res, 200, { status: "pending", calls });
  });

  add("*", "/slow", (req, res) => {
    const ms = num(req.query.ms, 1000);
    const timer = setTimeout(() => sendJson(res, 200, { slept: ms }), ms);
    res.on("close", () => clearTimeout(timer));
  });

  add("*", "/redirect/:n", (req, res) => {
    const n = Number(req.params.n);
    if (n <= 0) return echo(req, res);
    const status = num(req.query.status, 302);
    const next = n === 1 ? "/echo" : `/redirect/${n - 1}`;
    const query = req.query.status === undefined ? "" : `?status=${status}`;
    res.writeHead(status, { location: `${next}${query}`, "content-length": 0 }).end();
  });

  add("*", "/redirect-to", (req, res) => {
    const status = num(req.query.status, 302);
    res.writeHead(status, { location: req.query.url ?? "/echo", "content-length": 0 }).end();
  });

  add("*", "/redirect-loop", (_req, res) => {
    res.writeHead(302, { location: "/redirect-loop", "content-length": 0 }).end();
  });

  add("*", "/reset", (req) => {
    req.raw.socket.destroy();
  });

  add("*", "/reset-mid-body", (_req, res) => {
    res.writeHead(200, { "content-type": "text/plain", "content-length": 100_000 });
    res.write("x".repeat(1000), () => setTimeout(() => res.destroy(), 20));
  });

  add("*", "/invalid-json", (_req, res) => {
    res.writeHead(200, { "content-type": "application/json" }).end('{"a":');
  });

  add("GET", "/bytes", (req, res) => streamBytes(res, num(req.query.size, 1024)));

  add("POST", "/upload", (req, res) => receiveUpload(req, res), true);

  const users = new Map<string, unknown>();
  add("POST", "/users", (req, res) => {
    const id = `user-${users.size + 1}`;
    const email = (req.json as { email?: unknown } | undefined)?.email;
    const user = { id, email };
    users.set(id, user);
    sendJson(res, 201, user);
  });
  add("GET", "/users/:id", (req, res) => {
    const user = users.get(req.params.id ?? "");
    if (user === undefined) sendJson(res, 404, { error: "not found" });
    else sendJson(res, 200, user);
  });

  return routes;
}

/** Writes `size` generated bytes with backpressure, never holding more than one chunk. */
function streamBytes(res: ServerResponse, size: number): void {
  const chunk = Buffer.alloc(64 * 1024);
  for (let i = 0; i < chunk.length; i++) chunk[i] = i % 251;
  res.writeHead(200, { "content-type": "application/pdf", "content-length": size });
  let left = size;
  const pump = (): void => {
    while (left > 0) {
      const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
      left -= piece.length;
      if (!res.write(piece)) {
        res.once("drain", pump);
        return;
      }
    }
    res.end();
  };
  res.on("close", () => (left = 0));
  pump();
}

interface UploadedFile {
  field: string;
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
}

/** Parses a multipart body part by part, hashing files as they stream past. */
function receiveUpload(req: TargetRequest, res: ServerResponse): void {
  const fields: Record<string, string> = {};
  const files: UploadedFile[] = [];
  const pending: Array<Promise<void>> = [];
  let busboy: InstanceType<typeof Busboy>;
  try {
    busboy = new Busboy({ headers: req.headers as never, limits: { fileSize: Infinity } });
  } catch (error) {
    sendJson(res, 400, { error: String(error) });
    req.raw.resume();
    return;
  }
  busboy.on("field", (name, value) => (fields[name] = value));
  busboy.on("file", (field, stream, filename, _encoding, mimeType) => {
    const hash = createHash("sha256");
    let size = 0;
    pending.push(
      new Promise<void>((resolve, reject) => {
        stream.on("data", (chunk: Buffer) => {
          size += chunk.length;
          hash.update(chunk);
        });
        stream.on("end", () => {
          files.push({ field, filename, contentType: mimeType, size, sha256: hash.digest("hex") });
          resolve();
        });
        stream.on("error", reject);
      }),
    );
  });
  busboy.on("finish", () => {
    Promise.all(pending).then(
      () => sendJson(res, 200, { fields, files }),
      (error: unknown) => sendJson(res, 400, { error: String(error) }),
    );
  });
  busboy.on("error", (error) => {
    sendJson(res, 400, { error: String(error) });
    req.raw.resume();
  });
  req.raw.pipe(busboy);
}

function splitPath(path: string): string[] {
  return path.split("/").filter((s) => s !== "");
}

function findRoute(
  routes: Route[],
  method: string,
  path: string,
): { route: Route; params: Record<string, string> } | undefined {
  const parts = splitPath(path);
  for (const route of routes) {
    if (route.method !== "*" && route.method !== method) continue;
    if (route.segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    const matches = route.segments.every((segment, i) => {
      const part = decodeURIComponent(parts[i] ?? "");
      if (segment.startsWith(":")) {
        params[segment.slice(1)] = part;
        return true;
      }
      return segment === part;
    });
    if (matches) return { route, params };
  }
  return undefined;
}

function parseJson(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
