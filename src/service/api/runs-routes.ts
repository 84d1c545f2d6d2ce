// /api/runs: trigger a run (checked before anything is queued), list and filter runs, get one with
// every attempt and file, and ask for a cancel or a resume. The scheduler does the running.
import { hirewireError } from "../../errors/index.ts";
import { createRoute, z } from "@hono/zod-openapi";
import { FINAL_STATUSES, RUN_STATUSES, type RunStatus } from "../../engine/index.ts";
import type { RunRecord, RunRequest } from "../../store/records.ts";
import { startDeps, type ApiApp, type ResolvedDeps } from "./api-deps.ts";
import { assertCount, assertJsonSize, LIMITS } from "./input-limits.ts";
import { mustGetRun } from "../../runner/lookup.ts";
import { startRun } from "../../runner/run-start.ts";
import { RunMasker } from "./run-masking.ts";
import { RunDetailSchema, RunSchema } from "./run-schemas.ts";
import {
  errorResponses,
  IdParamSchema,
  JsonSchema,
  jsonBody,
  jsonResponse,
  pageOf,
  PageQuerySchema,
  SECURITY,
} from "./schemas.ts";
import { attemptJson, fileJson, runJson } from "./serialize.ts";

const TriggerSchema = z
  .object({
    integration_id: z.string().min(1),
    hire_id: z.string().min(1),
    block: z.enum(["execute", "revoke"]).optional().openapi({
      description: "execute (default) provisions; revoke runs the offboarding steps",
    }),
    params: z
      .record(z.string(), JsonSchema)
      .optional()
      .openapi({
        description: "per-run values, e.g. answers to the manifest's form",
        example: { TEAM_ID: "t_1" },
      }),
  })
  .strict()
  .openapi("RunTrigger");

const IdempotencyHeaderSchema = z.object({
  "Idempotency-Key": z
    .string()
    .min(1)
    .max(255)
    .optional()
    .openapi({
      param: { name: "Idempotency-Key", in: "header" },
      description: "repeat a trigger safely: the same key (per integration) returns the same run",
    }),
});

const STATUS_LIST = new RegExp(`^(${RUN_STATUSES.join("|")})(,(${RUN_STATUSES.join("|")}))*$`);

const ListQuerySchema = PageQuerySchema.extend({
  status: z
    .string()
    .regex(STATUS_LIST, {
      error: `must be one or more of ${RUN_STATUSES.join(", ")}, comma-separated`,
    })
    .optional()
    .openapi({ param: { name: "status", in: "query" }, example: "failed,blocked" }),
  integration_id: z
    .string()
    .min(1)
    .optional()
    .openapi({ param: { name: "integration_id", in: "query" } }),
  hire_id: z
    .string()
    .min(1)
    .optional()
    .openapi({ param: { name: "hire_id", in: "query" } }),
});

const tags = ["runs"];

/** A run as the API shows it, masked again with the integration's secrets (see run-masking.ts). */
async function shownRun(masker: RunMasker, run: RunRecord) {
  return (await masker.redactorFor(run)).redact(runJson(run));
}

async function requestRun(deps: ResolvedDeps, id: string, request: RunRequest): Promise<RunRecord> {
  const run = await mustGetRun(deps.store, id);
  if (request === "cancel" && FINAL_STATUSES.has(run.status)) {
    throw hirewireError("CONFLICT", "runNotCancellable", { runId: id, status: run.status });
  }
  if (request === "resume" && run.status !== "failed" && run.status !== "blocked") {
    throw hirewireError("CONFLICT", "runNotResumable", { runId: id, status: run.status });
  }
  const updated = await deps.store.requestRun(id, request, deps.now());
  deps.notify();
  return updated;
}

