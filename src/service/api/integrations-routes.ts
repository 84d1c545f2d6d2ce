// /api/integrations: create, list, get, replace and delete integrations. Every manifest is
// validated before it is saved; an invalid one is refused with every problem and its path.
import { createRoute, z } from "@hono/zod-openapi";
import { errorMessage, isHirewireError } from "../../errors/index.ts";
import { validateManifest, type ValidationProblem } from "../../manifest/index.ts";
import type { IntegrationOptions, IntegrationRecord } from "../../store/records.ts";
import type { ApiApp, ResolvedDeps } from "./api-deps.ts";
import { problemError } from "./api-errors.ts";
import { assertJsonSize, LIMITS } from "./input-limits.ts";
import { mustGetIntegration } from "../../runner/lookup.ts";
import {
  errorResponses,
  IdParamSchema,
  JsonSchema,
  jsonBody,
  jsonResponse,
  ProblemSchema,
  SECURITY,
  TimestampSchema,
} from "./schemas.ts";
import { integrationJson, rateLimitStatusJson } from "./serialize.ts";
import { secretsStatus } from "../../runner/secrets-status.ts";
import { secretStatusJson, SecretStatusSchema } from "./secret-status-json.ts";
import { oauthStatus, OAuthStatusSchema, usesOAuth } from "./oauth-status.ts";
import {
  rememberIntegrationManifest,
  type PreparedManifest,
} from "../../runner/prepared-manifest.ts";
import { OAUTH_SECRET_KEY } from "../../secrets/oauth-secret.ts";

const HOST = /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$/i;

/** The most any rate-limit number may be: far beyond what a SaaS API allows one client. */
const RATE_MAX = 10_000;

const RateLimitSchema = z
  .object({
    requests_per_second: z
      .number({ error: "must be a number of requests per second, such as 5 or 0.5" })
      .positive({ error: "must be more than 0 (0.5 is one request every 2 seconds)" })
      .max(RATE_MAX, { error: `must be at most ${RATE_MAX}` })
      .optional()
      .openapi({
        description:
          "requests per second to the integration's hosts, from every process together; may be a fraction (0.5: one every 2 s)",
      }),
    burst: z
      .number({ error: "must be a whole number of requests" })
      .int({ error: "must be a whole number of requests" })
      .min(1, { error: "must be at least 1" })
      .max(RATE_MAX, { error: `must be at most ${RATE_MAX}` })
      .optional()
      .openapi({
        description:
          "requests that may go at once after a quiet spell (default 1: evenly spaced); needs requests_per_second",
      }),
    max_in_flight: z
      .number({ error: "must be a whole number of requests" })
      .int({ error: "must be a whole number of requests" })
      .min(1, { error: "must be at least 1" })
      .max(RATE_MAX, { error: `must be at most ${RATE_MAX}` })
      .optional()
      .openapi({ description: "requests to the integration's hosts at once, at most" }),
  })
  .strict()
  .superRefine((limit, ctx) => {
    if (limit.requests_per_second === undefined && limit.max_in_flight === undefined)
      ctx.addIssue({
        code: "custom",
        message: "set requests_per_second, max_in_flight or both (or leave rate_limit out)",
      });
    else if (limit.burst !== undefined && limit.requests_per_second === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["burst"],
        message: "burst needs requests_per_second: it is the bucket of that rate",
      });
  })
  .openapi("RateLimit", {
    description:
      "shared by every process on the database; a 429 halves the rate and pauses for its Retry-After (docs/operations.md)",
  });

const OptionsSchema = z
  .object({
    idempotency_keys: z.boolean().optional().openapi({
      description: "send an Idempotency-Key header on POST/PATCH requests (default false)",
    }),
    allowed_hosts: z
      .array(
        z.string().regex(HOST, {
          error: "must be a host name such as api.example.com (no scheme, no path)",
        }),
      )
      .optional()
      .openapi({
        description: "hosts requests may go to (`*.example.com` allowed); absent means any",
      }),
    rate_limit: RateLimitSchema.optional(),
  })
  .strict()
  .openapi("IntegrationOptions");

