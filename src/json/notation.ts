// Reading a value out of JSON by dotted notation (docs/manifest.md), shared by templates,
// store_data and continue_if.
import type { JsonValue } from "../json/json-value.ts";

export type Lookup = { found: true; value: unknown } | { found: false };

/** Splits `a.b.0.c` into segments; the empty notation is the whole value (no segments). */
function splitNotation(notation: string): string[] {
  return notation === "" ? [] : notation.split(".");
}

/**
 * Follows `segments` into `root`: on an object take the key (a numeric-looking key is a key), on
 * an array take the integer index; anything else is "not found". A JSON null at the path is found.
 * `from` skips the first segments (a scope has already used the first one to pick its layer).
 */
export function readPath(root: unknown, segments: readonly string[], from = 0): Lookup {
  let current: unknown = root;
  for (let i = from; i < segments.length; i++) {
    const segment = segments[i]!;
    if (Array.isArray(current)) {
      if (!/^(0|[1-9][0-9]*)$/.test(segment)) return { found: false };
      const index = Number(segment);
      if (index >= current.length) return { found: false };
      current = current[index];
    } else if (current !== null && typeof current === "object") {
      if (!Object.prototype.hasOwnProperty.call(current, segment)) return { found: false };
      current = (current as Record<string, unknown>)[segment];
    } else {
      return { found: false };
    }
  }
  return current === undefined ? { found: false } : { found: true, value: current };
}

export function readNotation(root: JsonValue | undefined, notation: string): Lookup {
  if (root === undefined) return { found: false };
  // Most notations are one key (`id`, `status`): read it without splitting into an array.
  if (notation !== "" && !notation.includes(".")) return readKey(root, notation);
  return readPath(root, splitNotation(notation));
}

/** `readPath(root, [segment])`, without the array. */
function readKey(root: unknown, segment: string): Lookup {
  let value: unknown;
  if (Array.isArray(root)) {
    if (!/^(0|[1-9][0-9]*)$/.test(segment)) return { found: false };
    value = root[Number(segment)];
  } else if (root !== null && typeof root === "object") {
    if (!Object.prototype.hasOwnProperty.call(root, segment)) return { found: false };
    value = (root as Record<string, unknown>)[segment];
  } else return { found: false };
  return value === undefined ? { found: false } : { found: true, value };
}
