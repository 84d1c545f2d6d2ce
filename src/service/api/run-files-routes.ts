// /api/runs/{id}/files: the files a run saved (`save_as_file`), listed and downloaded while they
// are retained. Downloads stream from the file store; an expired or deleted file is a 404.
import { createRoute, z } from "@hono/zod-openapi";
import type { HirewireError } from "../../errors/index.ts";
import { hirewireError, isHirewireError } from "../../errors/index.ts";
import type { FileRecord } from "../../store/records.ts";
import type { ApiApp, ResolvedDeps } from "./api-deps.ts";
import { mustGetRun } from "../../runner/lookup.ts";
import { RunFileSchema } from "./run-schemas.ts";
import { errorResponses, IdParamSchema, jsonResponse, SECURITY } from "./schemas.ts";
import { fileJson } from "./serialize.ts";

const FileParamSchema = IdParamSchema.extend({
  name: z
    .string()
    .min(1)
    .openapi({ param: { name: "name", in: "path" }, example: "contract.pdf" }),
});

const tags = ["runs"];

function retained(files: FileRecord[], now: number): FileRecord[] {
  return files.filter((file) => file.expiresAt === null || file.expiresAt > now);
}

/**
 * `attachment; filename="…"; filename*=UTF-8''…` (RFC 6266): an ASCII fallback plus the exact name.
 * Only the base name is sent: a saved name comes from a manifest and may hold a hire's props, and
 * `../../tmp/x` must not steer where a browser or `curl -J` writes the download.
 */
function contentDisposition(name: string): string {
  const base = baseName(name);
  const ascii = base.replace(/[^\x20-\x7e]/g, "_").replace(/["\\]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeRfc5987(base)}`;
}

/** The last segment of `name` for `/` and `\`, without control characters; `download` if none. */
function baseName(name: string): string {
  const segments = name
    .replace(/[\u0000-\u001f\u007f]/g, "")
    .split(/[/\\]/)
    .filter((segment) => segment !== "" && segment !== "." && segment !== "..");
  return segments.at(-1) ?? "download";
}

// RFC 5987 attr-char excludes ' ( ) * which encodeURIComponent leaves as they are.
function encodeRfc5987(text: string): string {
  return encodeURIComponent(text).replace(
    /['()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function gone(runId: string, name: string): HirewireError {
  return hirewireError("NOT_FOUND", "runFile", { runId, name }, {});
}

/** Registers the run file routes on `app`. */
export function runFileRoutes(app: ApiApp, deps: ResolvedDeps): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/runs/{id}/files",
      tags,
      security: SECURITY,
      summary: "List the files a run saved that are still retained",
      request: { params: IdParamSchema },
      responses: {
        200: jsonResponse(z.object({ items: z.array(RunFileSchema) }), "the run's files"),
        ...errorResponses(404),
      },
    }),
    async (c) => {
      const run = await mustGetRun(deps.store, c.req.valid("param").id);
      const files = retained(await deps.store.listFiles(run.id), deps.now());
      return c.json({ items: files.map((file) => fileJson(file, run.id)) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/runs/{id}/files/{name}",
      tags,
      security: SECURITY,
      summary: "Download a run file",
      request: { params: FileParamSchema },
      responses: {
        200: {
          description: "the file, with the content type it arrived with",
          content: {
            "application/octet-stream": { schema: z.string().openapi({ format: "binary" }) },
          },
        },
        ...errorResponses(404),
      },
    }),
    async (c) => {
      const { id, name } = c.req.valid("param");
      const run = await mustGetRun(deps.store, id);
      // A resumed run may save a name again; the newest copy is the one later steps used.
      const file = retained(await deps.store.listFiles(run.id), deps.now())
        .filter((candidate) => candidate.name === name)
        .sort((a, b) => b.createdAt - a.createdAt)[0];
      if (file === undefined) throw gone(run.id, name);
      const ref = {
        name: file.name,
        ref: file.ref,
        size: file.size,
        contentType: file.contentType,
      };
      const blob = await deps.files.openBlob(ref).catch((error: unknown) => {
        throw isHirewireError(error, "FILE_NOT_SAVED") ? gone(run.id, name) : error;
      });
      return new Response(blob.stream(), {
        status: 200,
        headers: {
          "content-type": file.contentType || "application/octet-stream",
          "content-length": String(blob.size),
          "content-disposition": contentDisposition(file.name),
          "x-content-type-options": "nosniff",
          // The bytes came from a third party: never let a browser run them on our origin.
          "content-security-policy": "sandbox",
        },
      });
    },
  );
}