const IntegrationInputSchema = z
  .object({
    name: z.string().trim().min(1, { error: "must not be empty" }).max(200),
    manifest: JsonSchema.openapi({ description: "the manifest JSON (see docs/manifest.md)" }),
    options: OptionsSchema.optional(),
  })
  .strict()
  .openapi("IntegrationInput");

const IntegrationSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    manifest: JsonSchema,
    options: z.object({
      idempotency_keys: z.boolean(),
      allowed_hosts: z.array(z.string()).optional(),
      rate_limit: z
        .object({
          requests_per_second: z.number().optional(),
          burst: z.number().optional(),
          max_in_flight: z.number().optional(),
        })
        .optional(),
    }),
    rate_limit_status: z
      .object({
        requests_per_second: z.number().nullable().openapi({
          description:
            "the rate now: the configured one, or less after a 429 (it recovers with each later answer)",
        }),
        paused_until: TimestampSchema.nullable().openapi({
          description: "no request goes before this time (a 429's Retry-After)",
        }),
        in_flight: z.number().openapi({ description: "requests holding a slot now" }),
        throttled: z.number().openapi({ description: "429 answers counted so far" }),
      })
      .optional()
      .openapi({
        description: "present when the integration has a rate limit that has been used",
      }),
    secrets: z.array(SecretStatusSchema),
    oauth: OAuthStatusSchema.optional().openapi({
      description: "present when the manifest has an oauth block",
    }),
    warnings: z.array(ProblemSchema).optional(),
    created_at: TimestampSchema,
    updated_at: TimestampSchema,
  })
  .openapi("Integration");

type OptionsInput = z.infer<typeof OptionsSchema>;

function toOptions(
  input: OptionsInput | undefined,
  current?: IntegrationOptions,
): IntegrationOptions | undefined {
  if (input === undefined) return current;
  const options: IntegrationOptions = { idempotencyKeys: input.idempotency_keys ?? false };
  if (input.allowed_hosts !== undefined)
    options.allowedHosts = input.allowed_hosts.map((host) => host.toLowerCase());
  const limit = input.rate_limit;
  if (limit !== undefined)
    options.rateLimit = {
      ...(limit.requests_per_second !== undefined
        ? { requestsPerSecond: limit.requests_per_second }
        : {}),
      ...(limit.burst !== undefined ? { burst: limit.burst } : {}),
      ...(limit.max_in_flight !== undefined ? { maxInFlight: limit.max_in_flight } : {}),
    };
  return options;
}

/** Validates a manifest; throws 422 VALIDATION listing every problem, returns the validation. */
export function assertValidManifest(manifest: unknown): PreparedManifest {
  assertJsonSize(manifest, LIMITS.manifestBytes, "a manifest", "manifest");
  const result = validateManifest(manifest);
  if (result.ok) return result;
  const errors = result.problems.filter((problem) => problem.severity === "error");

  const first = errors[0];
  throw problemError(
    "VALIDATION",
    errorMessage("VALIDATION", "manifestProblems", { count: errors.length, first }),
    result.problems.map((problem) => ({ ...problem, path: prefixed(problem.path) })),
    first !== undefined ? prefixed(first.path) : "manifest",
  );
}

/** Manifest paths are relative to the manifest; in the request body it sits under `manifest`. */
function prefixed(path: string): string {
  if (path === "") return "manifest";
  return path.startsWith("[") ? `manifest${path}` : `manifest.${path}`;
}

/** The integration's secrets, or none when they cannot be decrypted (the listing still answers). */
async function readableSecrets(deps: ResolvedDeps, id: string): Promise<Record<string, string>> {
  try {
    return await deps.store.getSecrets(id);
  } catch (error) {
    if (isHirewireError(error, "SECRETS_UNREADABLE")) return {};
    throw error;
  }
}

