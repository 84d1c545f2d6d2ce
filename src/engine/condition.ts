// continue_if (docs/manifest.md): the rendered value equals the value at the notation, compared as
// text. Numbers, booleans and null compare by their JSON text, objects and arrays by compact JSON,
// and a missing path reads as "" (so `value: ""` matches a missing key, as in ChiefOnboarding).
import type { JsonValue } from "../manifest/types.ts";
import { readNotation } from "../json/notation.ts";

/** The text a value compares as. */
export function comparableText(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === undefined) return "";
  return JSON.stringify(value);
}

export interface ConditionResult {
  matched: boolean;
  /** The text seen at the notation ("" when missing). */
  seen: string;
  found: boolean;
}

export function evaluateCondition(
  body: JsonValue | undefined,
  notation: string,
  expected: string,
): ConditionResult {
  const lookup = readNotation(body, notation);
  const seen = lookup.found ? comparableText(lookup.value) : "";
  return { matched: seen === expected, seen, found: lookup.found };
}
