// The one persistence interface of hirewire: integrations, secrets, hires, stored fields, runs,
// attempts, files, leases and waits. Dialect-agnostic: SQLite (embedded) and PostgreSQL (shared by many processes).
import type { ErrorInfo } from "../errors/index.ts";
import type { RunState, RunStatus } from "../engine/index.ts";
import type { FileRef } from "../exchange/types.ts";
import type { FileStore } from "../files/index.ts";
import type { JsonValue } from "../manifest/types.ts";
import type {
  ApiTokenRecord,
  ApiTokenSource,
  AttemptInput,
  AttemptRecord,
  ClaimedRun,
  FileRecord,
  HireRecord,
  IntegrationOptions,
  IntegrationRecord,
  Page,
  RateLimit,
  RateLimitState,
  RunBlock,
  RunRecord,
  RunRequest,
  SecretKeyRecord,
  SensitiveView,
  StoredFieldRecord,
  StoredValue,
} from "./records.ts";

export interface CreateIntegrationInput {
  id?: string;
  name: string;
  manifest: JsonValue;
  options?: Partial<IntegrationOptions>;
}

export interface UpdateIntegrationInput {
  name?: string;
  manifest?: JsonValue;
  options?: IntegrationOptions;
}

export interface CreateHireInput {
  id?: string;
  props: Record<string, JsonValue>;
}

/** What deleting a hire erased: how many of its runs were reduced to their skeleton, and their files (remove them from disk). */
export interface HireErasure {
  runs: number;
  files: FileRecord[];
}

export interface ListHiresInput {
  /** Case-insensitive exact match on `props.email`. */
  email?: string;
  limit?: number;
  cursor?: string | null;
}

export interface CreateRunInput {
  /** Give one when the caller needs the id before the row exists (e.g. to build the state). */
  id?: string;
  integrationId: string;
  hireId?: string | null;
  block: RunBlock;
  params?: Record<string, JsonValue>;
  state?: RunState | null;
  /** Unique per integration: a second create with the same key returns the first run. */
  idempotencyKey?: string | null | undefined;
}

export interface ListRunsInput {
  status?: RunStatus | RunStatus[];
  integrationId?: string;
  hireId?: string;
  limit?: number;
  cursor?: string | null;
}

export interface ClaimRunsInput {
  /** Unique per driver (process); leases are checked against it. */
  owner: string;
  now: number;
  leaseMs: number;
  limit: number;
}

/** What `claimDue` answers. */
export interface ClaimResult {
  runs: ClaimedRun[];
  /**
   * When fewer runs than the limit were due: what `nextWakeAt` answers after this claim (null:
   * none pending). Undefined when the limit was reached.
   */
  nextWakeAt?: number | null;
}

export interface LeaseInput {
  runId: string;
  owner: string;
  now: number;
  leaseMs: number;
}

export interface CheckpointInput {
  runId: string;
  /** The lease owner; a mismatch throws CONFLICT "lease lost" and writes nothing. */
  owner: string;
  state: RunState;
  status: RunStatus;
  /** When a `waiting` run becomes due; null otherwise. */
  wakeAt: number | null;
  error: ErrorInfo | null;
  attempt?: AttemptInput;
  /**
   * Fields the step stores for the hire, committed with the checkpoint. `runId` defaults to the
   * run. A name in `shown` holds a secret: its value is encrypted and `shown[name]` is kept to show.
   */
  storedFields?: {
    hireId: string;
    runId?: string;
    fields: Record<string, JsonValue>;
    shown?: Record<string, JsonValue>;
  };
  /** Clears the run's pending request when it is this one (the driver has acted on it). */
  clearRequest?: RunRequest;
  /** Gives up the lease in the same transaction (the run is waiting or finished). */
  releaseLease?: boolean;
  /**
   * With `releaseLease` on an unfinished run: no one claims it before this time (its
   * integration's rate limit is paused); it is then taken up like a run whose driver stopped.
   */
  heldUntil?: number;
  /**
   * Without `releaseLease`: the lease now runs until this time (a driver waiting a moment in
   * place keeps the run only a little past its wake-up time, so a crash then is soon recovered).
   */
  leaseUntil?: number;
}

