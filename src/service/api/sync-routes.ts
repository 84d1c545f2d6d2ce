// /api/integrations/{id}/sync: start a user sync by hand, preview what it would change once it has
// run (hires to create, stored fields to write, who is skipped and why), then apply it — once.
// Scheduled syncs (runner/sync-schedule.ts) are applied without a preview.
import { hirewireError } from "../../errors/index.ts";
import { createRoute, z } from "@hono/zod-openapi";
import { isSyncUsersManifest } from "../../manifest/types.ts";
import { integrationManifest } from "../../runner/prepared-manifest.ts";
import type { RunRecord } from "../../store/records.ts";
import {
  applySyncRun,
  getAppliedSync,
  planSyncRun,
  type AppliedSync,
  type SyncPlan,
} from "../../sync/index.ts";
import { startDeps, type ApiApp, type ResolvedDeps } from "./api-deps.ts";
import { mustGetIntegration, notFound } from "../../runner/lookup.ts";
import { blockedError, runBlockers } from "../../runner/run-start.ts";
import { RunMasker } from "./run-masking.ts";
import { RunSchema } from "./run-schemas.ts";
import {
  errorResponses,
  IdParamSchema,
  JsonSchema,
  jsonResponse,
  RunStatusSchema,
  SECURITY,
  TimestampSchema,
} from "./schemas.ts";
import { iso, runJson } from "./serialize.ts";

const SyncRunParamsSchema = IdParamSchema.extend({
  run_id: z
    .string()
    .min(1)
    .openapi({ param: { name: "run_id", in: "path" } }),
});

const SyncPlanSchema = z
  .object({
    action: z.enum(["create", "update"]),
    pages: z.number().int().openapi({ description: "pages the run fetched" }),
    users: z.number().int().openapi({ description: "users the run mapped with data_structure" }),
    create: z
      .array(z.record(z.string(), JsonSchema))
      .openapi({ description: "props of the hires that would be created (action create)" }),
    update: z
      .array(
        z.object({
          hire_id: z.string(),
          email: z.string(),
          fields: z
            .record(z.string(), JsonSchema)
            .openapi({ description: "stored fields that would be written (only changed ones)" }),
        }),
      )
      .openapi({ description: "hires whose stored fields would change (action update)" }),
    unchanged: z.number().int().openapi({
      description: "users already hires (create) or whose fields are already equal (update)",
    }),
    skipped: z.array(
      z.object({
        reason: z.string(),
        email: z.string().optional(),
        page: z.number().int().optional(),
        index: z.number().int().optional(),
      }),
    ),
    incomplete: z
      .array(
        z.object({
          page: z.number().int(),
          index: z.number().int(),
          email: z.string().optional(),
          missing: z.array(z.string()),
        }),
      )
      .openapi({
        description:
          "users kept without the data_structure fields their entry lacked (missing: those fields)",
      }),
  })
  .openapi("SyncPlan");

const AppliedSyncSchema = z
  .object({
    run_id: z.string(),
    action: z.enum(["create", "update"]),
    created: z.number().int(),
    updated: z.number().int(),
    unchanged: z.number().int(),
    skipped: z.number().int(),
    applied_at: TimestampSchema,
  })
  .openapi("AppliedSync");

const SyncPreviewSchema = z
  .object({
    run_id: z.string(),
    status: RunStatusSchema,
    error: z.record(z.string(), z.any()).nullable(),
    plan: SyncPlanSchema.nullable().openapi({
      description: "null until the run has succeeded; computed against the hires as they are now",
    }),
    applied: AppliedSyncSchema.nullable().openapi({ description: "set once the sync was applied" }),
  })
  .openapi("SyncPreview");

const ApplyResultSchema = AppliedSyncSchema.extend({
  already_applied: z
    .boolean()
    .openapi({ description: "true when an earlier apply did the work; nothing changed now" }),
}).openapi("SyncApplyResult");

const tags = ["sync"];

function planJson(plan: SyncPlan) {
  return {
    action: plan.action,
    pages: plan.pages,
    users: plan.users,
    create: plan.create,
    update: plan.update.map((u) => ({ hire_id: u.hireId, email: u.email, fields: u.fields })),
    unchanged: plan.unchanged,
    skipped: plan.skipped,
    incomplete: plan.incomplete,
  };
}

