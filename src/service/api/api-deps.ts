// What the API needs from the service around it, and the Hono environment its routes share.
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { FileStore } from "../../files/index.ts";
import type { EgressSettings } from "../../runner/egress-policy.ts";
import type { StartDeps } from "../../runner/run-start.ts";
import type { Store } from "../../store/store.ts";

export interface ApiDeps {
  store: Store;
  /** Where run files live; downloads stream from it. */
  files: FileStore;
  /** The operator's egress settings, for requests the API makes (forms, exists, OAuth). */
  egress?: EgressSettings;
  /** Called after a run is created, or a cancel/resume is requested, so the scheduler picks it up at once. */
  notify(): void;
  /** Epoch milliseconds; defaults to Date.now. */
  now?: () => number;
  /** The OAuth callback URL of an integration (`{{ redirect_url }}`), when the service has one. */
  oauthCallbackUrl?: (integrationId: string) => string;
  /** Receives unexpected errors (answered as 500 INTERNAL); defaults to console.error. */
  logError?: (error: unknown) => void;
  /** Receives refusals an admin may need to explain (never secrets); defaults to console.warn. */
  logWarn?: (details: Record<string, unknown>, message: string) => void;
}

/** The authenticated token, set by the auth middleware for every `/api/*` request. */
export interface ApiVariables {
  apiToken: { id: string; name: string };
}

export type ApiEnv = { Variables: ApiVariables };

export type ApiApp = OpenAPIHono<ApiEnv>;

/** Deps with defaults filled in, as the route modules receive them. */
export interface ResolvedDeps extends ApiDeps {
  now: () => number;
}

/** What starting runs (runner/run-start.ts) needs of the API's deps. */
export function startDeps(deps: ApiDeps): StartDeps {
  return {
    store: deps.store,
    files: deps.files,
    ...(deps.egress !== undefined ? { egress: deps.egress } : {}),
    ...(deps.oauthCallbackUrl !== undefined ? { redirectUrlFor: deps.oauthCallbackUrl } : {}),
    notify: () => deps.notify(),
  };
}
