// The record of one attempt as it is logged, stored and shown: what was sent, what came back, how
// long it took — masked. Bodies are masked before they are cut to length (a cut first could leave
// part of a secret that no longer matches) and put in after the rest of the record went through
// the redactor, so each body is scanned once.
import type { ErrorInfo } from "../errors/index.ts";
import type { AttemptOutcome, RedirectHop, RequestBody, RequestSpec } from "../exchange/types.ts";
import type { Redactor } from "../redact/index.ts";

/** Longest body text kept in a record, after masking; the rest is summarised. */
const RECORD_BODY_CHARS = 64 * 1024;

export interface AttemptRecord {
  step: number;
  attempt: number;
  name?: string;
  startedAt: number;
  durationMs: number;
  request: {
    method: string;
    url: string;
    headers: Record<string, string>;
    body?: string | undefined;
    files?: Array<{ field: string; name: string; size: number; contentType: string }>;
  };
  response?: {
    status: number;
    headers: Record<string, string>;
    body?: string | undefined;
    file?: { name: string; size: number; contentType: string };
  };
  redirects: RedirectHop[];
  error?: ErrorInfo;
  /** The request was in flight at a crash and was sent again with the same Idempotency-Key. */
  resentAfterInterruption?: true;
}

export function attemptRecord(
  input: {
    step: number;
    attempt: number;
    name?: string;
    startedAt: number;
    request: RequestSpec;
    outcome: AttemptOutcome;
    resentAfterInterruption?: true;
  },
  redactor: Pick<Redactor, "redactClipped" | "redact">,
): AttemptRecord {
  const { request, outcome } = input;
  const clip = (text: string): string => {
    const kept = redactor.redactClipped(text, RECORD_BODY_CHARS);
    return kept.omitted > 0 ? `${kept.text}… (${kept.omitted} more chars)` : kept.text;
  };
  const headers: Record<string, string> = {};
  for (const [name, value] of request.headers)
    if (name === "__proto__")
      Object.defineProperty(headers, name, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    else headers[name] = value;
  const sent = describeBody(request.body);
  const record: AttemptRecord = {
    step: input.step,
    attempt: input.attempt,
    startedAt: input.startedAt,
    durationMs: outcome.durationMs,
    request: { method: request.method, url: request.url, headers, ...sent.shape },
    redirects: outcome.redirects,
  };
  if (input.name !== undefined) record.name = input.name;
  if (input.resentAfterInterruption === true) record.resentAfterInterruption = true;
  const response = outcome.response;
  const received = response?.file === undefined ? response?.text : undefined;
  if (response !== undefined) {
    record.response = { status: response.status, headers: response.headers };
    if (response.file !== undefined)
      record.response.file = {
        name: response.file.name,
        size: response.file.size,
        contentType: response.file.contentType,
      };
    // The key holds its place (and its order) until the masked body is put in.
    else if (received !== undefined) record.response.body = undefined;
  }
  if (outcome.type === "error") record.error = outcome.error;
  // Everything but the bodies: copied only where something is masked, so the request and
  // response objects below may be this function's own or copies of them — never shared.
  const masked = redactor.redact(record);
  if (sent.text !== undefined) masked.request.body = clip(sent.text);
  if (received !== undefined) masked.response!.body = clip(received);
  return masked;
}

/** The request body's text (masked and cut later) and the record's keys for it, in order. */
function describeBody(body: RequestBody): {
  text?: string;
  shape: { body?: undefined; files?: NonNullable<AttemptRecord["request"]["files"]> };
} {
  switch (body.kind) {
    case "none":
      return { shape: {} };
    case "text":
      return { text: body.text, shape: { body: undefined } };
    case "multipart":
      return {
        text: JSON.stringify(
          Object.fromEntries(body.fields.map((field) => [field.name, field.value])),
        ),
        shape: {
          body: undefined,
          files: body.files.map(({ field, file }) => ({
            field,
            name: file.name,
            size: file.size,
            contentType: file.contentType,
          })),
        },
      };
  }
}
