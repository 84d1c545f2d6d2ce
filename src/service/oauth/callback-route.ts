// GET /oauth/{id}/callback: where the provider sends the admin's browser back after authorizing.
// It carries no API token (the provider redirects the browser), so the `state` handed out by
// /api/integrations/{id}/oauth/authorize is what admits it. Then `oauth.access_token` runs with
// `{{ code }}` (none for `without_code` manifests) and the tokens are stored.
import { createRoute, z } from "@hono/zod-openapi";
import { isHirewireError } from "../../errors/index.ts";
import type { ApiApp, ResolvedDeps } from "../api/api-deps.ts";
import { callbackPage, type CallbackOutcome } from "./callback-page.ts";
import { connectOAuth } from "./connect.ts";
import { consumeState, type StateCheck } from "./oauth-state.ts";
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
  missing:
    "this callback was not expected: no authorization was started for this integration, or it was already used; start again from hirewire",
  mismatch:
    "this callback's state does not match the authorization hirewire started; start again from hirewire",
  expired: "the authorization took longer than 10 minutes and expired; start again from hirewire",
};

function refused(message: string): CallbackOutcome {
  return { status: 400, connected: false, message, code: "INPUT_INVALID" };
}

async function handle(
  deps: ResolvedDeps,
  id: string,
  query: z.infer<typeof CallbackQuerySchema>,
): Promise<CallbackOutcome> {
  let target;
  try {
    target = await oauthTarget(deps, id);
  } catch (error) {
    if (!isHirewireError(error)) throw error;
    return {
      status: error.code === "NOT_FOUND" ? 404 : error.code === "CONFLICT" ? 409 : 422,
      connected: false,
      message: error.message,
      code: error.code,
    };
  }
  if (query.state === undefined || query.state === "")
    return refused("the callback has no state parameter; start again from hirewire");
  const check = await consumeState(deps.store, id, query.state, deps.now());
  if (check !== "ok") return refused(STATE_PROBLEMS[check]);
  if (query.error !== undefined) {
    const why = query.error_description ?? query.error;
    return refused(`the provider did not authorize hirewire: ${why}`);
  }
  const code = query.code !== undefined && query.code !== "" ? query.code : undefined;
  // without_code: the provider only records the admin's consent (e.g. an admin-consent page) and
  // the token request needs no code.
  if (code === undefined && target.oauth.without_code !== true)
    return refused("the provider sent no authorization code; start again from hirewire");
  const result = await connectOAuth({
    store: deps.store,
    integration: target.integration,
    redirectUrl: callbackUrl(deps, id),
    ...(code !== undefined ? { code } : {}),
  });
  if (!result.ok) {
    return {
      status: 502,
      connected: false,
      message: `the token request failed: ${result.error.message}`,
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
          description: "refused (state, provider error)",
          content: { "text/html": { schema: PageSchema } },
        },
        404: {
          description: "no such integration",
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
