// The sandbox: a small fake SaaS API mounted on the service itself (under /sandbox/api), so a new
// user can trigger a real run in one curl and watch it create a user, poll a background job,
// download a document, upload it again and store the ids. State lives in memory: it is a toy.
import { createHash, randomUUID } from "node:crypto";
import { Hono } from "hono";
import { matchesSandboxToken, type SandboxCredential } from "./seed-sandbox.ts";

export interface SandboxOptions {
  /** The bearer token the sandbox expects (seeded as the example integrations' secret). */
  credential: SandboxCredential;
  /** How long a document job stays "pending" (ms). */
  jobMs?: number;
  now?: () => number;
}

interface Job {
  id: string;
  userId: string;
  createdAt: number;
  documentId: string;
}

export function sandboxApi(options: SandboxOptions): Hono {
  const now = options.now ?? Date.now;
  const jobMs = options.jobMs ?? 3_000;
  const users = new Map<
    string,
    { id: string; email: string; first_name?: string; last_name?: string }
  >();
  const byIdempotencyKey = new Map<string, string>();
  const jobs = new Map<string, Job>();
  const uploads: Array<{ id: string; filename: string; size: number; sha256: string }> = [];
  const app = new Hono();

  app.use("*", async (c, next) => {
    const match = /^Bearer (\S+)$/.exec(c.req.header("authorization") ?? "");
    if (match === null || !matchesSandboxToken(options.credential, match[1]!))
      return c.json({ error: "invalid or missing bearer token" }, 401);
    await next();
  });

  app.post("/users", async (c) => {
    const key = c.req.header("idempotency-key");
    const existing = key !== undefined ? byIdempotencyKey.get(key) : undefined;
    if (existing !== undefined) return c.json(users.get(existing), 201);
    const body = (await c.req.json().catch(() => null)) as Record<string, unknown> | null;
    if (body === null || typeof body.email !== "string" || body.email === "")
      return c.json({ error: "email is required" }, 422);
    const user = {
      id: `usr_${randomUUID().slice(0, 8)}`,
      email: body.email,
      ...(typeof body.first_name === "string" ? { first_name: body.first_name } : {}),
      ...(typeof body.last_name === "string" ? { last_name: body.last_name } : {}),
    };
    users.set(user.id, user);
    if (key !== undefined) byIdempotencyKey.set(key, user.id);
    return c.json(user, 201);
  });

  app.get("/users/:id", (c) => {
    const user = users.get(c.req.param("id"));
    return user !== undefined ? c.json(user) : c.json({ error: "no such user" }, 404);
  });

  app.get("/users", (c) => {
    const email = c.req.query("email");
    const found = [...users.values()].filter((user) => email === undefined || user.email === email);
    return c.json({ users: found });
  });

  app.post("/documents", async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as Record<string, unknown>;
    if (typeof body.user_id !== "string" || !users.has(body.user_id))
      return c.json({ error: "user_id must name an existing user" }, 422);
    const job: Job = {
      id: `job_${randomUUID().slice(0, 8)}`,
      userId: body.user_id,
      createdAt: now(),
      documentId: `doc_${randomUUID().slice(0, 8)}`,
    };
    jobs.set(job.id, job);
    return c.json({ job_id: job.id, status: "pending" }, 202);
  });

  app.get("/jobs/:id", (c) => {
    const job = jobs.get(c.req.param("id"));
    if (job === undefined) return c.json({ error: "no such job" }, 404);
    const done = now() - job.createdAt >= jobMs;
    return c.json({
      job_id: job.id,
      status: done ? "done" : "pending",
      ...(done ? { document_id: job.documentId } : {}),
    });
  });

  app.get("/documents/:id/download", (c) => {
    const id = c.req.param("id");
    const job = [...jobs.values()].find((candidate) => candidate.documentId === id);
    if (job === undefined) return c.json({ error: "no such document" }, 404);
    const user = users.get(job.userId);
    const text = `%PDF-1.4\n% hirewire sandbox contract ${id} for ${user?.email ?? "unknown"}\n%%EOF\n`;
    return c.body(text, 200, {
      "content-type": "application/pdf",
      "content-disposition": `attachment; filename="${id}.pdf"`,
    });
  });

  app.post("/uploads", async (c) => {
    const form = await c.req.parseBody();
    const file = form.file;
    if (!(file instanceof File))
      return c.json({ error: 'multipart field "file" is required' }, 422);
    const bytes = new Uint8Array(await file.arrayBuffer());
    const upload = {
      id: `upl_${randomUUID().slice(0, 8)}`,
      filename: file.name,
      size: bytes.length,
      sha256: createHash("sha256").update(bytes).digest("hex"),
    };
    uploads.push(upload);
    return c.json(
      { upload_id: upload.id, filename: upload.filename, size: upload.size, sha256: upload.sha256 },
      201,
    );
  });

  return app;
}
