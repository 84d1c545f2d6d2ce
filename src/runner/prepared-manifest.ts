// Validating a manifest once and running it many times: `prepareManifest` validates and deep-
// freezes a copy, and every runner entry point accepts the result without validating again. A
// service running thousands of hires through one integration pays for validation once: its
// integrations' manifests are read through `integrationManifest`, which keeps one prepared
// manifest per saved version.
import { deepFreeze } from "../json/deep-freeze.ts";
import { validateManifest } from "../manifest/index.ts";
import type { JsonValue, ValidationResult } from "../manifest/types.ts";

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
  return preparedFrom({ ...result, manifest: structuredClone(result.manifest) });
}

/**
 * A validation that already succeeded (`parseManifest`'s, say), kept as it is: its manifest is
 * frozen, not copied, and the runner takes it without validating again.
 */
export function preparedFrom(result: PreparedManifest): PreparedManifest {
  if (prepared.has(result)) return result;
  const frozen: PreparedManifest = Object.freeze({
    ok: true as const,
    manifest: deepFreeze(result.manifest),
    warnings: result.warnings,
  });
  prepared.add(frozen);
  return frozen;
}

/** Raw manifests that validated, prepared, by their JSON text (the newest RAW_CACHE_LIMIT). */
const byText = new Map<string, PreparedManifest>();
const RAW_CACHE_LIMIT = 64;
/** Longer manifest texts are not kept (a manifest is a few KB; the cache keeps its text). */
const RAW_CACHE_MAX_CHARS = 256 * 1024;

/**
 * For the runner: a prepared manifest as it is, anything else validated. A library caller most
 * often runs the same manifest JSON for hire after hire: a manifest whose JSON text validated
 * before is taken prepared from a small cache, so it is validated (and kept) once, not per run.
 * Manifests are JSON: two inputs with the same JSON text are the same manifest.
 */
export function validated(input: unknown): ValidationResult {
  if (isPrepared(input)) return input;
  // The same object as lately, still holding the same JSON: no text to make and look up.
  for (const seen of recent)
    if (seen.input === input && sameJson(input, seen.json)) return seen.prepared;
  const text = jsonText(input);
  let kept: PreparedManifest | undefined;
  if (text !== undefined) kept = byText.get(text);
  if (kept === undefined) {
    const result = validateManifest(input);
    if (!result.ok || text === undefined || text.length > RAW_CACHE_MAX_CHARS) return result;
    kept = preparedFrom({ ...result, manifest: structuredClone(result.manifest) });
    if (byText.size >= RAW_CACHE_LIMIT) byText.delete(byText.keys().next().value!);
    byText.set(text, kept);
  }
  if (recent.length >= RECENT_LIMIT) recent.shift();
  recent.push({ input: input as object, json: JSON.parse(text!) as unknown, prepared: kept });
  return kept;
}

/**
 * The raw manifest objects given lately, each with its JSON as it was then (parsed back from its
 * text) and what it prepared to: a caller running one manifest object for hire after hire is
 * answered by comparing the object with that JSON, without making its text. A mutated object no
 * longer compares equal and is looked up by its new text.
 */
const recent: Array<{ input: object; json: unknown; prepared: PreparedManifest }> = [];
const RECENT_LIMIT = 8;

/**
 * True when `value` would be written as the JSON that `json` was parsed from: plain objects with
 * the same keys in the same order, arrays of the same length, equal strings, numbers, booleans
 * and nulls. Anything JSON would write differently (undefined, a Date, a class, a function, a
 * hole) compares unequal, which only means the text is made and looked up.
 */