function appliedJson(applied: AppliedSync) {
  return {
    run_id: applied.runId,
    action: applied.action,
    created: applied.created,
    updated: applied.updated,
    unchanged: applied.unchanged,
    skipped: applied.skipped,
    applied_at: iso(applied.appliedAt),
  };
}

/** The sync run `runId` of integration `id`, or 404. */
async function mustGetSyncRun(deps: ResolvedDeps, id: string, runId: string): Promise<RunRecord> {
  const run = await deps.store.getRun(runId);
  if (run === undefined || run.integrationId !== id || run.block !== "sync")
    throw notFound(`sync run of integration ${JSON.stringify(id)}`, runId);
  return run;
}

/** Registers the sync routes on `app`. */
export function syncRoutes(app: ApiApp, deps: ResolvedDeps): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/api/integrations/{id}/sync",
      tags,
      security: SECURITY,
      summary: "Start a user sync (preview first; apply it with .../sync/{run_id}/apply)",
      description:
        "Checks the manifest is a valid sync-users manifest and its secrets are set, then queues a sync run. Refused with 409 while another sync of this integration is unfinished.",
      request: { params: IdParamSchema },
      responses: {
        202: jsonResponse(RunSchema, "queued; the scheduler runs it"),
        ...errorResponses(404, 409, 422),
      },
    }),
    async (c) => {
      const integration = await mustGetIntegration(deps.store, c.req.valid("param").id);
      const validation = integrationManifest(integration);
      if (validation.ok && !isSyncUsersManifest(validation.manifest))
        throw hirewireError("CONFLICT", "notSyncIntegration", { integrationId: integration.id });
      const problems = await runBlockers(
        startDeps(deps),
        integration,
        { props: {}, stored: {} },
        {},
        "execute",
        { sync: true },
      );
      if (problems.length > 0) throw blockedError(problems, "the sync");
      const unfinished = await deps.store.listRuns({
        integrationId: integration.id,
        status: ["queued", "running", "waiting"],
        limit: 50,
      });
      const busy = unfinished.items.find((run) => run.block === "sync");
      if (busy !== undefined)
        throw hirewireError("CONFLICT", "syncBusy", { runId: busy.id, status: busy.status });
      const { run } = await deps.store.createRun({
        integrationId: integration.id,
        hireId: null,
        block: "sync",
        params: {},
      });
      deps.notify();
      const redactor = await new RunMasker(deps.store).redactorFor(run);
      return c.json(redactor.redact(runJson(run)), 202);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/integrations/{id}/sync/{run_id}/preview",
      tags,
      security: SECURITY,
      summary:
        "What a sync run would change: hires to create, stored fields to write, skipped users",
      request: { params: SyncRunParamsSchema },
      responses: {
        200: jsonResponse(SyncPreviewSchema, "the run's status and, once it succeeded, the plan"),
        ...errorResponses(404, 409),
      },
    }),
    async (c) => {
      const params = c.req.valid("param");
      const run = await mustGetSyncRun(deps, params.id, params.run_id);
      const applied = await getAppliedSync(deps.store, run.id);
      const plan = run.status === "succeeded" ? planJson(await planSyncRun(deps.store, run)) : null;
      const redactor = await new RunMasker(deps.store).redactorFor(run);
      const body = {
        run_id: run.id,
        status: run.status,
        error: run.error as Record<string, unknown> | null,
        plan,
        applied: applied === undefined ? null : appliedJson(applied),
      };
      return c.json(redactor.redact(body), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/integrations/{id}/sync/{run_id}/apply",
      tags,
      security: SECURITY,
      summary: "Apply a succeeded sync run: create hires or write stored fields (once per run)",
      description:
        "The plan is computed again against the hires as they are now. A run is applied once; a repeat returns the first apply's counts with already_applied: true.",
      request: { params: SyncRunParamsSchema },
      responses: {
        200: jsonResponse(ApplyResultSchema, "what was done"),
        ...errorResponses(404, 409),
      },
    }),
    async (c) => {
      const params = c.req.valid("param");
      const run = await mustGetSyncRun(deps, params.id, params.run_id);
      const outcome = await applySyncRun(deps.store, run.id, deps.now);
      return c.json(
        { ...appliedJson(outcome.applied), already_applied: outcome.alreadyApplied },
        200,
      );
    },
  );
}
