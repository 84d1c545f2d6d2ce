// The bench's third-party API: POST /jobs creates a job and answers {id}; GET /jobs/:id answers
// "pending" until the job has been polled `polls` times (from the create body), then "done".
// Deliberately tiny so the numbers measure the client, not the server. An optional per-request
// latency stands in for a real SaaS API, which answers in tens to hundreds of milliseconds.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface BenchTarget {
  url: string;
  /** Requests answered so far. */
  requests(): number;
  close(): Promise<void>;
}

/**
 * Starts the target on 127.0.0.1, port 0. `latencyMs` (default 0) delays every answer by that
 * many milliseconds after the request body arrived.
 */
export async function startBenchTarget(latencyMs = 0): Promise<BenchTarget> {
  // Poll counts left per job; a job is forgotten once done so memory stays flat across repeats.
  const jobs = new Map<string, number>();
  let next = 0;
  let answered = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    const answer = (): void => {
      answered += 1;
      const url = req.url ?? "/";
      if (req.method === "POST" && url === "/jobs") {
        let polls = 2;
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { polls?: unknown };
          if (typeof body.polls === "number") polls = body.polls;
        } catch {
          return send(res, 400, { error: "body is not JSON" });
        }
        const id = `job_${(next += 1)}`;
        jobs.set(id, polls);
        return send(res, 201, { id });
      }
      if (req.method === "GET" && url.startsWith("/jobs/")) {
        const id = url.slice("/jobs/".length);
        const left = jobs.get(id);
        if (left === undefined) return send(res, 404, { error: `no job ${id}` });
        if (left <= 1) {
          jobs.delete(id);
          return send(res, 200, { id, status: "done" });
        }
        jobs.set(id, left - 1);
        return send(res, 200, { id, status: "pending" });
      }
      send(res, 404, { error: "not found" });
    };
    req.on("end", () => {
      // Without a latency, answer synchronously as before: no timer per request, so the 0 ms
      // figures stay comparable with earlier runs.
      if (latencyMs > 0) setTimeout(answer, latencyMs);
      else answer();
    });
  });
  // Node's default keep-alive timeout (5 s) would drop idle pooled sockets mid-bench between
  // repeats; keep them open like a typical API behind a load balancer does.
  server.keepAliveTimeout = 60_000;
  server.maxRequestsPerSocket = 0;
  // A long accept queue (the kernel caps it at net.core.somaxconn): 10,000 runs connect at once
  // in the memory part, far more than the default 511 pending connections.
  await new Promise<void>((resolve) =>
    server.listen({ port: 0, host: "127.0.0.1", backlog: 65_535 }, resolve),
  );
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => answered,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(res: import("node:http").ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}
