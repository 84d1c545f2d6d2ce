// Store records → API JSON: snake_case keys, ISO 8601 timestamps, and nothing that must not leave
// the server (secret values, a run's generated values, token hashes, lease internals).
import type { JsonValue } from "../../manifest/index.ts";
import type {
  AttemptRecord,
  FileRecord,
  HireRecord,
  IntegrationRecord,
  RunRecord,
  StoredFieldRecord,
} from "../../store/records.ts";
import { notificationsJson } from "./notifications-view.ts";

/** Epoch milliseconds → ISO 8601 (UTC). */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : iso(ms);
}

export function integrationJson(record: IntegrationRecord) {
  return {
    id: record.id,
    name: record.name,
    manifest: record.manifest,
    options: {
      idempotency_keys: record.options.idempotencyKeys,
      ...(record.options.allowedHosts !== undefined
        ? { allowed_hosts: record.options.allowedHosts }
        : {}),
    },
    created_at: iso(record.createdAt),
    updated_at: iso(record.updatedAt),
  };
}

/** A stored field as shown: a secret one (`secret: true`) only as its masked view. */
export function storedFieldJson(field: StoredFieldRecord) {
  return {
    value: field.value,
    secret: field.sensitive,
    updated_at: iso(field.updatedAt),
    run_id: field.runId,
  };
}

export function storedFieldsJson(fields: Record<string, StoredFieldRecord>) {
  return Object.fromEntries(
    Object.entries(fields).map(([name, field]) => [name, storedFieldJson(field)]),
  );
}

export function hireJson(record: HireRecord) {
  return {
    id: record.id,
    props: record.props,
    created_at: iso(record.createdAt),
    updated_at: iso(record.updatedAt),
  };
}

/**
 * A run without its attempts and files. `state.generated` (values made for "generate" items) and
 * the rest of the raw state stay server-side; only the step, attempt and stored fields show.
 */
/** A sync's users can be thousands: runs show their count; the sync preview shows them all. */
function summarizeResult(record: RunRecord): JsonValue {
  const result = record.state?.result;
  if (result === undefined) return null;
  if (
    record.block === "sync" &&
    result !== null &&
    typeof result === "object" &&
    !Array.isArray(result) &&
    Array.isArray(result.users)
  ) {
    const { users, ...rest } = result;
    return { ...rest, user_count: users.length };
  }
  return result;
}

export function runJson(record: RunRecord) {
  return {
    id: record.id,
    integration_id: record.integrationId,
    hire_id: record.hireId,
    block: record.block,
    status: record.status,
    params: record.params,
    step: record.state?.step ?? 0,
    attempt: record.state?.attempt ?? 0,
    error: record.error,
    stored: (record.state?.stored ?? {}) as Record<string, JsonValue>,
    result: summarizeResult(record),
    notifications: notificationsJson(record.state?.notifications),
    resent_after_interruption: (record.state?.resentAfterInterruption ?? []).map((resend) => ({
      step: resend.step,
      attempt: resend.attempt,
      at: iso(resend.at),
    })),
    wake_at: isoOrNull(record.wakeAt),
    pending_request: record.request,
    idempotency_key: record.idempotencyKey,
    created_at: iso(record.createdAt),
    updated_at: iso(record.updatedAt),
    finished_at: isoOrNull(record.finishedAt),
    erased:
      record.erased === undefined
        ? null
        : { at: iso(record.erased.at), reason: record.erased.reason },
  };
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** `{name, size, contentType}` as the runner records it → `{name, size, content_type}`. */
function fileSummary(value: unknown): Record<string, unknown> | undefined {
  const file = asObject(value);
  if (file === undefined) return undefined;
  const { contentType, ...rest } = file;
  return contentType === undefined ? rest : { ...rest, content_type: contentType };
}

function requestJson(value: unknown): Record<string, unknown> | undefined {
  const request = asObject(value);
  if (request === undefined) return undefined;
  if (!Array.isArray(request.files)) return request;
  return { ...request, files: request.files.map(fileSummary) };
}

function responseJson(value: unknown): Record<string, unknown> | undefined {
  const response = asObject(value);
  if (response === undefined || response.file === undefined) return response;
  return { ...response, file: fileSummary(response.file) };
}

/** One attempt: timing from the row, request/response/redirects/error from the runner's record. */
export function attemptJson(record: AttemptRecord) {
  const recorded = asObject(record.record) ?? {};
  return {
    id: record.id,
    seq: record.seq,
    step: record.step,
    attempt: record.attempt,
    ...(typeof recorded.name === "string" ? { name: recorded.name } : {}),
    started_at: iso(record.startedAt),
    duration_ms: record.durationMs,
    request: requestJson(recorded.request) ?? null,
    response: responseJson(recorded.response) ?? null,
    redirects: Array.isArray(recorded.redirects) ? recorded.redirects : [],
    error: asObject(recorded.error) ?? null,
    resent_after_interruption: recorded.resentAfterInterruption === true,
  };
}

export function fileJson(record: FileRecord, runId: string) {
  return {
    name: record.name,
    size: record.size,
    content_type: record.contentType,
    created_at: iso(record.createdAt),
    expires_at: isoOrNull(record.expiresAt),
    download_url: `/api/runs/${encodeURIComponent(runId)}/files/${encodeURIComponent(record.name)}`,
  };
}
