// The hirewire HTTP API: integrations, hires, runs and run files under /api/ (token auth), plus the
// OpenAPI document at /openapi.json — routes, request validation and the document all come from
// the same zod definitions. serve.ts mounts it next to /healthz and the sandbox.
import { OpenAPIHono } from "@hono/zod-openapi";
import { hirewireError, problem } from "../../errors/index.ts";
import { accessRoutes } from "./access-routes.ts";
import type { ApiDeps, ApiEnv, ResolvedDeps } from "./api-deps.ts";
import { apiErrorHandler, validationHook } from "./api-errors.ts";
import { bearerAuth } from "./auth.ts";
import { requestBodyLimit } from "./body-limit.ts";
import { formRoutes } from "./form-routes.ts";
import { hireRoutes } from "./hires-routes.ts";
import { LIMITS } from "./input-limits.ts";
import { oauthCallbackRoute } from "./oauth-callback-route.ts";
import { oauthRoutes } from "./oauth-routes.ts";
import { integrationRoutes } from "./integrations-routes.ts";
import { runFileRoutes } from "./run-files-routes.ts";
import { runRoutes } from "./runs-routes.ts";
import { secretRoutes } from "./secrets-routes.ts";
import { storedFieldRoutes } from "./stored-fields-routes.ts";
import { syncRoutes } from "./sync-routes.ts";
import { tokenRoutes } from "./tokens-routes.ts";
import { validateRoutes } from "./validate-routes.ts";

/** Largest request body accepted; a manifest is a few KiB, so this leaves ample room. */
export const MAX_BODY_BYTES = LIMITS.bodyBytes;

/** Version of the API document (not of hirewire): bump when a response shape changes. */
export const API_VERSION = "1.0.0";

/** Builds the API app. Mount with `app.route("/", createApi(deps))`. */
export function createApi(deps: ApiDeps): OpenAPIHono<ApiEnv> {
  const resolved: ResolvedDeps = {
    ...deps,
    now: deps.now ?? Date.now,
    logWarn: deps.logWarn ?? ((details, message) => console.warn("hirewire:", message, details)),
  };
  const app = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });
  app.onError(apiErrorHandler(deps.logError ?? ((error) => console.error("hirewire api:", error))));

  app.use("/api/*", bearerAuth(deps.store, resolved.now));
  app.use(
    "/api/*",
    requestBodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) =>
        c.json(problem("INPUT_TOO_LARGE", "requestBody", { maxBytes: MAX_BODY_BYTES }), 413),
    }),
  );
  integrationRoutes(app, resolved);
  validateRoutes(app);
  secretRoutes(app, resolved);
  hireRoutes(app, resolved);
  storedFieldRoutes(app, resolved);
  accessRoutes(app, resolved);
  formRoutes(app, resolved);
  runRoutes(app, resolved);
  runFileRoutes(app, resolved);
  syncRoutes(app, resolved);
  tokenRoutes(app, resolved);
  oauthRoutes(app, resolved);
  oauthCallbackRoute(app, resolved);
  app.all("/api/*", (c) => {
    throw hirewireError("NOT_FOUND", "route", { method: c.req.method, path: c.req.path });
  });

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description:
      "an API token: printed when the service made one, HIREWIRE_ADMIN_TOKEN, or from POST /api/tokens",
  });
  app.doc("/openapi.json", {
    openapi: "3.0.3",
    info: {
      title: "hirewire",
      version: API_VERSION,
      description:
        "Run ChiefOnboarding integration manifests for new hires. Every /api/ route needs `Authorization: Bearer <token>`; errors are `{code, message, path?, problems?}`; timestamps are ISO 8601 UTC.",
    },
    security: [{ bearer: [] }],
  });
  return app;
}
