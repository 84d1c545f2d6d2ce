// The record of one attempt as it is logged, stored and shown: what was sent, what came back, how
// long it took — masked as it is built. Bodies are masked before they are cut to length (a cut
// first could leave part of a secret that no longer matches).
import type { ErrorInfo } from "../errors/index.ts";
import type { AttemptOutcome, RedirectHop, RequestSpec } from "../exchange/types.ts";
import type { Redactor } from "../redact/index.ts";
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
  redactor: Pick<Redactor, "redactClipped" | "redact" | "redactString">,
): AttemptRecord {
  const { request, outcome } = input;
  const clip = (text: string): string => {
    const kept = redactor.redactClipped(text, RECORD_BODY_CHARS);
    return kept.omitted > 0 ? `${kept.text}… (${kept.omitted} more chars)` : kept.text;
  };
  // Masked field by field as it is built (the record's own keys are no secrets' values), each
  // text scanned once: a walk over the finished record would copy every part holding a secret.
  const text = (value: string): string => redactor.redactString(value);
  // A number equal to a numeric secret is masked too (it becomes its `***NAME***`).
  const count = (value: number): number => redactor.redact(value);
  const headers: Record<string, string> = {};
  for (const [name, value] of request.headers) setOwn(headers, text(name), text(value));
  const sent: AttemptRecord["request"] = {
    method: text(request.method),
    url: text(request.url),
    headers,
  };
  const body = request.body;
  if (body.kind === "text") sent.body = clip(body.text);
  else if (body.kind === "multipart") {
    sent.body = clip(
      JSON.stringify(Object.fromEntries(body.fields.map((field) => [field.name, field.value]))),
    );
    sent.files = body.files.map(({ field, file }) => ({
      field: text(field),
      name: text(file.name),
      size: count(file.size),
      contentType: text(file.contentType),
    }));
  }
  const record: AttemptRecord = {
    step: count(input.step),
    attempt: count(input.attempt),
    startedAt: count(input.startedAt),
    durationMs: count(outcome.durationMs),
    request: sent,
    redirects: redactor.redact(outcome.redirects),
  };
  if (input.name !== undefined) record.name = text(input.name);
  if (input.resentAfterInterruption === true) record.resentAfterInterruption = true;
  const response = outcome.response;
  if (response !== undefined) {
    record.response = {
      status: count(response.status),
      headers: redactor.redact(response.headers),
    };
    if (response.file !== undefined)
      record.response.file = {
        name: text(response.file.name),
        size: count(response.file.size),
        contentType: text(response.file.contentType),
      };
    else if (response.text !== undefined) record.response.body = clip(response.text);
  }
  if (outcome.type === "error") record.error = redactor.redact(outcome.error);
  return record;
}
