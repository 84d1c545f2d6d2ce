// Limits on what the API stores, so no single request can make every later run (or the whole
// service) slow: counts and sizes of secrets, manifests, hire props, stored fields and params.
// A breach is 413 INPUT_TOO_LARGE naming the limit; nothing is stored then.
import { hirewireError } from "../../errors/index.ts";

export const LIMITS = Object.freeze({
  /** Any request body (JSON), in bytes. */
  bodyBytes: 5 * 1024 * 1024,
  /** A manifest as JSON, in bytes. */
  manifestBytes: 1024 * 1024,
  /** Secrets one integration holds (every secret is masked in every record of every run). */
  secretsPerIntegration: 200,
  /** One secret's value, in characters. */
  secretChars: 64 * 1024,
  /** Props of one hire, and their JSON size in bytes. */
  hireProps: 200,
  hirePropsBytes: 256 * 1024,
  /** Stored fields of one hire, and one field's JSON size in bytes. */
  storedFieldsPerHire: 500,
  storedFieldBytes: 64 * 1024,
  /** Params of one run, and their JSON size in bytes. */
  runParams: 100,
  runParamsBytes: 256 * 1024,
});

/** Throws INPUT_TOO_LARGE when `count` exceeds `max`. `what` reads "secrets per integration". */
export function assertCount(count: number, max: number, what: string, path: string): void {
  if (count > max)
    throw hirewireError(
      "INPUT_TOO_LARGE",
      "count",
      { max, what, count },
      { path, details: { limit: max } },
    );
}

/** Throws INPUT_TOO_LARGE when `value` as JSON is larger than `maxBytes`. */
export function assertJsonSize(value: unknown, maxBytes: number, what: string, path: string): void {
  const bytes = Buffer.byteLength(JSON.stringify(value) ?? "", "utf8");
  if (bytes > maxBytes)
    throw hirewireError(
      "INPUT_TOO_LARGE",
      "jsonSize",
      { what, maxBytes, bytes },
      { path, details: { limit: maxBytes } },
    );
}
