// The run state machine's vocabulary: the serializable run state, the events that drive it and
// the commands it asks its driver to carry out. Plain JSON throughout, versioned at the boundary.
import type { ErrorInfo } from "../errors/index.ts";
import type { AttemptOutcome, FileRef, RequestSpec } from "../exchange/types.ts";
import type { JsonValue, ProvisioningManifest, SyncUsersManifest } from "../manifest/types.ts";

export const RUN_STATUSES = Object.freeze([
  "queued",
  "running",
  "waiting",
  "succeeded",
  "failed",
  "blocked",
  "cancelled",
] as const);
export type RunStatus = (typeof RUN_STATUSES)[number];

export const FINAL_STATUSES: ReadonlySet<RunStatus> = new Set([
  "succeeded",
  "failed",
  "blocked",
  "cancelled",
]);

export const STATE_VERSION = 1;

/** The manifest blocks a run can execute (docs/manifest.md). */
export const RUN_BLOCKS = Object.freeze(["execute", "revoke", "exists", "sync", "oauth"] as const);
export type RunBlock = (typeof RUN_BLOCKS)[number];

/** The request currently out on the wire, so a restart knows whether resending is safe. */
export interface InFlight {
  step: number;
  attempt: number;
  idempotent: boolean;
  /**
   * The Idempotency-Key a POST/PATCH was sent with, when the integration sends keys: the target
   * deduplicates by it, so after a crash the same request may go again with the same key.
   */
  idempotencyKey?: string;
}

/** A request that was in flight at a crash and was sent again with its Idempotency-Key. */
export interface Resend {
  step: number;
  attempt: number;
  /** Epoch milliseconds of the recovery. */
  at: number;
}

/** Everything a run needs to continue in another process: plain JSON, no functions, no dates. */
export interface RunState {
  version: typeof STATE_VERSION;
  runId: string;
  status: RunStatus;
  /** Index of the step being run (or that failed). Equals the step count once all succeeded. */
  step: number;
  /** Attempts made so far for the current step (polling and retries both count). */
  attempt: number;
  /** Polling attempts made so far for the current step. */
  pollAttempts: number;
  /** Transient-failure retries made so far for the current step (not counting polling). */
  retries: number;
  /** JSON bodies of completed steps, `{}` for non-JSON. */
  responses: JsonValue[];
  /** Fields stored by this run so far (merged over the hire's stored fields). */
  stored: Record<string, JsonValue>;
  /** Run files saved so far, by name. */
  files: Record<string, FileRef>;
  /** Values generated for `initial_data_form` items named "generate"; reused on resume. */
  generated: Record<string, string>;
  /** Epoch milliseconds to wake at, while `waiting`. */
  wakeAt?: number | undefined;
  /** The request being sent; set to undefined to clear it (JSON leaves the key out). */
  inFlight?: InFlight | undefined;
  /** Why the run failed or is blocked. */
  error?: ErrorInfo | undefined;
  /** The last attempt's outcome for the current step: used for messages after polling ends. */
  lastOutcome?: string | undefined;
  /** What the block produced: `exists` → {exists, reason}; `sync` → {users, skipped, pages}; `oauth` → tokens. */
  result?: JsonValue | undefined;
  /** Sync: the next page to fetch (already rendered) and pages fetched so far. */
  nextPage?: string | undefined;
  pages?: number | undefined;
  /** Set while the OAuth refresh request runs before (or instead of) the current step. */
  phase?: "oauth-refresh" | undefined;
  /** The OAuth token was refreshed once in this run (a second 401 is a failure, not a loop). */
  oauthRefreshed?: boolean | undefined;
  /** post_execute_notification after a successful `execute` run: sending, then the masked results. */
  notifications?: NotificationsRecord | undefined;
  /** POST/PATCH requests resent after an interruption with the same Idempotency-Key. */
  resentAfterInterruption?: Resend[] | undefined;
}

/**
 * Notifications as the state keeps them: `sending` is checkpointed before the first one leaves (a
 * crash then means "unknown", never sent twice), `sent` holds every item's masked result.
 */
export type NotificationsRecord = { status: "sending" } | { status: "sent"; results: JsonValue[] };

