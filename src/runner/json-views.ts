// The JSON views shared by the API and the CLI's `--json`: snake_case keys for hirewire's own
// fields, ISO 8601 times, headers as objects, one attempt shape. User data (stored field names,
// header names, bodies, params) passes through unrenamed. Pure: no framework imports.
import type { RequestSpec } from "../exchange/types.ts";
import type { AttemptRecord as StoredAttempt } from "../store/records.ts";

/** Epoch milliseconds → ISO 8601 (UTC). */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : iso(ms);
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

/** What an attempt view is made from: a stored attempt row, or (CLI) one with no id. */
export type AttemptSource = Pick<
  StoredAttempt,
  "seq" | "step" | "attempt" | "startedAt" | "durationMs"
> & { id: string | null; record: unknown };

/** One attempt: timing from the row, request/response/redirects/error from the runner's record. */
export function attemptJson<Id extends string | null>(record: AttemptSource & { id: Id }) {
  const recorded = asObject(record.record) ?? {};
  return {
    id: record.id as Id,
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

/**
 * A request rendered but not sent (dry run), in an attempt's request shape: headers as an object,
 * a multipart body's fields as a JSON text `body` beside its `files`.
 */
export function requestSpecJson(request: RequestSpec) {
  const body = request.body;
  return {
    method: request.method,
    url: request.url,
    headers: Object.fromEntries(request.headers),
    ...(body.kind === "text" ? { body: body.text } : {}),
    ...(body.kind === "multipart"
      ? {
          body: JSON.stringify(
            Object.fromEntries(body.fields.map((field) => [field.name, field.value])),
          ),
          files: body.files.map(({ field, file }) => ({
            field,
            name: file.name,
            size: file.size,
            content_type: file.contentType,
          })),
        }
      : {}),
    timeout_ms: request.timeoutMs,
    max_redirects: request.maxRedirects,
    ...(request.saveAs !== undefined ? { save_as: request.saveAs } : {}),
  };
}