function sameJson(value: unknown, json: unknown): boolean {
  if (value === json) return true;
  if (typeof value !== "object" || value === null || typeof json !== "object" || json === null)
    return false;
  if (Array.isArray(value)) {
    if (!Array.isArray(json) || value.length !== json.length) return false;
    for (let i = 0; i < value.length; i += 1)
      if (!Object.hasOwn(value, i) || !sameJson(value[i], json[i])) return false;
    return true;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if ((proto !== Object.prototype && proto !== null) || Array.isArray(json)) return false;
  const keys = Object.keys(value);
  const jsonKeys = Object.keys(json);
  if (keys.length !== jsonKeys.length) return false;
  for (let i = 0; i < keys.length; i += 1) {
    const key = keys[i]!;
    if (key !== jsonKeys[i]) return false;
    if (!sameJson((value as Record<string, unknown>)[key], (json as Record<string, unknown>)[key]))
      return false;
  }
  return true;
}

/** The input's JSON text; undefined when it has none (a cycle, a BigInt, not an object). */
// Even a huge manifest's text is made once per call: about what validating it costs anyway.
function jsonText(input: unknown): string | undefined {
  if (typeof input !== "object" || input === null) return undefined;
  try {
    return JSON.stringify(input);
  } catch {
    return undefined;
  }
}

function isPrepared(input: unknown): input is PreparedManifest {
  return typeof input === "object" && input !== null && prepared.has(input);
}

/** What identifies one saved version of an integration's manifest. */
export interface IntegrationVersion {
  id: string;
  /** Set by the store on every update. */
  updatedAt: number;
  manifest: JsonValue;
}

interface CachedVersion {
  updatedAt: number;
  /** The manifest as read: when it is frozen, the very same value is known without its text. */
  manifest: JsonValue;
  /** The manifest's text, so two updates within one millisecond still read as two versions. */
  text: string;
  result: ValidationResult;
}

/** Integrations whose validation is kept; beyond this the cache starts over. */
const CACHE_LIMIT = 1_000;
const versions = new Map<string, CachedVersion>();
let validations = 0;

/**
 * The integration's manifest, prepared: validated once per saved version (integration id and
 * `updatedAt`, the manifest's text guarding against two saves within a millisecond) and kept,
 * however many runs, checks, forms and syncs read it. An update is seen at once: its
 * `updatedAt` (and text) differ, so the new version is validated the first time it is read.
 */
export function integrationManifest(integration: IntegrationVersion): ValidationResult {
  const cached = versions.get(integration.id);
  // The store hands out a manifest read before as the same frozen value (it cannot have changed).
  if (
    cached !== undefined &&
    cached.manifest === integration.manifest &&
    cached.updatedAt === integration.updatedAt &&
    Object.isFrozen(integration.manifest)
  )
    return cached.result;
  const text = JSON.stringify(integration.manifest) ?? "null";
  if (cached !== undefined && cached.updatedAt === integration.updatedAt && cached.text === text)
    return cached.result;
  validations += 1;
  const result = prepareManifest(integration.manifest);
  if (versions.size >= CACHE_LIMIT && !versions.has(integration.id)) versions.clear();
  versions.set(integration.id, {
    updatedAt: integration.updatedAt,
    manifest: integration.manifest,
    text,
    result,
  });
  return result;
}

/**
 * After a save that validated the manifest (`result`, of the manifest as sent): the saved version
 * is kept as prepared, so its first run does not validate it again. Keyed by the record as the
 * store returned it; a store that reorders keys only costs one more validation later.
 */
export function rememberIntegrationManifest(
  integration: IntegrationVersion,
  result: PreparedManifest,
): void {
  const text = JSON.stringify(integration.manifest) ?? "null";
  const kept = preparedFrom({ ...result, manifest: structuredClone(result.manifest) });
  if (versions.size >= CACHE_LIMIT && !versions.has(integration.id)) versions.clear();
  versions.set(integration.id, {
    updatedAt: integration.updatedAt,
    manifest: integration.manifest,
    text,
    result: kept,
  });
}

/** How many times `integrationManifest` validated a manifest in this process (for tests). */
export function integrationValidations(): number {
  return validations;
}
