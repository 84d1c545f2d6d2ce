// The records the store reads and writes, in the shape callers use (camelCase, decoded JSON,
// epoch-millisecond numbers). Row shapes and SQL stay inside the store.
import type { ErrorInfo } from "../errors/index.ts";
import type { RunBlock, RunState, RunStatus } from "../engine/index.ts";
import type { JsonValue } from "../manifest/types.ts";

/** The manifest blocks a run can execute (defined by the engine). */
export type { RunBlock };

/** Something asked of a run from outside its driver, picked up at the driver's next turn. */
export const RUN_REQUESTS = Object.freeze(["cancel", "resume"] as const);
export type RunRequest = (typeof RUN_REQUESTS)[number];

export interface IntegrationOptions {
  /** Send `Idempotency-Key` on POST/PATCH requests. */
  idempotencyKeys: boolean;
  /** Hosts requests may go to; absent means any. */
  allowedHosts?: string[];
  /** How fast, and how many at once, this integration's requests may go (all processes together). */
  rateLimit?: RateLimit;
}

/**
 * An integration's rate limit, shared through the store by every process: a token bucket
 * (`requestsPerSecond`, holding up to `burst` tokens) and a cap on requests in flight. At least
 * one of `requestsPerSecond` and `maxInFlight` is set.
 */
export interface RateLimit {
  requestsPerSecond?: number;
  /** Requests that may go at once after a quiet spell (default 1: evenly spaced). */
  burst?: number;
  maxInFlight?: number;
}

/** An integration's shared rate-limit state, as the store keeps it. */
export interface RateLimitState {
  /** The rate now: the configured one, or less after a 429 (it recovers with each answer). */
  rate: number | null;
  tokens: number;
  /** No request goes before this time (a 429's Retry-After); null when not paused. */
  pausedUntil: number | null;
  /** Requests holding a slot now (leases not expired). */
  inFlight: number;
  /** 429 answers counted since the row was made. */
  throttled: number;
  updatedAt: number;
}

export interface IntegrationRecord {
  id: string;
  name: string;
  /** The manifest as saved; validated by the caller, not by the store. */
  manifest: JsonValue;
  options: IntegrationOptions;
  createdAt: number;
  updatedAt: number;
}

/** A secret's name and age; the value is only ever given to the runner (`getSecrets`). */
export interface SecretKeyRecord {
  key: string;
  updatedAt: number;
}

export interface HireRecord {
  id: string;
  /** email, first_name, last_name, … (docs/manifest.md). */
  props: Record<string, JsonValue>;
  createdAt: number;
  updatedAt: number;
}

export interface StoredFieldRecord {
  /** The value, safe to show: for a sensitive field, its masked view (`"Bearer ***TOKEN***"`). */
  value: JsonValue;
  /** The value holds a secret: it is encrypted at rest and only runs get it (`getStoredValues`). */
  sensitive: boolean;
  updatedAt: number;
  /** The run that wrote it; null when set through the API. */
  runId: string | null;
}

/** A stored field as a run needs it: the real value, decrypted, next to what may be shown. */
export interface StoredValue {
  value: JsonValue;
  /** Equals `value` unless the field is sensitive. */
  shown: JsonValue;
  sensitive: boolean;
  runId: string | null;
  /**
   * Sensitive, but encrypted with a key this service no longer has (the key was lost or
   * replaced): `value` is null and must never be sent; the field must be set again.
   */
  unreadable?: true;
}

/** Marks a stored field being written as sensitive, with the masked view to show for it. */
export interface SensitiveView {
  shown: JsonValue;
}

export interface RunRecord {
  id: string;
  integrationId: string;
  /** Null for blocks that are not about one hire (`sync`). */
  hireId: string | null;
  block: RunBlock;
  status: RunStatus;
  params: Record<string, JsonValue>;
  /** Null until the driver's first checkpoint. `generated` is decrypted and merged back. */
  state: RunState | null;
  error: ErrorInfo | null;
  idempotencyKey: string | null;
  wakeAt: number | null;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  request: RunRequest | null;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
  /**
   * Set when the row could not be trusted (state or params not valid JSON, or of the wrong shape):
   * the record then reads as `failed` with this error, and the scheduler never drives it.
   */
  fault?: ErrorInfo;
  /** Set once the run's personal details were erased (its hire was deleted, or by retention). */
  erased?: { at: number; reason: string };
}

/**
 * A run taken by `claimRuns`; `recovered` means its last driver stopped while it was running. A run
 * with `fault` was quarantined by the claim (now failed, lease released): report it, do not drive it.
 */
export interface ClaimedRun extends RunRecord {
  recovered: boolean;
}

/** One HTTP attempt as the runner recorded it (already masked). */
export interface AttemptInput {
  step: number;
  attempt: number;
  startedAt: number;
  durationMs: number;
  /** request, response, redirects, error — whatever the recorder kept. */
  record: JsonValue;
}

export interface AttemptRecord extends AttemptInput {
  id: string;
  runId: string;
  /** Order of the attempt within its run (1, 2, …). */
  seq: number;
}

export interface FileRecord {
  id: string;
  runId: string;
  name: string;
  ref: string;
  size: number;
  contentType: string;
  createdAt: number;
  expiresAt: number | null;
}

/** Where an API token came from: HIREWIRE_ADMIN_TOKEN, the first start, or an admin. */
export type ApiTokenSource = "env" | "generated" | "created";

export interface ApiTokenRecord {
  id: string;
  name: string;
  tokenHash: string;
  source: ApiTokenSource;
  createdAt: number;
  /** Null until the token is first used (updated at most once a minute). */
  lastUsedAt: number | null;
}

/** A page of a newest-first listing; pass `nextCursor` back to get the next page. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
