// How a variable's value becomes text in a rendered template (docs/manifest.md), and Django's
// notion of a "false" value that the `default` filter replaces.

/**
 * Strings as they are, numbers and booleans as their JSON text, objects and arrays as compact
 * JSON, null as the empty string. Never HTML-escaped.
 */
export function valueToText(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === null || value === undefined) return "";
  if (typeof value === "number")
    return Number.isFinite(value) ? JSON.stringify(value) : String(value);
  if (typeof value === "boolean" || typeof value === "bigint") return String(value);
  return JSON.stringify(value) ?? "";
}

/** Python truthiness as Django's `default` sees it: "", null, false, 0, [] and {} are false. */
export function isFalsy(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === "") {
    return true;
  }
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === "object") return Object.keys(value).length === 0;
  return false;
}
