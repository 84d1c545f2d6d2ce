// Where an integration's OAuth tokens live: one reserved entry of its encrypted secrets holding
// the tokens' JSON, so they are encrypted at rest like every other secret. Runs read them as
// `{{ oauth.* }}`, never as an ordinary secret variable.
import type { JsonValue } from "../manifest/types.ts";

/** The secret key holding the tokens; reserved: the secrets API refuses to set or list it. */
export const OAUTH_SECRET_KEY = "__oauth";

export type OAuthTokens = Record<string, JsonValue>;

/** The tokens stored under OAUTH_SECRET_KEY, or undefined when absent or not a JSON object. */
export function parseOAuthSecret(value: string | undefined): OAuthTokens | undefined {
  if (value === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
      ? (parsed as OAuthTokens)
      : undefined;
  } catch {
    // A corrupt entry reads as "not connected": the admin connects again.
    return undefined;
  }
}

/** The text to store under OAUTH_SECRET_KEY. */
export function oauthSecretValue(tokens: OAuthTokens): string {
  return JSON.stringify(tokens);
}

/** Splits the decrypted secrets into the ordinary ones and the OAuth tokens (when connected). */
export function splitOAuthSecret(all: Record<string, string>): {
  secrets: Record<string, string>;
  oauth?: OAuthTokens;
} {
  const { [OAUTH_SECRET_KEY]: stored, ...secrets } = all;
  const oauth = parseOAuthSecret(stored);
  return oauth !== undefined ? { secrets, oauth } : { secrets };
}
