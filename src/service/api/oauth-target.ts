// What every OAuth route needs first: the integration, its validated manifest with an `oauth`
// block, and the callback URL that `{{ redirect_url }}` renders to.
import { hirewireError } from "../../errors/index.ts";
import type { Manifest, OAuthBlock } from "../../manifest/types.ts";
import { integrationManifest } from "../../runner/prepared-manifest.ts";
import type { IntegrationRecord } from "../../store/records.ts";
import type { ResolvedDeps } from "./api-deps.ts";
import { mustGetIntegration } from "../../runner/lookup.ts";

export interface OAuthTarget {
  integration: IntegrationRecord;
  manifest: Manifest;
  oauth: OAuthBlock;
}

/** The integration and its oauth block; 404 when missing, 422 when invalid, 409 without oauth. */
export async function oauthTarget(deps: ResolvedDeps, id: string): Promise<OAuthTarget> {
  const integration = await mustGetIntegration(deps.store, id);
  const validation = integrationManifest(integration);
  if (!validation.ok) {
    const first = validation.problems.find((problem) => problem.severity === "error");
    throw hirewireError(
      "VALIDATION",
      "integrationManifestInvalid",
      { first },
      { path: first?.path },
    );
  }
  const oauth = validation.manifest.oauth;
  if (oauth === undefined) throw hirewireError("CONFLICT", "noOAuthBlock", { integrationId: id });
  return { integration, manifest: validation.manifest, oauth };
}

/** `{{ redirect_url }}` of the integration: the service's callback route for it. */
export function callbackUrl(deps: ResolvedDeps, integrationId: string): string {
  const url = deps.oauthCallbackUrl?.(integrationId);
  if (url === undefined || url === "") {
    throw hirewireError("INPUT_MISSING", "noPublicUrl", {});
  }
  return url;
}
