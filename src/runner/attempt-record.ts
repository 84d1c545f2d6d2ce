// The record of one attempt as it is logged, stored and shown: what was sent, what came back, how
// long it took — masked as it is built. Bodies are masked before they are cut to length (a cut
// first could leave part of a secret that no longer matches).
import type { ErrorInfo } from "../errors/index.ts";
import type { AttemptOutcome, RedirectHop, RequestSpec } from "../exchange/types.ts";
import type { Redactor } from "../redact/index.ts";
import { ObjectSlot } from "../json/object-slot.ts";
import { setOwn } from "../json/own-property.ts";

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

type RecordRedactor = Pick<Redactor, "redactClipped" | "redact" | "redactString" | "size">;

/**
 * The masked request of the last record made of each request, with the redactor that masked it
 * and how many secrets it knew then. A poll or a retry sends the very same request again (the
 * engine reuses it while nothing it reads has changed): its records share one masked copy, unless
 * the run learned a secret since.
 */
const maskedRequests = new ObjectSlot<
  RequestSpec,
  { redactor: RecordRedactor; known: number; sent: AttemptRecord["request"] }
>();

/**
 * The record of one attempt, masked as it is built. Records of the same request may share their
 * `request` part: treat records as read-only.
 */
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
  redactor: RecordRedactor,
): AttemptRecord {
  const { outcome } = input;
  // A number equal to a numeric secret is masked too (it becomes its `***NAME***`).
  const step = redactor.redact(input.step);
  const attempt = redactor.redact(input.attempt);
  const startedAt = redactor.redact(input.startedAt);
  const durationMs = redactor.redact(outcome.durationMs);
  const request = maskedRequest(input.request, redactor);
  const redirects = redactor.redact(outcome.redirects);
  const response = outcome.response && maskedResponse(outcome.response, redactor);
  const name = input.name === undefined ? undefined : redactor.redactString(input.name);
  // The usual record (a named step that got an answer) in one literal with all its keys: kept
  // whole in the object, not in a second store for keys added later, while thousands wait.
  if (
    name !== undefined &&
    response !== undefined &&
    outcome.type !== "error" &&
    input.resentAfterInterruption !== true
  )
    return { step, attempt, startedAt, durationMs, request, redirects, name, response };
  const record: AttemptRecord = { step, attempt, startedAt, durationMs, request, redirects };
  if (name !== undefined) record.name = name;
  if (response !== undefined) record.response = response;
  if (outcome.type === "error") record.error = redactor.redact(outcome.error);
  if (input.resentAfterInterruption === true) record.resentAfterInterruption = true;
  return record;
}

/** Masks and cuts a body's text to RECORD_BODY_CHARS (masked before the cut). */
function clipped(text: string, redactor: RecordRedactor): string {
  const kept = redactor.redactClipped(text, RECORD_BODY_CHARS);
  return kept.omitted > 0 ? `${kept.text}… (${kept.omitted} more chars)` : kept.text;
}

// Masked field by field (the record's own keys are no secrets' values), each text scanned once:
// a walk over the finished record would copy every part holding a secret.
function maskedRequest(request: RequestSpec, redactor: RecordRedactor): AttemptRecord["request"] {
  const known = redactor.size;
  const last = maskedRequests.get(request);
  if (last !== undefined && last.redactor === redactor && last.known === known) return last.sent;
  const text = (value: string): string => redactor.redactString(value);
  const headers: Record<string, string> = {};
  for (const [name, value] of request.headers) setOwn(headers, text(name), text(value));
  const body = request.body;
  const sent: AttemptRecord["request"] =
    body.kind === "text"
      ? {
          method: text(request.method),
          url: text(request.url),
          headers,
          body: clipped(body.text, redactor),
        }
      : body.kind === "multipart"
        ? {
            method: text(request.method),
            url: text(request.url),
            headers,
            body: clipped(
              JSON.stringify(
                Object.fromEntries(body.fields.map((field) => [field.name, field.value])),
              ),
              redactor,
            ),
            files: body.files.map(({ field, file }) => ({
              field: text(field),
              name: text(file.name),
              size: redactor.redact(file.size),
              contentType: text(file.contentType),
            })),
          }
        : { method: text(request.method), url: text(request.url), headers };
  maskedRequests.set(request, { redactor, known, sent });
  return sent;
}

function maskedResponse(
  response: NonNullable<AttemptOutcome["response"]>,
  redactor: RecordRedactor,
): NonNullable<AttemptRecord["response"]> {
  const status = redactor.redact(response.status);
  const headers = redactor.redact(response.headers);
  if (response.file !== undefined)
    return {
      status,
      headers,
      file: {
        name: redactor.redactString(response.file.name),
        size: redactor.redact(response.file.size),
        contentType: redactor.redactString(response.file.contentType),
      },
    };
  if (response.text !== undefined)
    return { status, headers, body: clipped(response.text, redactor) };
  return { status, headers };
}
