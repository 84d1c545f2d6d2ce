// OAuth refresh (docs/manifest.md): before a block when `expires_at` says the token is about to
// expire, and once after a 401. The refresh response is merged over the current tokens; an
// `expires_in` (seconds) becomes `expires_at` (epoch ms) so the next run knows when to refresh.
import type { ResponseRecord } from "../exchange/types.ts";
import type { JsonValue, Step } from "../manifest/types.ts";
import type { RunContext } from "./types.ts";

/** Refresh this long before the token expires. */
const REFRESH_MARGIN_MS = 60_000;

export function canRefresh(ctx: RunContext): boolean {
  return ctx.manifest.oauth?.refresh !== undefined && ctx.oauth !== undefined;
}

export function refreshStep(ctx: RunContext): Step | undefined {
  return ctx.manifest.oauth?.refresh;
}

/** True when the stored token expires within the margin and the manifest can refresh it. */
export function needsRefresh(ctx: RunContext, now: number): boolean {
  if (!canRefresh(ctx)) return false;
  const expiresAt = ctx.oauth?.expires_at;
  return typeof expiresAt === "number" && expiresAt <= now + REFRESH_MARGIN_MS;
}

/** The tokens after a token response: merged over the old ones, with `expires_at` computed. */
export function refreshedTokens(
  ctx: RunContext,
  response: ResponseRecord,
  now: number,
): Record<string, JsonValue> {
  const body =
    response.json !== null && typeof response.json === "object" && !Array.isArray(response.json)
      ? response.json
      : {};
  const tokens: Record<string, JsonValue> = { ...(ctx.oauth ?? {}), ...body };
  const expiresIn = Number(body.expires_in);
  if (Number.isFinite(expiresIn) && expiresIn > 0) tokens.expires_at = now + expiresIn * 1000;
  return tokens;
}
