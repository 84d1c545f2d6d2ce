// GET /oauth/{id}/callback: where the provider sends the admin's browser back after authorizing.
// It carries no API token (the provider redirects the browser), so the `state` handed out by
// /api/integrations/{id}/oauth/authorize is what admits it. Then `oauth.access_token` runs with
// `{{ code }}` (none for `without_code` manifests) and the tokens are stored.
import { createRoute, z } from "@hono/zod-openapi";
import { isHirewireError } from "../../errors/index.ts";
import type { ApiApp, ResolvedDeps } from "./api-deps.ts";
import { callbackPage, type CallbackOutcome } from "../oauth/callback-page.ts";
import { connectOAuth } from "../oauth/connect.ts";
import { consumeState, type StateCheck } from "../oauth/oauth-state.ts";
import { callbackUrl, oauthTarget } from "./oauth-target.ts";

const CallbackQuerySchema = z.object({
  code: z
    .string()
    .optional()
    .openapi({ param: { name: "code", in: "query" }, description: "the authorization code" }),
  state: z
    .string()
    .optional()
    .openapi({ param: { name: "state", in: "query" }, description: "the state hirewire sent" }),
  error: z
    .string()
    .optional()
    .openapi({ param: { name: "error", in: "query" }, description: "the provider's refusal" }),
  error_description: z
    .string()
    .optional()
    .openapi({ param: { name: "error_description", in: "query" } }),
});

const PageSchema = z.string().openapi({ description: "a short HTML page for the admin" });

const STATE_PROBLEMS: Record<Exclude<StateCheck, "ok">, string> = {
  missing: "no authorization was started for this integration, or it was already used",
  mismatch: "the state does not match the authorization that was started",
  expired: "the authorization took longer than 10 minutes and expired",
};

/**
 * The one answer for every refusal before a valid state: the callback needs no token, so it must
 * not tell a caller whether an integration exists, uses OAuth or has a broken manifest.
 */
const NOT_COMPLETED: CallbackOutcome = {
  status: 400,
  connected: false,
  message:
    "This authorization could not be completed. Start it again from hirewire; an admin finds the reason in the service log.",
  code: "INPUT_INVALID",
};

async function handle(
  deps: ResolvedDeps,
  id: string,
  query: z.infer<typeof CallbackQuerySchema>,
): Promise<CallbackOutcome> {
  const refuse = (reason: string): CallbackOutcome => {
    deps.logWarn?.({ integration: id, reason }, "oauth callback refused");
    return NOT_COMPLETED;
  };
  // The state is checked before anything about the integration is looked at, and an unknown id
  // simply has no pending state: the same work and the same answer whatever the id.
  if (query.state === undefined || query.state === "")
    return refuse("the callback has no state parameter");
  const check = await consumeState(deps.store, id, query.state, deps.now());
  if (check !== "ok") return refuse(STATE_PROBLEMS[check]);
  let target;
  try {
    target = await oauthTarget(deps, id);
  } catch (error) {
    if (!isHirewireError(error)) throw error;
    return refuse(error.message);
  }
  // From here the caller came back from an authorization an admin started (the state matched).
  if (query.error !== undefined) {
    const why = query.error_description ?? query.error;
    return {
      status: 400,
      connected: false,
      message: `the provider did not authorize hirewire: ${why}`,
      code: "INPUT_INVALID",
    };
  }
  const code = query.code !== undefined && query.code !== "" ? query.code : undefined;
  // without_code: the provider only records the admin's consent (e.g. an admin-consent page) and
  // the token request needs no code.
  if (code === undefined && target.oauth.without_code !== true)
    return refuse("the provider sent no authorization code");
  const result = await connectOAuth({
    store: deps.store,
    integration: target.integration,
    redirectUrl: callbackUrl(deps, id),
    ...(code !== undefined ? { code } : {}),
    ...(deps.egress !== undefined ? { egress: deps.egress } : {}),
  });
  if (!result.ok) {
    deps.logWarn?.(
      { integration: id, code: result.error.code, reason: result.error.message },
      "oauth token request failed",
    );
    return {
      status: 502,
      connected: false,
      message:
        "The token request to the provider failed. Start again from hirewire; an admin finds the reason in the service log.",
      code: result.error.code,
    };
  }
  return {
    status: 200,
    connected: true,
    message: `${target.integration.name} is connected; runs use its tokens from now on.`,
  };
}

/** Registers GET /oauth/{id}/callback (outside /api: no bearer token) on `app`. */
export function oauthCallbackRoute(app: ApiApp, deps: ResolvedDeps): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/oauth/{id}/callback",
      tags: ["oauth"],
      security: [],
      summary: "The OAuth callback ({{ redirect_url }}): the provider redirects the admin here",
      description:
        "Checks `state` (issued by the authorize route, valid once for 10 minutes), runs `oauth.access_token` with `{{ code }}` and stores the tokens encrypted. Answers a short HTML page, or JSON when the client accepts only JSON.",
      request: {
        params: z.object({
          id: z
            .string()
            .min(1)
            .openapi({ param: { name: "id", in: "path" } }),
        }),
        query: CallbackQuerySchema,
      },
      responses: {
        200: { description: "connected", content: { "text/html": { schema: PageSchema } } },
        400: {
          description:
            "not completed: one generic page for an unknown integration, a missing, wrong or expired state, or a manifest that cannot connect (the reason is logged); or the provider's refusal",
          content: { "text/html": { schema: PageSchema } },
        },
        502: {
          description: "the token request failed",
          content: { "text/html": { schema: PageSchema } },
        },
      },
    }),
    async (c) => {
      const outcome = await handle(deps, c.req.valid("param").id, c.req.valid("query"));
      return callbackPage(c, outcome);
    },
  );
}
