// Short, human descriptions of what was sent and what came back, for error messages. Secrets are
// masked at the recorder; an excerpt, being cut short, is masked before the cut.
import type { ResponseRecord } from "../exchange/types.ts";
import type { Step } from "../manifest/types.ts";
import type { TextMask } from "./types.ts";

const EXCERPT_CHARS = 300;

/** `POST https://api.example.com/users` — the final URL when redirects were followed. */
export function describeRequest(step: Step, response: ResponseRecord): string {
  return `${step.method ?? "POST"} ${response.url}`;
}

/**
 * The start of a response body, on one line, for messages. `mask` (RunContext.maskText) runs
 * before the cut: a secret cut in two would no longer be recognised and masked later.
 */
export function excerpt(response: ResponseRecord, mask?: TextMask): string {
  if (response.file !== undefined)
    return `(file ${response.file.name}, ${response.file.size} bytes)`;
  const text = response.json !== undefined ? JSON.stringify(response.json) : (response.text ?? "");
  if (text === "") return "(empty body)";
  const flat = (mask === undefined ? text : mask.redactString(text)).replace(/\s+/g, " ");
  return flat.length > EXCERPT_CHARS
    ? `${flat.slice(0, EXCERPT_CHARS)}… (${text.length} chars)`
    : flat;
}
