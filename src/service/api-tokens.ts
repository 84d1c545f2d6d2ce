// API token management shared by the service's start-up, the /api/tokens routes and `hirewire
// token`: issue (the token is returned once and only its SHA-256 kept), revoke, what
// HIREWIRE_ADMIN_TOKEN means — the one `env` token, valid only while the variable holds it — and
// the short-lived cache of known tokens that spares each API request a database read.
import { hirewireError } from "../errors/index.ts";
import { generateApiToken, hashApiToken } from "../secrets/index.ts";
import type { ApiTokenRecord } from "../store/records.ts";
import type { Store } from "../store/store.ts";

/** The name the HIREWIRE_ADMIN_TOKEN token is listed under. */
const ENV_TOKEN_NAME = "admin (HIREWIRE_ADMIN_TOKEN)";

// Hashes of env tokens revoked through the API or CLI: the variable cannot bring them back.
const REVOKED_ENV = "api_tokens.revoked_env";

/** Token names: what an admin would write on a sticky note, not a paragraph. */
export const MAX_TOKEN_NAME_CHARS = 100;

/**
 * How long a token this process found is trusted without reading it again. A revoke through this
 * process (API, console) takes effect at once; one by another process (`hirewire token revoke`,
 * another API process on PostgreSQL) within this bound. Unknown tokens are never cached, so a
 * token created elsewhere works at once.
 */
export const TOKEN_CACHE_MS = 250;

/** The known tokens of one store, by hash, each trusted for TOKEN_CACHE_MS after it was read. */
export class ApiTokenCache {
  readonly #store: Store;
  readonly #entries = new Map<
    string,
    { until: number; record: Promise<ApiTokenRecord | undefined> }
  >();

  constructor(store: Store) {
    this.#store = store;
  }

  /**
   * The token with this hash, from the cache while fresh, else from the store. Lookups of the
   * same hash that arrive together share one read.
   */
  find(tokenHash: string): Promise<ApiTokenRecord | undefined> {
    // A monotonic clock: the service's injectable `now` may stand still in tests.
    const time = performance.now();
    const entry = this.#entries.get(tokenHash);
    if (entry !== undefined && entry.until > time) return entry.record;
    const record = this.#store.findApiTokenByHash(tokenHash);
    const fresh = { until: time + TOKEN_CACHE_MS, record };
    this.#entries.set(tokenHash, fresh);
    const drop = () => {
      if (this.#entries.get(tokenHash) === fresh) this.#entries.delete(tokenHash);
    };
    record.then((found) => found === undefined && drop(), drop);
    return record;
  }

  /** Forgets every token (one was revoked or replaced). */
  clear(): void {
    this.#entries.clear();
  }
}

const caches = new WeakMap<Store, ApiTokenCache>();

/** The token cache of `store` in this process (one per store, shared by every route). */
export function apiTokenCache(store: Store): ApiTokenCache {
  let cache = caches.get(store);
  if (cache === undefined) {
    cache = new ApiTokenCache(store);
    caches.set(store, cache);
  }
  return cache;
}

/** A new token: the record, and the token itself (shown once, never kept). */
export async function issueApiToken(
  store: Store,
  name: string,
): Promise<{ record: ApiTokenRecord; token: string }> {
  const trimmed = name.trim();
  if (trimmed === "" || trimmed.length > MAX_TOKEN_NAME_CHARS) {
    throw hirewireError(
      "INPUT_INVALID",
      "tokenName",
      { max: MAX_TOKEN_NAME_CHARS },
      {
        path: "name",
      },
    );
  }
  const token = generateApiToken();
  const record = await store.createApiToken({ name: trimmed, tokenHash: hashApiToken(token) });
  return { record, token };
}

/**
 * Revokes a token by id (or by name, when exactly one token has it). Revoking the env token also
 * keeps it from coming back at the next start while HIREWIRE_ADMIN_TOKEN still holds it.
 */
export async function revokeApiToken(store: Store, idOrName: string): Promise<ApiTokenRecord> {
  const record = await findToken(store, idOrName);
  if (record.source === "env") {
    const revoked = await revokedEnvHashes(store);
    if (!revoked.includes(record.tokenHash))
      await store.setSetting(REVOKED_ENV, [...revoked, record.tokenHash]);
  }
  await store.deleteApiToken(record.id);
  caches.get(store)?.clear();
  return record;
}

async function findToken(store: Store, idOrName: string): Promise<ApiTokenRecord> {
  const byId = await store.getApiToken(idOrName);
  if (byId !== undefined) return byId;
  const named = (await store.listApiTokens()).filter((token) => token.name === idOrName);
  if (named.length === 1) return named[0]!;
  throw named.length === 0
    ? hirewireError("NOT_FOUND", "token", { name: idOrName })
    : hirewireError("CONFLICT", "tokenNameTaken", { count: named.length, name: idOrName });
}

async function revokedEnvHashes(store: Store): Promise<string[]> {
  const value = await store.getSetting(REVOKED_ENV);
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

export interface AdminTokenOutcome {
  /** A token made because no token was left (shown once). */
  created?: string;
  /** HIREWIRE_ADMIN_TOKEN holds a token that was revoked: it was not accepted. */
  envRevoked?: boolean;
}

/**
 * Applies HIREWIRE_ADMIN_TOKEN at start-up: it becomes the one env token (a changed value
 * replaces the old one; an unset variable removes it). When no token is left at all, one is
 * generated so the service can be reached.
 */
export async function applyAdminToken(
  store: Store,
  configured: string | undefined,
): Promise<AdminTokenOutcome> {
  const outcome: AdminTokenOutcome = {};
  let hash = configured !== undefined ? hashApiToken(configured) : null;
  if (hash !== null && (await revokedEnvHashes(store)).includes(hash)) {
    outcome.envRevoked = true;
    hash = null;
  }
  await store.replaceEnvApiToken(hash, ENV_TOKEN_NAME);
  caches.get(store)?.clear();
  if ((await store.countApiTokens()) === 0) {
    const token = generateApiToken();
    await store.createApiToken({
      name: "admin",
      tokenHash: hashApiToken(token),
      source: "generated",
    });
    outcome.created = token;
  }
  return outcome;
}
