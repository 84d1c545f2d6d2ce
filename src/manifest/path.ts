// Manifest paths as admins read them: `execute[1].polling.amount`, `headers.Authorization`,
// `headers["X-Api-Key"]`; the root is "". Keys that are identifiers are dotted, any other key is
// written as a JSON string in brackets, so every path can be read back unambiguously.

/** One step of a path: an object key or an array index. */
export type PathSegment = string | number;

const IDENTIFIER_KEY = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Formats segments as a manifest path, e.g. `["execute", 1, "url"]` → `execute[1].url`. */
export function formatPath(segments: readonly PathSegment[]): string {
  let path = "";
  for (const segment of segments) {
    if (typeof segment === "number") path += `[${segment}]`;
    else if (IDENTIFIER_KEY.test(segment)) path += path === "" ? segment : `.${segment}`;
    else path += `[${JSON.stringify(segment)}]`;
  }
  return path;
}

/** True for a plain JSON-like object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The value at `segments` inside `root`, or undefined when there is none. */
export function valueAt(root: unknown, segments: readonly PropertyKey[]): unknown {
  let current = root;
  for (const segment of segments) {
    if (current === null || typeof current !== "object") return undefined;
    if (!Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}

const PREVIEW_LENGTH = 60;

/** A short, JSON-like rendering of a value for messages: `500`, `"FETCH"`, `{"a":1}`, `a function`. */
export function previewValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  if (typeof value === "function") return "a function";
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "symbol") return "a symbol";
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    // Cyclic or otherwise unserializable input from a library caller.
    text = undefined;
  }
  if (text === undefined) return Array.isArray(value) ? "an array" : "an object";
  return text.length > PREVIEW_LENGTH ? `${text.slice(0, PREVIEW_LENGTH - 1)}…` : text;
}
