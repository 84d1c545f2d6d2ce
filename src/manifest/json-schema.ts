// The manifest's JSON Schema (draft 2020-12) for editors: a manifest with
// "$schema": "https://hirewire.dev/schema/manifest.schema.json" gets completion and help.
// Generated from the same zod schema the validator uses, so the two cannot disagree on structure
// (the semantic rules, such as files saved by an earlier step, exist only in the validator).
import { z } from "zod";
import { MANIFEST_SCHEMA_ID, manifestSchema } from "./schema.ts";

/** JSON Schema (draft 2020-12) of a manifest, with `$id` and descriptions of the main keys. */
export function manifestJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(manifestSchema, { target: "draft-2020-12" }) as Record<
    string,
    unknown
  >;
  const { $schema, ...rest } = generated;
  return { $schema, $id: MANIFEST_SCHEMA_ID, ...rest };
}
