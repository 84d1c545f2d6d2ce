// /api/hires: create (optionally triggering integrations at once), list, get, replace and delete
// hires. Props are validated per docs/manifest.md (see hire-props.ts); stored fields are shown with
// the hire and edited under /stored (stored-fields-routes.ts).
import { createRoute, z } from "@hono/zod-openapi";
import { describeProblem } from "../../errors/index.ts";
import type { JsonValue } from "../../manifest/index.ts";
import type { HireRecord, IntegrationRecord } from "../../store/records.ts";
import { startDeps, type ApiApp, type ResolvedDeps } from "./api-deps.ts";
import type { ApiProblem } from "./api-errors.ts";
import { propsSchema } from "./hire-props.ts";
import { assertCount, assertJsonSize, LIMITS } from "./input-limits.ts";
import { mustGetHire, mustGetIntegration } from "../../runner/lookup.ts";
import { RunMasker } from "./run-masking.ts";
import { RunSchema } from "./run-schemas.ts";
import { blockedError, queueRun, runBlockers } from "../../runner/run-start.ts";
import {
  errorResponses,
  IdParamSchema,
  JsonSchema,
  jsonBody,
  jsonResponse,
  pageOf,
  PageQuerySchema,
  SECURITY,
  StoredFieldSchema,
  TimestampSchema,
} from "./schemas.ts";
import { hireJson, runJson, storedFieldsJson } from "./serialize.ts";

const HireCreateSchema = propsSchema({
  trigger: z
    .array(z.string().min(1))
    .max(50)
    .optional()
    .openapi({ description: "integration ids whose execute block runs for the new hire at once" }),
}).openapi("HireInput");

const HirePropsSchema = propsSchema({}).openapi("HireProps");

const HireSchema = z
  .object({
    id: z.string(),
    props: z.record(z.string(), JsonSchema),
    created_at: TimestampSchema,
    updated_at: TimestampSchema,
  })
  .openapi("Hire");

const HireDetailSchema = HireSchema.extend({
  stored: z.record(z.string(), StoredFieldSchema),
}).openapi("HireDetail");

const ListQuerySchema = PageQuerySchema.extend({
  email: z
    .string()
    .min(1)
    .optional()
    .openapi({ param: { name: "email", in: "query" }, description: "exact, case-insensitive" }),
});

const tags = ["hires"];

function toProps(input: Record<string, unknown>): Record<string, JsonValue> {
  const props = Object.fromEntries(
    Object.entries(input).filter(([, value]) => value !== undefined),
  ) as Record<string, JsonValue>;
  assertCount(Object.keys(props).length, LIMITS.hireProps, "props per hire", "props");
  assertJsonSize(props, LIMITS.hirePropsBytes, "a hire's props", "props");
  return props;
}

async function detail(deps: ResolvedDeps, hire: HireRecord) {
  return { ...hireJson(hire), stored: storedFieldsJson(await deps.store.getStoredFields(hire.id)) };
}

/** Every reason one of `ids` cannot run for a hire with these props, checked before the hire exists. */
async function triggerBlockers(
  deps: ResolvedDeps,
  integrations: IntegrationRecord[],
  props: Record<string, JsonValue>,
): Promise<ApiProblem[]> {
  const problems: ApiProblem[] = [];
  for (const [index, integration] of integrations.entries()) {
    const found = await runBlockers(startDeps(deps), integration, { props, stored: {} }, {});
    problems.push(
      ...found.map((problem) => ({
        ...problem,
        path: `trigger[${index}]`,
        message: `integration ${JSON.stringify(integration.name)}: ${describeProblem(problem)}`,
      })),
    );
  }
  return problems;
}