/** Registers the run routes (files are in run-files-routes.ts) on `app`. */
export function runRoutes(app: ApiApp, deps: ResolvedDeps): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/api/runs",
      tags,
      security: SECURITY,
      summary: "Trigger the integration's execute (or revoke) block for a hire",
      description:
        "Checks first (manifest valid, secrets set, form answered, every variable known); a run that cannot start is refused with 422 and nothing is sent. A sync-users manifest is refused with 409: it runs only as a sync (POST /api/integrations/{id}/sync). A manifest that uses {{ access_overview }} gets the hire's access overview (GET /api/hires/{id}/access) as a param, taken now, unless params give it.",
      request: { headers: IdempotencyHeaderSchema, body: jsonBody(TriggerSchema) },
      responses: {
        202: jsonResponse(RunSchema, "queued; the scheduler runs it"),
        200: jsonResponse(
          RunSchema,
          "the run an earlier trigger with this Idempotency-Key created",
        ),
        ...errorResponses(400, 404, 409, 415, 422),
      },
    }),
    async (c) => {
      const input = c.req.valid("json");
      const key = c.req.valid("header")["Idempotency-Key"];
      const params = input.params ?? {};
      assertCount(Object.keys(params).length, LIMITS.runParams, "params per run", "params");
      assertJsonSize(params, LIMITS.runParamsBytes, "a run's params", "params");
      const { run, created, integration, secrets } = await startRun(startDeps(deps), {
        integrationId: input.integration_id,
        hireId: input.hire_id,
        params,
        ...(input.block !== undefined ? { block: input.block } : {}),
        ...(key !== undefined ? { idempotencyKey: key } : {}),
      });
      const masker = new RunMasker(deps.store, {
        integration,
        ...(secrets !== undefined ? { secrets } : {}),
      });
      const shown = await shownRun(masker, run);
      return created ? c.json(shown, 202) : c.json(shown, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/runs",
      tags,
      security: SECURITY,
      summary: "List runs, newest first",
      request: { query: ListQuerySchema },
      responses: { 200: jsonResponse(pageOf(RunSchema), "a page of runs"), ...errorResponses(422) },
    }),
    async (c) => {
      const query = c.req.valid("query");
      const page = await deps.store.listRuns({
        ...(query.status !== undefined ? { status: query.status.split(",") as RunStatus[] } : {}),
        ...(query.integration_id !== undefined ? { integrationId: query.integration_id } : {}),
        ...(query.hire_id !== undefined ? { hireId: query.hire_id } : {}),
        ...(query.limit !== undefined ? { limit: query.limit } : {}),
        ...(query.cursor !== undefined ? { cursor: query.cursor } : {}),
      });
      const masker = new RunMasker(deps.store);
      const items = await Promise.all(page.items.map((run) => shownRun(masker, run)));
      return c.json({ items, next_cursor: page.nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/runs/{id}",
      tags,
      security: SECURITY,
      summary: "Get a run with every attempt (masked) and its files",
      request: { params: IdParamSchema },
      responses: { 200: jsonResponse(RunDetailSchema, "the run"), ...errorResponses(404) },
    }),
    async (c) => {
      const run = await mustGetRun(deps.store, c.req.valid("param").id);
      const [attempts, files] = await Promise.all([
        deps.store.listAttempts(run.id),
        deps.store.listFiles(run.id),
      ]);
      const now = deps.now();
      const redactor = await new RunMasker(deps.store, { storedSecrets: true }).redactorFor(run);
      const detail = {
        ...runJson(run),
        attempts: attempts.map(attemptJson),
        files: files
          .filter((file) => file.expiresAt === null || file.expiresAt > now)
          .map((file) => fileJson(file, run.id)),
      };
      return c.json(redactor.redact(detail), 200);
    },
  );

  for (const request of ["cancel", "resume"] as const) {
    app.openapi(
      createRoute({
        method: "post",
        path: `/api/runs/{id}/${request}`,
        tags,
        security: SECURITY,
        summary:
          request === "cancel"
            ? "Cancel an unfinished run (it stops before its next request)"
            : "Resume a failed or blocked run from its failed step (nothing already sent is resent)",
        request: { params: IdParamSchema },
        responses: {
          202: jsonResponse(RunSchema, "requested; the scheduler acts on it"),
          ...errorResponses(404, 409),
        },
      }),
      async (c) => {
        const run = await requestRun(deps, c.req.valid("param").id, request);
        return c.json(await shownRun(new RunMasker(deps.store), run), 202);
      },
    );
  }
}
