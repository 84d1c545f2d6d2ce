// Writes schema/manifest.schema.json from the validator's zod schema (`npm run schema`).
// The file is committed; a test fails when it is stale. Formatted with the project's prettier
// settings so `prettier --check .` accepts it as written.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { format, resolveConfig } from "prettier";
import { manifestJsonSchema } from "../src/manifest/index.ts";

const target = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "schema",
  "manifest.schema.json",
);
const options = (await resolveConfig(target)) ?? {};
const text = await format(JSON.stringify(manifestJsonSchema()), { ...options, parser: "json" });
mkdirSync(dirname(target), { recursive: true });
writeFileSync(target, text);
console.log(`wrote ${target}`);
