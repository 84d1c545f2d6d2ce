// Does a hire have accounts? `POST /api/hires/{id}/exists` runs one integration's `exists` block
// and `GET /api/hires/{id}/access` checks every integration that has one. Both run in this
// process and answer at once: a check is a read, so it is not a durable run and leaves no record.
import { createRoute, z } from "@hono/zod-openapi";
import {
  accessHire,
  hireAccess,
  integrationAccess,
  type AccessDeps,
  type AccessHire,
} from "../../runner/access-overview.ts";
import { problemOf } from "../../runner/lifecycle.ts";
import type { ApiApp, ResolvedDeps } from "./api-deps.ts";
import { mustGetIntegration, notFound } from "../../runner/lookup.ts";
import { blockedError } from "../../runner/run-start.ts";
import { errorResponses, IdParamSchema, jsonBody, jsonResponse, SECURITY } from "./schemas.ts";

const ExistsInputSchema = z
  .object({ integration_id: z.string().min(1) })
  .strict()
  .openapi("ExistsCheckInput");

const AccessSchema = z
  .object({
    integration_id: z.string(),
    name: z.string().openapi({ description: "the integration's name" }),
    exists: z.boolean().nullable().openapi({
      description: "true: has an account; false: has none; null: unknown (the check failed)",
    }),
    reason: z.string().openapi({
      example: "GET https://api.example.com/users/ada@example.com answered 200",
    }),
  })
  .openapi("Access");

const OverviewSchema = z
  .object({
    items: z.array(AccessSchema),
    access_overview: z.string().openapi({
      description: "the text runs see as {{ access_overview }}",
      example: "Asana (has access), Google (no access), Teams (unknown)",
    }),
  })
  .openapi("AccessOverview");

const tags = ["hires"];

function accessDeps(deps: ResolvedDeps): AccessDeps {
  return {
    store: deps.store,
    files: deps.files,
    ...(deps.egress !== undefined ? { egress: deps.egress } : {}),
    ...(deps.oauthCallbackUrl !== undefined ? { redirectUrlFor: deps.oauthCallbackUrl } : {}),
  };
}

async function mustGetAccessHire(deps: ResolvedDeps, id: string): Promise<AccessHire> {
  const hire = await accessHire(deps.store, id);
  if (hire === undefined) throw notFound("hire", id);
  return hire;
}

/** Registers the access routes on `app`. */
export function accessRoutes(app: ApiApp, deps: ResolvedDeps): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/api/hires/{id}/exists",
      tags,
      security: SECURITY,
      summary: "Check whether the hire has an account in one integration (its exists block)",
      description:
        "Runs the integration's exists block now and answers true, false or null (unknown, when the request failed after retries) with the reason. Not a durable run: nothing is stored. 422 when the check cannot be made (no exists block, unknown variables); nothing is sent then.",
      request: { params: IdParamSchema, body: jsonBody(ExistsInputSchema) },
      responses: {
        200: jsonResponse(AccessSchema, "the answer"),
        ...errorResponses(400, 404, 409, 415, 422),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const input = c.req.valid("json");
      const hire = await mustGetAccessHire(deps, id);
      const integration = await mustGetIntegration(
        deps.store,
        input.integration_id,
        "integration_id",
      );
      const check = await integrationAccess(accessDeps(deps), integration, hire);
      if (check.status === "invalid")
        throw blockedError(check.problems.map(problemOf), "the exists check");
      return c.json(
        {
          integration_id: integration.id,
          name: integration.name,
          exists: check.exists,
          reason: check.reason,
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/hires/{id}/access",
      tags,
      security: SECURITY,
      summary: "The hire's access across every integration that has an exists block",
      description:
        "Runs every exists block now (a few at a time), sorted by integration name. An integration whose check cannot be made is unknown, with the reason.",
      request: { params: IdParamSchema },
      responses: {
        200: jsonResponse(OverviewSchema, "one answer per integration"),
        ...errorResponses(404),
      },
    }),
    async (c) => {
      const hire = await mustGetAccessHire(deps, c.req.valid("param").id);
      const overview = await hireAccess(accessDeps(deps), hire);
      return c.json(
        {
          items: overview.items.map((item) => ({
            integration_id: item.integrationId,
            name: item.name,
            exists: item.exists,
            reason: item.reason,
          })),
          access_overview: overview.text,
        },
        200,
      );
    },
  );
}
