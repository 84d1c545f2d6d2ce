// The arithmetic of an integration's rate limit, pure so every store (and a test) computes it the
// same way: a token bucket refilled at the current rate, slots for requests in flight that expire
// with their lease (a killed process's slots free themselves), and AIMD on 429 answers — the rate
// halves (at most once a second), Retry-After pauses every request, and each later answer gives a
// tenth of the configured rate back until it is whole again. The store reads the row, calls
// `takeSlot` or `returnSlot`, and writes the result, all in one transaction.
import type { RateLimit } from "./records.ts";

export interface RateBucket {
  /** Tokens in the bucket at `refilledAt`. */
  tokens: number;
  refilledAt: number;
  /** The rate now, in requests per second; null when the limit sets no rate. */
  rate: number | null;
  pausedUntil: number | null;
  /** When a 429 last halved the rate. */
  decreasedAt: number | null;
  /** Slot id → when its lease ends. */
  slots: Record<string, number>;
  /** 429 answers counted. */
  throttled: number;
}

export type RateTake =
  | { granted: true; bucket: RateBucket }
  | {
      granted: false;
      bucket: RateBucket;
      /** When to ask again (a freed slot may come sooner: ask again then too). */
      retryAt: number;
      reason: RateWaitReason;
    };

/** Why a request waits: a 429's pause, the rate, or the cap on requests in flight. */
export type RateWaitReason = "paused" | "rate" | "in_flight";

/** The slowest a 429 makes an integration: this fraction of its configured rate. */
export const MIN_RATE_FRACTION = 1 / 16;
/** What each answer that is not a 429 gives back, as a fraction of the configured rate. */
export const RECOVERY_FRACTION = 1 / 10;
/** The longest pause a Retry-After can ask for (longer values are cut to it). */
export const MAX_PAUSE_MS = 15 * 60_000;
/** How soon to look again when every slot is held by another process. */
export const IN_FLIGHT_RECHECK_MS = 50;
/** A rate is halved at most once in this long (429s to requests sent together count once). */
const DECREASE_EVERY_MS = 1_000;

/** The bucket's capacity: `burst` tokens, at least one. */
export function burstOf(limit: RateLimit): number {
  return Math.max(1, limit.burst ?? 1);
}

/** A bucket never used: full, at the configured rate. */
export function freshBucket(limit: RateLimit, now: number): RateBucket {
  return {
    tokens: burstOf(limit),
    refilledAt: now,
    rate: limit.requestsPerSecond ?? null,
    pausedUntil: null,
    decreasedAt: null,
    slots: {},
    throttled: 0,
  };
}

/**
 * The bucket at `now` under `limit` (which may have changed since it was written): expired slots
 * dropped, the rate kept within the configured one, tokens refilled up to the burst.
 */
export function bucketAt(bucket: RateBucket, limit: RateLimit, now: number): RateBucket {
  const slots: Record<string, number> = {};
  for (const [id, until] of Object.entries(bucket.slots)) if (until > now) slots[id] = until;
  const configured = limit.requestsPerSecond ?? null;
  const rate =
    configured === null
      ? null
      : Math.min(configured, Math.max(bucket.rate ?? configured, configured * MIN_RATE_FRACTION));
  const burst = burstOf(limit);
  const elapsed = Math.max(0, now - bucket.refilledAt);
  const tokens =
    rate === null ? burst : Math.min(burst, Math.max(0, bucket.tokens) + (elapsed * rate) / 1_000);
  return {
    ...bucket,
    slots,
    rate,
    tokens,
    refilledAt: Math.max(now, bucket.refilledAt),
    pausedUntil:
      bucket.pausedUntil !== null && bucket.pausedUntil > now ? bucket.pausedUntil : null,
  };
}

/** Takes a token and a slot for one request, or says when to ask again. */
export function takeSlot(
  stored: RateBucket | undefined,
  limit: RateLimit,
  input: { slot: string; now: number; leaseMs: number },
): RateTake {
  const { now } = input;
  const bucket = bucketAt(stored ?? freshBucket(limit, now), limit, now);
  if (bucket.pausedUntil !== null)
    return { granted: false, bucket, retryAt: bucket.pausedUntil, reason: "paused" };
  const waits: Array<{ at: number; reason: RateWaitReason }> = [];
  const held = Object.values(bucket.slots);
  if (limit.maxInFlight !== undefined && held.length >= limit.maxInFlight)
    waits.push({
      at: Math.min(now + IN_FLIGHT_RECHECK_MS, ...held),
      reason: "in_flight",
    });
  if (bucket.rate !== null && bucket.tokens < 1)
    waits.push({
      at: now + Math.ceil(((1 - bucket.tokens) * 1_000) / bucket.rate),
      reason: "rate",
    });
  if (waits.length > 0) {
    const last = waits.reduce((a, b) => (b.at > a.at ? b : a));
    return { granted: false, bucket, retryAt: last.at, reason: last.reason };
  }
  return {
    granted: true,
    bucket: {
      ...bucket,
      tokens: bucket.rate === null ? bucket.tokens : bucket.tokens - 1,
      slots: { ...bucket.slots, [input.slot]: now + input.leaseMs },
    },
  };
}

/**
 * Gives a slot back after its answer. `throttled` is set for a 429: `retryAfterMs` is its
 * Retry-After (null when it had none).
 */
export function returnSlot(
  stored: RateBucket,
  limit: RateLimit,
  input: { slot: string; now: number; throttled?: { retryAfterMs: number | null } },
): RateBucket {
  const { now } = input;
  const bucket = bucketAt(stored, limit, now);
  const slots = { ...bucket.slots };
  delete slots[input.slot];
  const configured = limit.requestsPerSecond ?? null;
  if (input.throttled === undefined) {
    // Answers to requests sent before the 429 do not undo it: recovery starts a second later.
    const settled = bucket.decreasedAt === null || now - bucket.decreasedAt >= DECREASE_EVERY_MS;
    const rate =
      configured !== null && bucket.rate !== null && bucket.pausedUntil === null && settled
        ? Math.min(configured, bucket.rate + configured * RECOVERY_FRACTION)
        : bucket.rate;
    return { ...bucket, slots, rate };
  }
  const pause = Math.min(MAX_PAUSE_MS, Math.max(0, input.throttled.retryAfterMs ?? 0));
  const pausedUntil =
    pause > 0 ? Math.max(bucket.pausedUntil ?? 0, now + pause) : bucket.pausedUntil;
  const halve = bucket.decreasedAt === null || now - bucket.decreasedAt >= DECREASE_EVERY_MS;
  const rate =
    configured === null || bucket.rate === null || !halve
      ? bucket.rate
      : Math.max(configured * MIN_RATE_FRACTION, bucket.rate / 2);
  // The bucket starts over: one request may go when a pause ends (none at once without a pause),
  // then the slower pace.
  const restart = pausedUntil ?? now;
  return {
    ...bucket,
    slots,
    rate,
    pausedUntil,
    decreasedAt: halve ? now : bucket.decreasedAt,
    tokens: pausedUntil !== null ? 1 : 0,
    refilledAt: Math.max(bucket.refilledAt, restart),
    throttled: bucket.throttled + 1,
  };
}
