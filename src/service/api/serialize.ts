// Store records → API JSON: snake_case keys, ISO 8601 timestamps, and nothing that must not leave
// the server (secret values, a run's generated values, token hashes, lease internals).
import type { JsonValue } from "../../manifest/index.ts";
import type {
  FileRecord,
  HireRecord,
  IntegrationRecord,
  RateLimitState,
  RunRecord,
  StoredFieldRecord,
} from "../../store/records.ts";
import { iso, isoOrNull } from "../../runner/json-views.ts";
import { notificationsView } from "../../runner/notifications-view.ts";

export { attemptJson, iso } from "../../runner/json-views.ts";

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
      ...(record.options.rateLimit !== undefined
        ? { rate_limit: rateLimitJson(record.options.rateLimit) }
        : {}),
    },
    created_at: iso(record.createdAt),
    updated_at: iso(record.updatedAt),
  };
}

function rateLimitJson(limit: NonNullable<IntegrationRecord["options"]["rateLimit"]>) {
  return {
    ...(limit.requestsPerSecond !== undefined
      ? { requests_per_second: limit.requestsPerSecond }
      : {}),
    ...(limit.burst !== undefined ? { burst: limit.burst } : {}),
    ...(limit.maxInFlight !== undefined ? { max_in_flight: limit.maxInFlight } : {}),
  };
}

/** An integration's shared rate-limit state, as the API shows it. */
export function rateLimitStatusJson(state: RateLimitState) {
  return {
    requests_per_second: state.rate,
    paused_until: isoOrNull(state.pausedUntil),
    in_flight: state.inFlight,
    throttled: state.throttled,
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
    notifications: notificationsView(record.state?.notifications),
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
