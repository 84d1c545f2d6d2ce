// /api/integrations/{id}/oauth: connecting an integration over OAuth. `authorize` sends the admin
// (or gives the UI the URL) to the provider; the provider sends the browser back to the callback
// (callback-route.ts). `connect` runs the token request at once for `without_code` manifests
// (client credentials); DELETE forgets the tokens.
import { createRoute, z } from "@hono/zod-openapi";
import { HirewireError, hirewireError } from "../../errors/index.ts";
import { OAUTH_SECRET_KEY, splitOAuthSecret } from "../../secrets/oauth-secret.ts";
import type { ApiApp, ResolvedDeps } from "./api-deps.ts";
import {
  ErrorSchema,
  errorResponses,
  IdParamSchema,
  jsonResponse,
  SECURITY,
  TimestampSchema,
} from "./schemas.ts";
import { authorizeUrl } from "../oauth/authorize-url.ts";
import { connectOAuth } from "../oauth/connect.ts";
import { issueState, STATE_TTL_MS } from "../oauth/oauth-state.ts";
import { oauthStatus, OAuthStatusSchema } from "./oauth-status.ts";
import { callbackUrl, oauthTarget } from "./oauth-target.ts";

const AuthorizeSchema = z
  .object({
    url: z.string().openapi({ description: "send the admin's browser here" }),
    expires_at: TimestampSchema.openapi({
      description: "the authorization must be finished by then (its state expires)",
    }),
  })
  .openapi("OAuthAuthorize");

const ConnectedSchema = OAuthStatusSchema.extend({
  tokens: z.array(z.string()).openapi({ description: "names of the tokens stored (not values)" }),
}).openapi("OAuthConnected");

const tags = ["oauth"];

/** The authorize URL with a fresh state (replacing any pending one). */
async function startAuthorization(deps: ResolvedDeps, id: string) {
  const target = await oauthTarget(deps, id);
  const redirectUrl = callbackUrl(deps, id);
  const { secrets } = splitOAuthSecret(await deps.store.getSecrets(id));
  const now = deps.now();
  // Rendered before the state is issued, so a manifest problem leaves the pending state alone.
  authorizeUrl({ manifest: target.manifest, secrets, redirectUrl, state: "" });
  const state = await issueState(deps.store, id, now);
  return {
    url: authorizeUrl({ manifest: target.manifest, secrets, redirectUrl, state }),
    expires_at: new Date(now + STATE_TTL_MS).toISOString(),
  };
}

/** Registers the OAuth routes under /api on `app` (the callback is in callback-route.ts). */
export function oauthRoutes(app: ApiApp, deps: ResolvedDeps): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/integrations/{id}/oauth",
      tags,
      security: SECURITY,
      summary: "Whether the integration is connected over OAuth (never the tokens)",
      request: { params: IdParamSchema },
      responses: {
        200: jsonResponse(OAuthStatusSchema, "the status"),
        ...errorResponses(404, 409, 422),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      await oauthTarget(deps, id);
      const secrets = await deps.store.getSecrets(id);
      return c.json(oauthStatus(secrets[OAUTH_SECRET_KEY]), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/integrations/{id}/oauth/authorize",
      tags,
      security: SECURITY,
      summary: "Redirect to the provider's authorization page (oauth.authenticate_url)",
      description:
        "Answers 302 to the rendered `authenticate_url` with a `state` that the callback checks (valid 10 minutes, once). Browsers cannot send the bearer token on a navigation: UIs use the POST form and navigate to its `url`.",
      request: { params: IdParamSchema },
      responses: {
        302: {
          description: "to the provider",
          headers: z.object({ location: z.string() }),
        },
        ...errorResponses(404, 409, 422),
      },
    }),
    async (c) => {
      const { url } = await startAuthorization(deps, c.req.valid("param").id);
      return c.redirect(url, 302);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/integrations/{id}/oauth/authorize",
      tags,
      security: SECURITY,
      summary: "The provider's authorization URL (oauth.authenticate_url) for a UI to open",
      request: { params: IdParamSchema },
      responses: {
        200: jsonResponse(AuthorizeSchema, "open `url` in the admin's browser"),
        ...errorResponses(404, 409, 422),
      },
    }),
    async (c) => c.json(await startAuthorization(deps, c.req.valid("param").id), 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/integrations/{id}/oauth/connect",
      tags,
      security: SECURITY,
      summary: "Run oauth.access_token now, without a code (manifests with without_code: true)",
      request: { params: IdParamSchema },
      responses: {
        200: jsonResponse(ConnectedSchema, "connected; the tokens are stored encrypted"),
        ...errorResponses(404, 409, 422),
        502: jsonResponse(ErrorSchema, "the token request failed (the error says why, masked)"),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const target = await oauthTarget(deps, id);
      if (target.oauth.without_code !== true) {
        throw hirewireError("CONFLICT", "needsAuthorization", { integrationId: id });
      }
      const redirectUrl = deps.oauthCallbackUrl?.(id);
      const result = await connectOAuth({
        store: deps.store,
        integration: target.integration,
        ...(redirectUrl !== undefined ? { redirectUrl } : {}),
        ...(deps.egress !== undefined ? { egress: deps.egress } : {}),
      });
      if (!result.ok) throw new HirewireError(result.error);
      return c.json(
        {
          connected: true,
          tokens: result.tokens,
          ...(result.expiresAt !== undefined
            ? { expires_at: new Date(result.expiresAt).toISOString() }
            : {}),
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/api/integrations/{id}/oauth",
      tags,
      security: SECURITY,
      summary:
        "Disconnect: forget the stored tokens (runs needing them are refused until reconnected)",
      request: { params: IdParamSchema },
      responses: { 204: { description: "disconnected" }, ...errorResponses(404) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      await oauthTarget(deps, id).catch((error: unknown) => {
        // Disconnecting must work even after the oauth block was removed from the manifest.
        if (error instanceof HirewireError && error.code === "NOT_FOUND") throw error;
      });
      await deps.store.deleteSecret(id, OAUTH_SECRET_KEY);
      return c.body(null, 204);
    },
  );
}
