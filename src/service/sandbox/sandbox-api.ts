// The sandbox: a small fake SaaS API mounted on the service itself (under /sandbox/api), so a new
// user can trigger a real run in one curl and watch it create a user, poll a background job,
// download a document, upload it again and store the ids. Its records live in the store
// (sandbox-data.ts), so runs and hires made before a restart keep working after it.
import { createHash, randomUUID } from "node:crypto";
import { Hono } from "hono";
import type { Store } from "../../store/index.ts";
import { SandboxRecords, type SandboxJob, type SandboxUser } from "./sandbox-data.ts";
import { matchesSandboxToken, type SandboxCredential } from "./seed-sandbox.ts";

export interface SandboxOptions {
  /** The bearer token the sandbox expects (seeded as the example integrations' secret). */
  credential: SandboxCredential;
  /** Where the sandbox keeps its users, jobs and uploads. */
  store: Store;
  /** How long a document job stays "pending" (ms). */
  jobMs?: number;
  now?: () => number;
}

export function sandboxApi(options: SandboxOptions): Hono {
  const now = options.now ?? Date.now;
  const jobMs = options.jobMs ?? 3_000;
  const records = new SandboxRecords(options.store);
  const app = new Hono();

  app.use("*", async (c, next) => {
    const match = /^Bearer (\S+)$/.exec(c.req.header("authorization") ?? "");
    if (match === null || !matchesSandboxToken(options.credential, match[1]!))
      return c.json({ error: "invalid or missing bearer token" }, 401);
    await next();
  });

  app.post("/users", async (c) => {
    const key = c.req.header("idempotency-key");
    const body = (await c.req.json().catch(() => null)) as Record<string, unknown> | null;
    const user = await records.change((data) => {
      const existing = key !== undefined ? data.keys[key] : undefined;
      if (existing !== undefined && data.users[existing] !== undefined) return data.users[existing];
      if (body === null || typeof body.email !== "string" || body.email === "") return undefined;
      const made: SandboxUser = {
        id: `usr_${randomUUID().slice(0, 8)}`,
        email: body.email,
        ...(typeof body.first_name === "string" ? { first_name: body.first_name } : {}),
        ...(typeof body.last_name === "string" ? { last_name: body.last_name } : {}),
      };
      data.users[made.id] = made;
      if (key !== undefined) data.keys[key] = made.id;
      return made;
    });
    return user === undefined ? c.json({ error: "email is required" }, 422) : c.json(user, 201);
  });

  app.get("/users/:id", async (c) => {
    const user = (await records.read()).users[c.req.param("id")];
    return user !== undefined ? c.json(user) : c.json({ error: "no such user" }, 404);
  });

  // Offboarding (a `revoke` block) removes the user and what the sandbox keeps about them.
  app.delete("/users/:id", async (c) => {
    const id = c.req.param("id");
    const removed = await records.change((data) => {
      if (data.users[id] === undefined) return false;
      delete data.users[id];
      for (const [key, userId] of Object.entries(data.keys))
        if (userId === id) delete data.keys[key];
      for (const [jobId, job] of Object.entries(data.jobs))
        if (job.userId === id) delete data.jobs[jobId];
      return true;
    });
    return removed ? c.body(null, 204) : c.json({ error: "no such user" }, 404);
  });

  app.get("/users", async (c) => {
    const email = c.req.query("email");
    const found = Object.values((await records.read()).users).filter(
      (user) => email === undefined || user.email === email,
    );
    return c.json({ users: found });
  });

  app.post("/documents", async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as Record<string, unknown>;
    const userId = body.user_id;
    const job = await records.change((data) => {
      if (typeof userId !== "string" || data.users[userId] === undefined) return undefined;
      const made: SandboxJob = {
        id: `job_${randomUUID().slice(0, 8)}`,
        userId,
        createdAt: now(),
        documentId: `doc_${randomUUID().slice(0, 8)}`,
      };
      data.jobs[made.id] = made;
      return made;
    });
    if (job === undefined) return c.json({ error: "user_id must name an existing user" }, 422);
    return c.json({ job_id: job.id, status: "pending" }, 202);
  });

  app.get("/jobs/:id", async (c) => {
    const job = (await records.read()).jobs[c.req.param("id")];
    if (job === undefined) return c.json({ error: "no such job" }, 404);
    const done = now() - job.createdAt >= jobMs;
    return c.json({
      job_id: job.id,
      status: done ? "done" : "pending",
      ...(done ? { document_id: job.documentId } : {}),
    });
  });

  app.get("/documents/:id/download", async (c) => {
    const id = c.req.param("id");
    const data = await records.read();
    const job = Object.values(data.jobs).find((candidate) => candidate.documentId === id);
    if (job === undefined) return c.json({ error: "no such document" }, 404);
    const user = data.users[job.userId];
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
    await records.change((data) => {
      // The newest thousand: uploads are only ever counted, never read back.
      data.uploads = [...data.uploads, upload].slice(-1_000);
    });
    return c.json(
      { upload_id: upload.id, filename: upload.filename, size: upload.size, sha256: upload.sha256 },
      201,
    );
  });

  return app;
}
