// Connecting an integration: run the manifest's `oauth.access_token` request in this process (with
// `{{ code }}` from the provider's callback, or without a code for `without_code` manifests) and
// keep the tokens it returns, encrypted, as the integration's reserved OAuth secret.
import { integrationEgress, type EgressSettings } from "../../runner/egress-policy.ts";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ErrorInfo, problem } from "../../errors/index.ts";
import type { JsonValue } from "../../manifest/types.ts";
import { runManifest } from "../../runner/run-manifest.ts";
import {
  OAUTH_SECRET_KEY,
  oauthSecretValue,
  splitOAuthSecret,
  type OAuthTokens,
} from "../../secrets/oauth-secret.ts";
import type { IntegrationRecord } from "../../store/records.ts";
import type { Store } from "../../store/store.ts";

export interface ConnectInput {
  store: Store;
  integration: IntegrationRecord;
  /** `{{ redirect_url }}`: providers check that the token request names the same callback. */
  redirectUrl?: string;
  /** The authorization code from the callback; absent for `without_code` manifests. */
  code?: string;
  /** The operator's egress settings. */
  egress?: EgressSettings;
}

export type ConnectResult =
  { ok: true; tokens: string[]; expiresAt?: number } | { ok: false; error: ErrorInfo };

/** Runs `oauth.access_token` and stores the tokens; the result names the tokens, never their values. */
export async function connectOAuth(input: ConnectInput): Promise<ConnectResult> {
  const { secrets } = splitOAuthSecret(await input.store.getSecrets(input.integration.id));
  let tokens: OAuthTokens | undefined;
  const filesDir = await mkdtemp(join(tmpdir(), "hirewire-oauth-"));
  try {
    const params: Record<string, JsonValue> = input.code !== undefined ? { code: input.code } : {};
    const result = await runManifest(input.integration.manifest, {
      block: "oauth",
      hire: {},
      secrets,
      params,
      filesDir,
      checkAddress: integrationEgress(input.integration.options, input.egress),
      ...(input.redirectUrl !== undefined ? { redirectUrl: input.redirectUrl } : {}),
      onOAuthTokens: (received) => {
        tokens = received;
      },
    });
    if (result.status === "invalid") {
      const first = result.problems?.[0];
      return {
        ok: false,
        error: problem("INPUT_INVALID", "tokenRequest", { first }, { path: first?.path }),
      };
    }
    if (result.status !== "succeeded") {
      return {
        ok: false,
        error: result.error ?? problem("INTERNAL", "tokenRequestEnded", { status: result.status }),
      };
    }
  } finally {
    await rm(filesDir, { recursive: true, force: true });
  }
  const names = Object.keys(tokens ?? {}).filter((name) => name !== "expires_at");
  if (tokens === undefined || names.length === 0) {
    return {
      ok: false,
      error: problem("HTTP_INVALID_JSON", "noTokens", {}, { path: "oauth.access_token" }),
    };
  }
  await input.store.setSecret(input.integration.id, OAUTH_SECRET_KEY, oauthSecretValue(tokens));
  const expiresAt = tokens.expires_at;
  return {
    ok: true,
    tokens: Object.keys(tokens),
    ...(typeof expiresAt === "number" ? { expiresAt } : {}),
  };
}
