// What the API says about an integration's OAuth connection: connected or not, and until when the
// token is good — never a token.
import { z } from "@hono/zod-openapi";
import { parseOAuthSecret } from "../../secrets/oauth-secret.ts";
import { TimestampSchema } from "./schemas.ts";

export const OAuthStatusSchema = z
  .object({
    connected: z.boolean().openapi({ description: "tokens are stored for this integration" }),
    expires_at: TimestampSchema.optional().openapi({
      description: "when the access token expires (runs refresh it shortly before)",
    }),
  })
  .openapi("OAuthStatus");

export type OAuthStatus = z.infer<typeof OAuthStatusSchema>;

/** True when the stored manifest has an `oauth` block (tolerating anything a store may hold). */
export function usesOAuth(manifest: unknown): boolean {
  return (
    typeof manifest === "object" &&
    manifest !== null &&
    typeof (manifest as { oauth?: unknown }).oauth === "object" &&
    (manifest as { oauth?: unknown }).oauth !== null
  );
}

/** The status from the stored OAuth secret's value (undefined: not connected). */
export function oauthStatus(stored: string | undefined): OAuthStatus {
  const tokens = parseOAuthSecret(stored);
  if (tokens === undefined) return { connected: false };
  const expiresAt = tokens.expires_at;
  return typeof expiresAt === "number" && Number.isFinite(expiresAt)
    ? { connected: true, expires_at: new Date(expiresAt).toISOString() }
    : { connected: true };
}