/** What the driver's checkpoint needs back from the row it wrote. */
export interface CheckpointNote {
  /** The run's pending request after the write (a cancel asked for while it was being driven). */
  request: RunRequest | null;
}

export interface AddFileInput {
  runId: string;
  file: FileRef;
  expiresAt?: number | null;
}

/** A named lock held by `owner` until `now + leaseMs` (see `Store.takeLock`). */
export interface LockInput {
  name: string;
  owner: string;
  now: number;
  leaseMs: number;
}

export interface ApplyHireChangesInput {
  /** The settings key the batch's record is kept under: the batch is applied once per key. */
  key: string;
  /** Props of hires to add; one whose email a hire already has is skipped. */
  create: Array<Record<string, JsonValue>>;
  /** Stored fields to write (not sensitive); a hire that no longer exists is skipped. */
  update: Array<{ hireId: string; fields: Record<string, JsonValue> }>;
  /** The record to keep under `key`, from how many hires were created and updated. */
  record(done: { created: number; updated: number }): JsonValue;
}

/** `applied: false` when the key was taken: nothing was written and `record` is the earlier one. */
export interface AppliedHireChanges {
  applied: boolean;
  record: JsonValue;
}

export interface AcquireRateSlotInput {
  integrationId: string;
  limit: RateLimit;
  /** Names this request's slot (unique: the caller makes it); give it back to release it. */
  slot: string;
  now: number;
  /** How long the slot stays taken if it is never given back (its holder died). */
  leaseMs: number;
}

export type RateSlotAnswer =
  | { granted: true }
  | {
      granted: false;
      /** When to ask again (for `in_flight`, a slot freed sooner is worth asking at once). */
      retryAt: number;
      reason: "paused" | "rate" | "in_flight";
    };

export interface ReleaseRateSlotInput {
  integrationId: string;
  limit: RateLimit;
  slot: string;
  now: number;
  /** The answer was a 429: slow the integration down; `retryAfterMs` pauses it (null: none given). */
  throttled?: { retryAfterMs: number | null };
}

/** Runs per status, and runs due now that no process has leased yet (for /metrics). */
export interface RunCounts {
  byStatus: Partial<Record<RunStatus, number>>;
  due: number;
}

/** The answer of `Store.health()`: ok, or the sentence saying what is wrong and what to do. */
export type StoreHealth = { ok: true } | { ok: false; reason: string };

/** See `Store.getRunInputs`. */
export interface RunInputs {
  integration: IntegrationRecord | undefined;
  hire: HireRecord | undefined;
  /** Empty when there is no such hire. */
  storedValues: Record<string, StoredValue>;
  secrets(): Record<string, string>;
}

/**
 * Everything hirewire keeps. Methods are async and throw HirewireError: NOT_FOUND for a missing
 * row an operation needs, CONFLICT for a uniqueness or lease clash. `get*` return undefined when
 * absent. Timestamps are epoch milliseconds.
 */
export interface Store {
  /**
   * Where this store keeps run files itself (PostgreSQL: in the database, so every worker reaches
   * them). Absent: the caller keeps them on disk.
   */
  readonly runFiles?: FileStore;

  // Integrations
  createIntegration(input: CreateIntegrationInput): Promise<IntegrationRecord>;
  getIntegration(id: string): Promise<IntegrationRecord | undefined>;
  listIntegrations(): Promise<IntegrationRecord[]>;
  updateIntegration(id: string, patch: UpdateIntegrationInput): Promise<IntegrationRecord>;
  /**
   * Deletes the integration and its secrets. One that finished runs refer to stays as a hidden
   * tombstone (no manifest, no secrets, name freed) so the runs keep their skeleton; CONFLICT while
   * one of its runs is unfinished.
   */
  deleteIntegration(id: string): Promise<void>;

