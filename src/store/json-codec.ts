// Encoding of JSON columns, the same for every dialect: text in, and on the way out either text
// (SQLite, Postgres text) or an already-parsed value (Postgres jsonb via node-postgres).
import { hirewireError } from "../errors/index.ts";

/** Encodes a value for a JSON column; throws INPUT_INVALID for values JSON cannot hold. */
export function encodeJson(value: unknown, what: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw hirewireError("INPUT_INVALID", "notJsonData", { what }, { cause: error });
  }
  if (text === undefined) {
    throw hirewireError("INPUT_INVALID", "notJsonData", { what });
  }
  return text;
}

/** Decodes a JSON column read back from the database. */
export function decodeJson<T>(raw: unknown): T {
  return (typeof raw === "string" ? JSON.parse(raw) : raw) as T;
}

/** Decodes a nullable JSON column. */
export function decodeJsonOrNull<T>(raw: unknown): T | null {
  return raw === null || raw === undefined ? null : decodeJson<T>(raw);
}

/** Numbers come back as text from Postgres BIGINT columns. */
export function toMillis(raw: unknown): number {
  return Number(raw);
}

/** Nullable variant of `toMillis`. */
export function toMillisOrNull(raw: unknown): number | null {
  return raw === null || raw === undefined ? null : Number(raw);
}