async function withSecrets(
  deps: ResolvedDeps,
  record: IntegrationRecord,
  warnings?: ValidationProblem[],
) {
  const keys = await deps.store.listSecretKeys(record.id);
  const oauth = usesOAuth(record.manifest)
    ? oauthStatus(
        keys.some((key) => key.key === OAUTH_SECRET_KEY)
          ? (await readableSecrets(deps, record.id))[OAUTH_SECRET_KEY]
          : undefined,
      )
    : undefined;
  const rate =
    record.options.rateLimit !== undefined
      ? await deps.store.getRateLimitState(record.id, Date.now())
      : undefined;
  return {
    ...integrationJson(record),
    ...(rate !== undefined ? { rate_limit_status: rateLimitStatusJson(rate) } : {}),
    secrets: secretsStatus(record.manifest, keys).map(secretStatusJson),
    ...(oauth !== undefined ? { oauth } : {}),
    ...(warnings !== undefined
      ? { warnings: warnings.map((w) => ({ ...w, path: prefixed(w.path) })) }
      : {}),
  };
}

function mustGet(deps: ResolvedDeps, id: string): Promise<IntegrationRecord> {
  return mustGetIntegration(deps.store, id);
}

const tags = ["integrations"];

/** Registers the integration routes on `app`. */
export function integrationRoutes(app: ApiApp, deps: ResolvedDeps): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/api/integrations",
      tags,
      security: SECURITY,
      summary: "Create an integration (the manifest is validated first)",
      request: { body: jsonBody(IntegrationInputSchema) },
      responses: {
        201: jsonResponse(
          IntegrationSchema,
          "created; `warnings` lists legacy keys and other non-fatal findings",
        ),
        ...errorResponses(400, 409, 415, 422),
      },
    }),
    async (c) => {
      const input = c.req.valid("json");
      const validation = assertValidManifest(input.manifest);
      const options = toOptions(input.options);
      const record = await deps.store.createIntegration({
        name: input.name,
        manifest: input.manifest,
        ...(options !== undefined ? { options } : {}),
      });
      rememberIntegrationManifest(record, validation);
      return c.json(await withSecrets(deps, record, validation.warnings), 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/integrations",
      tags,
      security: SECURITY,
      summary: "List integrations",
      responses: {
        200: jsonResponse(
          z.object({ items: z.array(IntegrationSchema), next_cursor: z.null() }),
          "every integration",
        ),
        ...errorResponses(),
      },
    }),
    async (c) => {
      const records = await deps.store.listIntegrations();
      const items = await Promise.all(records.map((record) => withSecrets(deps, record)));
      return c.json({ items, next_cursor: null }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/integrations/{id}",
      tags,
      security: SECURITY,
      summary: "Get an integration with the status of its secrets (never their values)",
      request: { params: IdParamSchema },
      responses: {
        200: jsonResponse(IntegrationSchema, "the integration"),
        ...errorResponses(404),
      },
    }),
    async (c) => {
      const record = await mustGet(deps, c.req.valid("param").id);
      return c.json(await withSecrets(deps, record), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/api/integrations/{id}",
      tags,
      security: SECURITY,
      summary: "Replace an integration's name and manifest (validated); options when given",
      request: { params: IdParamSchema, body: jsonBody(IntegrationInputSchema) },
      responses: {
        200: jsonResponse(IntegrationSchema, "updated"),
        ...errorResponses(400, 404, 409, 415, 422),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const input = c.req.valid("json");
      const current = await mustGet(deps, id);
      const validation = assertValidManifest(input.manifest);
      const options = toOptions(input.options, current.options);
      const record = await deps.store.updateIntegration(id, {
        name: input.name,
        manifest: input.manifest,
        ...(options !== undefined ? { options } : {}),
      });
      rememberIntegrationManifest(record, validation);
      return c.json(await withSecrets(deps, record, validation.warnings), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/api/integrations/{id}",
      tags,
      security: SECURITY,
      summary: "Delete an integration and its secrets (409 while one of its runs is unfinished)",
      description:
        "Runs that refer to the integration keep their record; the integration is hidden from then on and its name can be used again.",
      request: { params: IdParamSchema },
      responses: { 204: { description: "deleted" }, ...errorResponses(404, 409) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      await mustGet(deps, id);
      await deps.store.deleteIntegration(id);
      return c.body(null, 204);
    },
  );
}
