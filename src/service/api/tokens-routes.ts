// /api/tokens: API tokens, listed (name, id, where from, created, last used — never the token or
// its hash), created (the token is in that one answer only) and revoked.
import { createRoute, z } from "@hono/zod-openapi";
import type { ApiTokenRecord } from "../../store/records.ts";
import { issueApiToken, MAX_TOKEN_NAME_CHARS, revokeApiToken } from "../api-tokens.ts";
import type { ApiApp, ResolvedDeps } from "./api-deps.ts";
import {
  errorResponses,
  IdParamSchema,
  jsonBody,
  jsonResponse,
  SECURITY,
  TimestampSchema,
} from "./schemas.ts";
import { iso } from "./serialize.ts";

const ApiTokenSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    source: z.enum(["env", "generated", "created"]).openapi({
      description:
        "env: HIREWIRE_ADMIN_TOKEN (valid while the variable holds it); generated: made at start-up when no token existed; created: POST /api/tokens or `hirewire token create`",
    }),
    created_at: TimestampSchema,
    last_used_at: TimestampSchema.nullable().openapi({
      description: "when a request last used it (to the minute); null if never",
    }),
    current: z.boolean().openapi({ description: "this request was made with it" }),
  })
  .openapi("ApiToken");

const CreatedTokenSchema = ApiTokenSchema.extend({
  token: z.string().openapi({
    description: "the token itself: shown in this answer only, kept by hirewire as a hash",
  }),
}).openapi("ApiTokenCreated");

const CreateTokenSchema = z
  .object({ name: z.string().trim().min(1).max(MAX_TOKEN_NAME_CHARS) })
  .openapi("ApiTokenInput", { example: { name: "ci deploys" } });

const tags = ["tokens"];

function tokenJson(record: ApiTokenRecord, currentId: string) {
  return {
    id: record.id,
    name: record.name,
    source: record.source,
    created_at: iso(record.createdAt),
    last_used_at: record.lastUsedAt === null ? null : iso(record.lastUsedAt),
    current: record.id === currentId,
  };
}

/** Registers the token routes on `app`. */
export function tokenRoutes(app: ApiApp, deps: ResolvedDeps): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/tokens",
      tags,
      security: SECURITY,
      summary: "List API tokens (never the tokens themselves)",
      responses: {
        200: jsonResponse(z.object({ items: z.array(ApiTokenSchema) }), "oldest first"),
        ...errorResponses(),
      },
    }),
    async (c) => {
      const current = c.get("apiToken").id;
      const items = (await deps.store.listApiTokens()).map((t) => tokenJson(t, current));
      return c.json({ items }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/tokens",
      tags,
      security: SECURITY,
      summary: "Create an API token; the answer holds the token, once",
      request: { body: jsonBody(CreateTokenSchema) },
      responses: {
        201: jsonResponse(CreatedTokenSchema, "the new token"),
        ...errorResponses(400, 415, 422),
      },
    }),
    async (c) => {
      const { record, token } = await issueApiToken(deps.store, c.req.valid("json").name);
      c.header("cache-control", "no-store");
      return c.json({ ...tokenJson(record, c.get("apiToken").id), token }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/api/tokens/{id}",
      tags,
      security: SECURITY,
      summary: "Revoke an API token (at once, also the one making the request)",
      description:
        "Revoking the HIREWIRE_ADMIN_TOKEN token also keeps that value from being accepted again at the next start; set a new value.",
      request: { params: IdParamSchema },
      responses: { 204: { description: "revoked" }, ...errorResponses(404) },
    }),
    async (c) => {
      await revokeApiToken(deps.store, c.req.valid("param").id);
      return c.body(null, 204);
    },
  );
}
