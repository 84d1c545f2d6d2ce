// Validating a manifest once and running it many times: `prepareManifest` validates and deep-
// freezes a copy, and every runner entry point accepts the result without validating again. A
// service running thousands of hires through one integration pays for validation once.
import { validateManifest } from "../manifest/index.ts";
import type { ValidationResult } from "../manifest/types.ts";

const prepared = new WeakSet<object>();

/** A validated, frozen manifest; pass it to `runManifest` and friends instead of the raw JSON. */
export type PreparedManifest = Extract<ValidationResult, { ok: true }>;

/**
 * Validates `input` once. On success the result (and its manifest, frozen) can be given to
 * `runManifest`, `resumeRun` and `dryRun` any number of times.
 */
export function prepareManifest(input: unknown): ValidationResult {
  if (isPrepared(input)) return input;
  const result = validateManifest(input);
  if (!result.ok) return result;
  const frozen: PreparedManifest = Object.freeze({
    ok: true as const,
    manifest: deepFreeze(structuredClone(result.manifest)),
    warnings: result.warnings,
  });
  prepared.add(frozen);
  return frozen;
}

/** For the runner: a prepared manifest as it is, anything else validated (not copied). */
export function validated(input: unknown): ValidationResult {
  return isPrepared(input) ? input : validateManifest(input);
}

function isPrepared(input: unknown): input is PreparedManifest {
  return typeof input === "object" && input !== null && prepared.has(input);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}
