export * from "./types.ts";
export { validateManifest, formatProblem, MAX_MANIFEST_DEPTH } from "./validate.ts";
export { parseManifest } from "./parse-manifest.ts";
export { manifestJsonSchema } from "./json-schema.ts";
export { MANIFEST_SCHEMA_ID } from "./schema.ts";
export { formatPath, type PathSegment } from "./path.ts";
