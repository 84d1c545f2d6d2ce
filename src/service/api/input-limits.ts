// Limits on what the API stores, so no single request can make every later run (or the whole
// service) slow: counts and sizes of secrets, manifests, hire props, stored fields and params.
// A breach is 413 INPUT_TOO_LARGE naming the limit; nothing is stored then.
import { HirewireError } from "../../errors/index.ts";

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

function tooLarge(message: string, path: string, limit: number): HirewireError {
  return new HirewireError({ code: "INPUT_TOO_LARGE", message, path, details: { limit } });
}

/** Throws INPUT_TOO_LARGE when `count` exceeds `max`. `what` reads "secrets per integration". */
export function assertCount(count: number, max: number, what: string, path: string): void {
  if (count > max)
    throw tooLarge(`at most ${max} ${what} are allowed (this would make ${count})`, path, max);
}

/** Throws INPUT_TOO_LARGE when `value` as JSON is larger than `maxBytes`. */
export function assertJsonSize(value: unknown, maxBytes: number, what: string, path: string): void {
  const bytes = Buffer.byteLength(JSON.stringify(value) ?? "", "utf8");
  if (bytes > maxBytes)
    throw tooLarge(
      `${what} may be at most ${formatKiB(maxBytes)} as JSON (this is ${formatKiB(bytes)})`,
      path,
      maxBytes,
    );
}

function formatKiB(bytes: number): string {
  return bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0
    ? `${bytes / (1024 * 1024)} MiB`
    : `${Math.ceil(bytes / 1024)} KiB`;
}