/** Inputs that stay the same for the whole run; given on every call, never stored in the state. */
export interface RunContext {
  manifest: ProvisioningManifest | SyncUsersManifest;
  /** Which block to run (default `execute`). */
  block?: RunBlock | undefined;
  /** The hire's props (docs/manifest.md). */
  hire: Record<string, JsonValue>;
  /** The hire's stored fields from earlier runs. */
  hireStored: Record<string, JsonValue>;
  /**
   * Secret values found in the hire's stored fields (`stored.NAME`): masked like secrets. The
   * fields themselves are in `hireStored`, raw, because requests must carry the real value.
   */
  storedSecrets?: Array<{ name: string; value: string }>;
  /** The hire's secret stored fields that cannot be decrypted (a lost key): never in hireStored. */
  unreadableStored?: string[];
  /** Secrets by id (initial_data_form values and any other keys given). */
  secrets: Record<string, string>;
  /** OAuth tokens, available as `{{ oauth.* }}`. */
  oauth?: Record<string, JsonValue>;
  /** Per-run values (form answers). */
  params: Record<string, JsonValue>;
  /** The integration's OAuth callback URL, when there is one. */
  redirectUrl?: string;
  /** Limits and defaults chosen by the operator. */
  options?: EngineOptions;
  /**
   * Masks secrets in text the engine cuts short for a message (a response excerpt), before the
   * cut; the driver sets its redactor here. Everything else is masked when it leaves.
   */
  maskText?: TextMask | undefined;
}

/** What masks secrets in a text (the run's redactor). */
export interface TextMask {
  redactString(text: string): string;
}

export interface EngineOptions {
  /** Default per-attempt timeout in ms (30 000). */
  defaultTimeoutMs?: number;
  /** Redirects followed at most (10). */
  maxRedirects?: number;
  /** Base delay of the exponential retry backoff in ms (500). */
  retryBaseMs?: number;
  /** Cap on a single backoff delay in ms (30 000). */
  retryMaxDelayMs?: number;
  /** Longest Retry-After honoured, in ms (3 600 000). */
  retryAfterMaxMs?: number;
  /** Add `Idempotency-Key: <runId>-<step>` to POST/PATCH requests. */
  idempotencyKeys?: boolean;
}

export type RunEvent =
  /** Start a new run (status queued). */
  | { type: "start"; now: number }
  /** The outcome of the `send` command last issued. */
  | { type: "outcome"; now: number; outcome: AttemptOutcome }
  /** The wake-up time of a `wait` has come. */
  | { type: "wake"; now: number }
  /** Resume a failed or blocked run from its failed step. */
  | { type: "resume"; now: number }
  /** The driver restarted and found this run; a request may have been in flight. */
  | { type: "recover"; now: number }
  | { type: "cancel"; now: number }
  /**
   * Instead of the outcome of an OAuth refresh: another run refreshed the token meanwhile and
   * these are the tokens stored now (the driver already uses them). Not sent again.
   */
  | { type: "refreshed"; now: number; tokens: Record<string, JsonValue> }
  /** The driver carried out the `notify` command; `results` are masked, one per item. */
  | { type: "notified"; now: number; results: JsonValue[] };

export type RunCommand =
  | {
      type: "send";
      step: number;
      attempt: number;
      request: RequestSpec;
      /** Safe to resend after a crash (GET/HEAD/PUT/DELETE). */
      idempotent: boolean;
      /** Values derived from secrets (the encoded Basic credential) to mask as a whole. */
      derived?: Array<{ name: string; value: string }>;
      /** Shown instead of the step's name, e.g. `oauth.refresh` for a token refresh. */
      label?: string;
      /** This request was in flight at a crash and goes again with the same Idempotency-Key. */
      resentAfterInterruption?: true;
    }
  | { type: "wait"; until: number; reason: "poll" | "retry" }
  /** Stored fields of a step: commit them in the same transaction as the checkpoint. */
  | { type: "store"; step: number; fields: Record<string, JsonValue> }
  /** New OAuth tokens (a refresh succeeded): store them encrypted and use them from now on. */
  | { type: "oauth"; tokens: Record<string, JsonValue> }
  /**
   * Send post_execute_notification now, at most once: the state saying "sending" is checkpointed
   * first. A failed notification never fails the run; answer with the `notified` event.
   */
  | { type: "notify" }
  | { type: "finish"; status: "succeeded" | "failed" | "blocked" | "cancelled"; error?: ErrorInfo };

export interface Transition {
  state: RunState;
  commands: RunCommand[];
}
