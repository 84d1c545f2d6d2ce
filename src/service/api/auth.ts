// Token auth for /api/*: `Authorization: Bearer <token>`. Only the token's SHA-256 is stored, so a
// lookup by hash is the whole check; the token itself is never logged or kept. Known tokens are
// cached for a quarter of a second (api-tokens.ts, TOKEN_CACHE_MS).
import type { MiddlewareHandler } from "hono";
import type { HirewireError } from "../../errors/index.ts";
import { hirewireError } from "../../errors/index.ts";
import { hashApiToken } from "../../secrets/index.ts";
import type { Store } from "../../store/store.ts";
import { apiTokenCache } from "../api-tokens.ts";
import type { ApiEnv } from "./api-deps.ts";

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/** 401 UNAUTHORIZED, the same for a missing, malformed or unknown token (nothing to probe). */
function unauthorized(): HirewireError {
  return hirewireError("UNAUTHORIZED", "token", {});
}

// Last use is kept to the minute: a write per request would cost more than the request.
const TOUCH_EVERY_MS = 60_000;

/** Middleware that admits a request only with a known API token, and records which one. */
export function bearerAuth(store: Store, now: () => number = Date.now): MiddlewareHandler<ApiEnv> {
  const tokens = apiTokenCache(store);
  return async (c, next) => {
    const match = BEARER.exec(c.req.header("authorization") ?? "");
    const token = match?.[1];
    if (token === undefined) throw unauthorized();
    const record = await tokens.find(hashApiToken(token));
    if (record === undefined) throw unauthorized();
    const time = now();
    if (record.lastUsedAt === null || time - record.lastUsedAt >= TOUCH_EVERY_MS) {
      // The cached record too, so requests sharing it do not touch again.
      record.lastUsedAt = time;
      await store.touchApiToken(record.id, time);
    }
    c.set("apiToken", { id: record.id, name: record.name });
    await next();
  };
}
