// The tables as Kysely sees them. JSON columns hold encoded text (see json-codec.ts); timestamps
// are epoch milliseconds. Postgres returns BIGINT as text, so readers pass numbers through Number().
import type { Generated } from "kysely";

/** Epoch milliseconds; a string when a driver returns BIGINT as text. */
type Millis = number;
/** JSON encoded by `encodeJson`; a parsed value when a driver decodes jsonb itself. */
type JsonColumn = string;

export interface IntegrationsTable {
  id: string;
  name: string;
  manifest: JsonColumn;
  options: JsonColumn;
  created_at: Millis;
  updated_at: Millis;
  /** Set when deleted while runs referred to it: a tombstone that listings hide. */
  deleted_at: Generated<Millis | null>;
}

export interface IntegrationSecretsTable {
  integration_id: string;
  key: string;
  /** SecretCipher token. */
  value_enc: string;
  created_at: Millis;
  updated_at: Millis;
}

export interface HiresTable {
  id: string;
  /** Lower-cased `props.email`, kept apart for lookups. */
  email: string | null;
  /** 1 for a hire that shared its email with an older one before emails were unique (kept). */
  email_duplicate: Generated<number>;
  props: JsonColumn;
  created_at: Millis;
  updated_at: Millis;
}

export interface StoredFieldsTable {
  hire_id: string;
  name: string;
  /** The value; for a sensitive field, only its masked view. */
  value: JsonColumn;
  /** 1 when the value holds a secret (then `value_enc` is set), else 0. */
  sensitive: number;
  /** SecretCipher token of the value's JSON, for sensitive fields. */
  value_enc: string | null;
  run_id: string | null;
  updated_at: Millis;
}

export interface RunsTable {
  id: string;
  integration_id: string;
  hire_id: string | null;
  block: string;
  status: string;
  params: JsonColumn;
  /** The run state without `generated`. */
  state: JsonColumn | null;
  /** SecretCipher token of the state's `generated` map. */
  generated_enc: string | null;
  error: JsonColumn | null;
  idempotency_key: string | null;
  wake_at: Millis | null;
  lease_owner: string | null;
  lease_expires_at: Millis | null;
  request: string | null;
  created_at: Millis;
  updated_at: Millis;
  finished_at: Millis | null;
  /** When the run's personal details were erased (hire deleted, or attempt retention). */
  erased_at: Generated<Millis | null>;
  /** Why: "hire deleted" or "retention". */
  erased_reason: Generated<string | null>;
}

export interface AttemptsTable {
  id: string;
  run_id: string;
  seq: number;
  step: number;
  attempt: number;
  started_at: Millis;
  duration_ms: number;
  record: JsonColumn;
}

export interface FilesTable {
  id: string;
  run_id: string;
  name: string;
  ref: string;
  size: number;
  content_type: string;
  created_at: Millis;
  expires_at: Millis | null;
}

export interface ApiTokensTable {
  id: string;
  name: string;
  token_hash: string;
  created_at: Millis;
  last_used_at: Millis | null;
  /** ApiTokenSource. */
  source: string;
}

/** One saved run file body (in the database: PostgreSQL stores). */
export interface RunFileBodiesTable {
  id: string;
  run_id: string;
  /** The FileRef.ref callers keep. */
  ref: string;
  size: number;
  /** 0 while being written (or left by a process that died mid-save), 1 once whole. */
  complete: number;
  created_at: Millis;
  updated_at: Millis;
}

/** A run file body's bytes, by the position of each chunk's first byte. */
export interface RunFileChunksTable {
  body_id: string;
  position: number;
  bytes: Uint8Array;
}

export interface SettingsTable {
  key: string;
  value: JsonColumn;
  updated_at: Millis;
}

/** A named lock across processes (see queries/locks.ts). */
export interface LocksTable {
  name: string;
  owner: string;
  expires_at: Millis;
}

/** One row per integration with a rate limit that was used: its shared bucket (rate-bucket.ts). */
export interface RateLimitsTable {
  integration_id: string;
  tokens: number;
  refilled_at: Millis;
  /** Requests per second now; null when the limit sets no rate. */
  rate: number | null;
  paused_until: Millis | null;
  decreased_at: Millis | null;
  /** JSON object: slot id → lease expiry (epoch ms). */
  slots: JsonColumn;
  throttled: number;
  updated_at: Millis;
}

export interface Database {
  integrations: IntegrationsTable;
  integration_secrets: IntegrationSecretsTable;
  hires: HiresTable;
  stored_fields: StoredFieldsTable;
  runs: RunsTable;
  attempts: AttemptsTable;
  files: FilesTable;
  api_tokens: ApiTokensTable;
  settings: SettingsTable;
  locks: LocksTable;
  run_file_bodies: RunFileBodiesTable;
  run_file_chunks: RunFileChunksTable;
  rate_limits: RateLimitsTable;
}
