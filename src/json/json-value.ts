// The JSON value type, the lowest piece of vocabulary: json/, template/ and manifest/ all use it
// (manifest/types.ts re-exports it, so `JsonValue` from the manifest or the library still works).

/** A JSON value as found in manifests, responses and stored fields. */
export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