  // Integration secrets (encrypted at rest; plaintext in and out)
  setSecret(integrationId: string, key: string, value: string): Promise<void>;
  /** Decrypted values, for the runner only. */
  getSecrets(integrationId: string): Promise<Record<string, string>>;
  /** Names and update times only, for the API. */
  listSecretKeys(integrationId: string): Promise<SecretKeyRecord[]>;
  /** Returns whether a secret was deleted. */
  deleteSecret(integrationId: string, key: string): Promise<boolean>;

  // Hires and their stored fields
  createHire(input: CreateHireInput): Promise<HireRecord>;
  getHire(id: string): Promise<HireRecord | undefined>;
  /** The oldest hire with this email (case-insensitive). */
  findHireByEmail(email: string): Promise<HireRecord | undefined>;
  listHires(input?: ListHiresInput): Promise<Page<HireRecord>>;
  /** Replaces the hire's props. */
  updateHire(id: string, props: Record<string, JsonValue>): Promise<HireRecord>;
  /**
   * Erases the hire: deletes it and its stored fields, and reduces its runs to their skeleton
   * (no params, bodies, headers, URLs past the host, saved responses or messages), unlinked from
   * it. CONFLICT while one of its runs is unfinished.
   */
  deleteHire(id: string): Promise<HireErasure>;
  /** The fields as they may be shown: sensitive ones masked. */
  getStoredFields(hireId: string): Promise<Record<string, StoredFieldRecord>>;
  /** The fields' real values (sensitive ones decrypted), for runs only. */
  getStoredValues(hireId: string): Promise<Record<string, StoredValue>>;
  /** Sets a field; with `sensitive` it is encrypted at rest and shown as `sensitive.shown`. */
  setStoredField(
    hireId: string,
    name: string,
    value: JsonValue,
    sensitive?: SensitiveView,
  ): Promise<StoredFieldRecord>;
  deleteStoredField(hireId: string, name: string): Promise<boolean>;
  /**
   * Adds hires and writes stored fields in one transaction, together with the record under
   * `input.key`, at most once per key across every process sharing the store: when the key is
   * already set nothing is written and the earlier record is returned.
   */
  applyHireChanges(input: ApplyHireChangesInput): Promise<AppliedHireChanges>;

  /**
   * What starting a run of the integration for the hire reads, in one round trip: each part as
   * its own read would return it (`getIntegration`, `getHire`, `getStoredValues`); secrets are
   * decrypted on the first call of `secrets()`, which throws as `getSecrets` does.
   */
  getRunInputs(integrationId: string, hireId: string): Promise<RunInputs>;

  // Runs
  /** `created` is false when the idempotency key was already used: the existing run is returned. */
  createRun(input: CreateRunInput): Promise<{ run: RunRecord; created: boolean }>;
  getRun(id: string): Promise<RunRecord | undefined>;
  /** The run an integration created with this idempotency key (the key is unique per integration). */
  findRunByIdempotencyKey(integrationId: string, key: string): Promise<RunRecord | undefined>;
  /** Newest first. */
  listRuns(input?: ListRunsInput): Promise<Page<RunRecord>>;
  /**
   * Records a cancel or resume request for the driver. Cancel: any unfinished run (a waiting run
   * becomes due now). Resume: a failed or blocked run (it becomes queued). Else CONFLICT.
   */
  requestRun(runId: string, request: RunRequest, now: number): Promise<RunRecord>;

  // Leases and waits
  /**
   * Atomically leases up to `limit` due runs to `owner`: queued runs, waiting runs whose wake time
   * has come, and running runs whose driver's lease expired (`recovered: true`). Runs whose lease
   * is still held by anyone are skipped. A due run whose row cannot be trusted is failed in the
   * same transaction and returned with `fault` set (not leased): report it, do not drive it.
   */
  claimRuns(input: ClaimRunsInput): Promise<ClaimedRun[]>;
  /** `claimRuns`, with the next wake-up time when fewer than `limit` runs were due. */
  claimDue(input: ClaimRunsInput): Promise<ClaimResult>;
  /** Extends the lease; false when `owner` no longer holds it. */
  renewLease(input: LeaseInput): Promise<boolean>;
  releaseLease(runId: string, owner: string): Promise<void>;
  /**
   * The earliest time `claimRuns` will find a run (may be in the past: claim now), or null when
   * no run is pending. Lets a scheduler sleep instead of polling.
   */
  nextWakeAt(): Promise<number | null>;
  /** How many runs are in each status, and how many are due at `now` but not leased (monitoring). */
  countRuns(now: number): Promise<RunCounts>;
  /**
   * Calls `listener` soon after any process sharing this store makes a run due (creates, resumes
   * or cancels one, or lets one go), so an idle scheduler looks at once. A hint, not a promise:
   * keep polling `nextWakeAt` as well. Returns the function that stops listening.
   */
  onRunsDue(listener: () => void): () => void;

