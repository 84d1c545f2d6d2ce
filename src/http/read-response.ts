// A response read into memory as a ResponseRecord: its text kept, and parsed as JSON when it is.
import type { ResponseRecord } from "../exchange/types.ts";
import type { JsonValue } from "../manifest/types.ts";

/** The text parsed as JSON, or undefined when it is not JSON (whatever the Content-Type says). */
function parseJsonBody(text: string): JsonValue | undefined {
  // Skipping texts that cannot start a JSON value avoids a throw-and-catch for HTML and such.
  const first = text.trimStart().charCodeAt(0);
  const canStart =
    first === 0x7b || // {
    first === 0x5b || // [
    first === 0x22 || // "
    first === 0x2d || // -
    (first >= 0x30 && first <= 0x39) ||
    first === 0x74 || // t
    first === 0x66 || // f
    first === 0x6e; // n
  if (!canStart) return undefined;
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) as JsonValue;
  } catch {
    return undefined;
  }
}

/** Builds the record for an in-memory body. */
export function textResponse(
  status: number,
  headers: Record<string, string>,
  url: string,
  text: string,
): ResponseRecord {
  const response: ResponseRecord = { status, headers, text, url };
  const json = parseJsonBody(text);
  if (json !== undefined) response.json = json;
  return response;
}
