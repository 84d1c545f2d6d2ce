// The OAuth `state` parameter: a random value handed out with the authorize URL and checked on the
// callback, so only an authorization an admin started can connect an integration. Only its hash is
// kept (in settings, one pending authorization per integration), it expires, and it works once.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Store } from "../../store/store.ts";

/** How long an admin has to finish authorizing at the provider. */
export const STATE_TTL_MS = 10 * 60_000;

interface PendingState {
  hash: string;
  expires_at: number;
}

function settingKey(integrationId: string): string {
  return `oauth_state:${integrationId}`;
}

function hashOf(state: string): Buffer {
  return createHash("sha256").update(state).digest();
}

/** A fresh state for this integration; it replaces any earlier one not used yet. */
export async function issueState(
  store: Store,
  integrationId: string,
  now: number,
): Promise<string> {
  const state = randomBytes(32).toString("base64url");
  const pending: PendingState = {
    hash: hashOf(state).toString("base64"),
    expires_at: now + STATE_TTL_MS,
  };
  await store.setSetting(settingKey(integrationId), { ...pending });
  return state;
}

export type StateCheck = "ok" | "missing" | "expired" | "mismatch";

/**
 * Checks `state` against the integration's pending one and, when it matches, uses it up (a
 * replayed callback is refused). A mismatch leaves the pending state for the real callback.
 */
export async function consumeState(
  store: Store,
  integrationId: string,
  state: string,
  now: number,
): Promise<StateCheck> {
  const pending = asPending(await store.getSetting(settingKey(integrationId)));
  if (pending === undefined) return "missing";
  const expected = Buffer.from(pending.hash, "base64");
  const actual = hashOf(state);
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return "mismatch";
  await store.setSetting(settingKey(integrationId), null);
  return pending.expires_at < now ? "expired" : "ok";
}

function asPending(value: unknown): PendingState | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { hash, expires_at } = value as Partial<PendingState>;
  return typeof hash === "string" && typeof expires_at === "number"
    ? { hash, expires_at }
    : undefined;
}
