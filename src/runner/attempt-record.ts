// The record of one attempt as it is logged, stored and shown: what was sent, what came back, how
// long it took. Bodies are masked here, before they are cut to length (a cut first could leave
// part of a secret that no longer matches); the driver passes the rest through the redactor
// before the record leaves.
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
    body?: string;
    files?: Array<{ field: string; name: string; size: number; contentType: string }>;
  };
  response?: {
    status: number;
    headers: Record<string, string>;
    body?: string;
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
  redactor: Pick<Redactor, "redactClipped">,
): AttemptRecord {
  const { request, outcome } = input;
  const clip = (text: string): string => {
    const kept = redactor.redactClipped(text, RECORD_BODY_CHARS);
    return kept.omitted > 0 ? `${kept.text}… (${kept.omitted} more chars)` : kept.text;
  };
  const record: AttemptRecord = {
    step: input.step,
    attempt: input.attempt,
    startedAt: input.startedAt,
    durationMs: outcome.durationMs,
    request: {
      method: request.method,
      url: request.url,
      headers: Object.fromEntries(request.headers),
      ...describeBody(request.body, clip),
    },
    redirects: outcome.redirects,
  };
  if (input.name !== undefined) record.name = input.name;
  if (input.resentAfterInterruption === true) record.resentAfterInterruption = true;
  const response = outcome.response;
  if (response !== undefined) {
    record.response = { status: response.status, headers: response.headers };
    if (response.file !== undefined)
      record.response.file = {
        name: response.file.name,
        size: response.file.size,
        contentType: response.file.contentType,
      };
    else if (response.text !== undefined) record.response.body = clip(response.text);
  }
  if (outcome.type === "error") record.error = outcome.error;
  return record;
}

function describeBody(
  body: RequestBody,
  clip: (text: string) => string,
): {
  body?: string;
  files?: NonNullable<AttemptRecord["request"]["files"]>;
} {
  switch (body.kind) {
    case "none":
      return {};
    case "text":
      return { body: clip(body.text) };
    case "multipart":
      return {
        body: clip(
          JSON.stringify(Object.fromEntries(body.fields.map((field) => [field.name, field.value]))),
        ),
        files: body.files.map(({ field, file }) => ({
          field,
          name: file.name,
          size: file.size,
          contentType: file.contentType,
        })),
      };
  }
}