/** Registers the hire routes on `app`. */
export function hireRoutes(app: ApiApp, deps: ResolvedDeps): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/api/hires",
      tags,
      security: SECURITY,
      summary: "Create a hire; `trigger` queues runs of those integrations for it",
      description:
        "Props: email (required), first_name, last_name, position, department, start (YYYY-MM-DD), manager, manager_email, buddy, buddy_email, and extra props of any JSON type. Triggered integrations are checked first; if any cannot run, nothing is created.",
      request: { body: jsonBody(HireCreateSchema) },
      responses: {
        201: jsonResponse(
          z.object({ hire: HireDetailSchema, runs: z.array(RunSchema) }),
          "created; runs are queued",
        ),
        ...errorResponses(400, 404, 409, 415, 422),
      },
    }),
    async (c) => {
      const { trigger, ...rest } = c.req.valid("json");
      const props = toProps(rest);
      const ids = [...new Set(trigger ?? [])];
      const integrations: IntegrationRecord[] = [];
      for (const [index, id] of ids.entries())
        integrations.push(await mustGetIntegration(deps.store, id, `trigger[${index}]`));
      const problems = await triggerBlockers(deps, integrations, props);
      if (problems.length > 0) throw blockedError(problems, "a triggered integration");
      const hire = await deps.store.createHire({ props });
      const masker = new RunMasker(deps.store);
      const runs = [];
      for (const integration of integrations) {
        const { run } = await queueRun(startDeps(deps), {
          integrationId: integration.id,
          hireId: hire.id,
          params: {},
        });
        runs.push((await masker.redactorFor(run)).redact(runJson(run)));
      }
      return c.json({ hire: await detail(deps, hire), runs }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/hires",
      tags,
      security: SECURITY,
      summary: "List hires, newest first (stored fields are on GET /api/hires/{id})",
      request: { query: ListQuerySchema },
      responses: {
        200: jsonResponse(pageOf(HireSchema), "a page of hires"),
        ...errorResponses(422),
      },
    }),
    async (c) => {
      const query = c.req.valid("query");
      const page = await deps.store.listHires({
        ...(query.email !== undefined ? { email: query.email } : {}),
        ...(query.limit !== undefined ? { limit: query.limit } : {}),
        ...(query.cursor !== undefined ? { cursor: query.cursor } : {}),
      });
      return c.json({ items: page.items.map(hireJson), next_cursor: page.nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/hires/{id}",
      tags,
      security: SECURITY,
      summary: "Get a hire with its stored fields",
      request: { params: IdParamSchema },
      responses: { 200: jsonResponse(HireDetailSchema, "the hire"), ...errorResponses(404) },
    }),
    async (c) => {
      const hire = await mustGetHire(deps.store, c.req.valid("param").id);
      return c.json(await detail(deps, hire), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/api/hires/{id}",
      tags,
      security: SECURITY,
      summary: "Replace a hire's props (stored fields are kept)",
      request: { params: IdParamSchema, body: jsonBody(HirePropsSchema) },
      responses: {
        200: jsonResponse(HireDetailSchema, "updated"),
        ...errorResponses(400, 404, 415, 422),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      await mustGetHire(deps.store, id);
      const hire = await deps.store.updateHire(id, toProps(c.req.valid("json")));
      return c.json(await detail(deps, hire), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/api/hires/{id}",
      tags,
      security: SECURITY,
      summary: "Erase a hire: its props, stored fields and its runs' personal details",
      description:
        "Its runs keep their skeleton (status, times, step, methods, hosts, status codes, error codes) and are no longer linked to it; their files are removed. 409 while one of its runs is unfinished: cancel it first.",
      request: { params: IdParamSchema },
      responses: { 204: { description: "deleted" }, ...errorResponses(404, 409) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      await mustGetHire(deps.store, id);
      const erased = await deps.store.deleteHire(id);
      // Their rows are already due for the janitor; removing them now keeps the erasure prompt.
      for (const file of erased.files) {
        await deps.files.delete({
          name: file.name,
          ref: file.ref,
          size: file.size,
          contentType: file.contentType,
        });
        await deps.store.deleteFile(file.id);
      }
      return c.body(null, 204);
    },
  );
}