  // Rate limits (shared by every process on the database; see rate-bucket.ts)
  /**
   * One atomic step on the integration's bucket: takes a token and an in-flight slot leased for
   * `leaseMs`, or says when to ask again (nothing taken). Expired slots are dropped first.
   */
  acquireRateSlot(input: AcquireRateSlotInput): Promise<RateSlotAnswer>;
  /** Gives the slot back; a 429 (`throttled`) halves the rate and pauses for its Retry-After. */
  releaseRateSlot(input: ReleaseRateSlotInput): Promise<void>;
  /** The integration's bucket as last written (undefined: never used), slots counted at `now`. */
  getRateLimitState(integrationId: string, now: number): Promise<RateLimitState | undefined>;

  /** One transaction: lease check, run row, attempt row, stored fields. */
  checkpoint(input: CheckpointInput): Promise<RunRecord>;
  /** The same write as `checkpoint`; answers only the run's pending request, not the whole row. */
  saveCheckpoint(input: CheckpointInput): Promise<CheckpointNote>;
  listAttempts(runId: string): Promise<AttemptRecord[]>;
  /**
   * Attempt retention: reduces up to `limit` runs that finished before `before` to their skeleton
   * (as deleting their hire would, but they stay linked to it); returns how many.
   */
  eraseFinishedRuns(before: number, limit?: number): Promise<number>;

  // Run files
  addFile(input: AddFileInput): Promise<FileRecord>;
  listFiles(runId: string): Promise<FileRecord[]>;
  /** Files whose `expiresAt` is at or before `now`, for retention cleanup. */
  expiredFiles(now: number, limit?: number): Promise<FileRecord[]>;
  deleteFile(id: string): Promise<boolean>;

  // API tokens
  createApiToken(input: {
    name: string;
    tokenHash: string;
    source?: ApiTokenSource;
  }): Promise<ApiTokenRecord>;
  findApiTokenByHash(tokenHash: string): Promise<ApiTokenRecord | undefined>;
  getApiToken(id: string): Promise<ApiTokenRecord | undefined>;
  /** Oldest first. */
  listApiTokens(): Promise<ApiTokenRecord[]>;
  countApiTokens(): Promise<number>;
  deleteApiToken(id: string): Promise<boolean>;
  /** Records a use of the token at `now`. */
  touchApiToken(id: string, now: number): Promise<void>;
  /**
   * Makes `tokenHash` the one `env` token (null: none): other `env` tokens are deleted and this
   * one is added unless a token with this hash exists — one transaction.
   */
  replaceEnvApiToken(tokenHash: string | null, name: string): Promise<void>;

  // Settings (small key/value pairs, e.g. first-start flags)
  getSetting(key: string): Promise<JsonValue | undefined>;
  setSetting(key: string, value: JsonValue): Promise<void>;

  // Named locks across every process sharing the store (work to do once at a time)
  /**
   * Takes (or, for its holder, extends) the lock `name` until `now + leaseMs`: true when `owner`
   * holds it now, false while someone else holds it and its time has not passed. Never waits.
   */
  takeLock(input: LockInput): Promise<boolean>;
  /** Lets the lock go when `owner` holds it. */
  releaseLock(name: string, owner: string): Promise<void>;

  /** A cheap check that the database is still usable (for /healthz); never throws. */
  health(): Promise<StoreHealth>;

  close(): Promise<void>;
}
