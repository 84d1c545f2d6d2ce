// /api/integrations/{id}/secrets: write-only secrets. Values go in (encrypted by the store) and
// never come out: every answer is the status list — which are set, which are missing.
import { createRoute, z } from "@hono/zod-openapi";
import { errorMessage, hirewireError } from "../../errors/index.ts";
import { OAUTH_SECRET_KEY } from "../../secrets/oauth-secret.ts";
import type { ApiApp, ResolvedDeps } from "./api-deps.ts";
import { problemError } from "./api-errors.ts";
import { assertCount, LIMITS } from "./input-limits.ts";
import { mustGetIntegration } from "../../runner/lookup.ts";
import { errorResponses, IdParamSchema, jsonBody, jsonResponse, SECURITY } from "./schemas.ts";
import { generatedIds, secretsStatus } from "../../runner/secrets-status.ts";
import { secretStatusJson, SecretStatusSchema } from "./secret-status-json.ts";

/** Same rule as `initial_data_form` ids: letters, digits and `_`, so each is a template variable. */
const SECRET_KEY = /^[A-Za-z0-9_]+$/;

const SecretsInputSchema = z
  .record(
    z.string().regex(SECRET_KEY, { error: "secret names hold letters, digits and _ only" }),
    z
      .string({ error: "must be a string" })
      .min(1, { error: "must not be empty; delete the secret instead" })
      .max(LIMITS.secretChars, {
        error: `must be at most ${LIMITS.secretChars} characters (the limit for one secret)`,
      }),
  )
  .openapi("SecretsInput", {
    example: { API_TOKEN: "s3cr3t-token", ORG_ID: "org_42" },
    description: "secret id → value; keys not in the body are left as they are",
  });

const SecretsStatusResponse = z
  .object({ secrets: z.array(SecretStatusSchema) })
  .openapi("SecretsStatus");

const KeyParamSchema = IdParamSchema.extend({
  key: z
    .string()
    .min(1)
    .openapi({ param: { name: "key", in: "path" } }),
});

const tags = ["integrations"];

async function statusOf(deps: ResolvedDeps, integrationId: string, manifest: unknown) {
  const keys = await deps.store.listSecretKeys(integrationId);
  return { secrets: secretsStatus(manifest, keys).map(secretStatusJson) };
}

/** Registers the secret routes on `app`. */
export function secretRoutes(app: ApiApp, deps: ResolvedDeps): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/integrations/{id}/secrets",
      tags,
      security: SECURITY,
      summary: "Which secrets are set or missing (never their values)",
      request: { params: IdParamSchema },
      responses: {
        200: jsonResponse(SecretsStatusResponse, "the status list"),
        ...errorResponses(404),
      },
    }),
    async (c) => {
      const record = await mustGetIntegration(deps.store, c.req.valid("param").id);
      return c.json(await statusOf(deps, record.id, record.manifest), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/api/integrations/{id}/secrets",
      tags,
      security: SECURITY,
      summary: "Set secrets (write-only; encrypted at rest)",
      request: { params: IdParamSchema, body: jsonBody(SecretsInputSchema) },
      responses: {
        200: jsonResponse(SecretsStatusResponse, "the status list after the change"),
        ...errorResponses(400, 404, 415, 422),
      },
    }),
    async (c) => {
      const record = await mustGetIntegration(deps.store, c.req.valid("param").id);
      const input = c.req.valid("json");
      const generated = generatedIds(record.manifest);
      if (OAUTH_SECRET_KEY in input) {
        throw problemError(
          "INPUT_INVALID",
          errorMessage("INPUT_INVALID", "reservedSecret", {
            key: OAUTH_SECRET_KEY,
            integrationId: record.id,
          }),
          [{ path: OAUTH_SECRET_KEY, message: "reserved for the OAuth tokens" }],
          OAUTH_SECRET_KEY,
        );
      }
      const refused = Object.keys(input).filter((key) => generated.has(key));
      if (refused.length > 0) {
        throw problemError(
          "INPUT_INVALID",
          errorMessage("INPUT_INVALID", "generatedSecrets", { keys: refused }),
          refused.map((key) => ({ path: key, message: "generated per run; cannot be set" })),
          refused[0],
        );
      }
      const kept = new Set(
        (await deps.store.listSecretKeys(record.id))
          .map((secret) => secret.key)
          .filter((key) => key !== OAUTH_SECRET_KEY),
      );
      for (const key of Object.keys(input)) kept.add(key);
      assertCount(kept.size, LIMITS.secretsPerIntegration, "secrets per integration", "secrets");
      for (const [key, value] of Object.entries(input))
        await deps.store.setSecret(record.id, key, value);
      return c.json(await statusOf(deps, record.id, record.manifest), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/api/integrations/{id}/secrets/{key}",
      tags,
      security: SECURITY,
      summary: "Delete one secret",
      request: { params: KeyParamSchema },
      responses: { 204: { description: "deleted" }, ...errorResponses(404) },
    }),
    async (c) => {
      const { id, key } = c.req.valid("param");
      await mustGetIntegration(deps.store, id);
      // The OAuth tokens are not a secret here: DELETE /api/integrations/{id}/oauth disconnects.
      if (key === OAUTH_SECRET_KEY || !(await deps.store.deleteSecret(id, key))) {
        throw hirewireError("NOT_FOUND", "secret", { integrationId: id, key }, {});
      }
      return c.body(null, 204);
    },
  );
}
