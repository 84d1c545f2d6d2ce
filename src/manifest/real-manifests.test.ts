// Realistic manifests (inline samples and the project's examples/) must validate cleanly, both
// with the validator and with the published JSON Schema.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { formatProblem, manifestJsonSchema, validateManifest } from "./index.ts";
import { SAMPLE_MANIFESTS, slackManifest } from "../../test/support/sample-manifests.ts";

const EXAMPLES_DIR = join(import.meta.dirname, "..", "..", "examples");

/** Every JSON file of examples/ that is a manifest (hires and secrets live there too). */
function exampleManifests(): Array<[string, unknown]> {
  if (!existsSync(EXAMPLES_DIR)) return [];
  return readdirSync(EXAMPLES_DIR, { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".json"))
    .map((file): [string, unknown] => [
      file,
      JSON.parse(readFileSync(join(EXAMPLES_DIR, file), "utf8")),
    ])
    .filter(([, value]) => typeof value === "object" && value !== null && "execute" in value);
}

const ALL: Array<[string, unknown]> = [...Object.entries(SAMPLE_MANIFESTS), ...exampleManifests()];
const ajv = new Ajv2020({ allErrors: true, strict: false });
const schemaCheck = ajv.compile(manifestJsonSchema());

describe.each(ALL)("%s", (_name, manifest) => {
  it("is valid for the validator", () => {
    const result = validateManifest(manifest);
    expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual([]);
    expect(result.ok && result.manifest).toEqual(manifest);
  });

  it("is valid for the JSON Schema", () => {
    expect(schemaCheck(manifest) ? [] : schemaCheck.errors).toEqual([]);
  });
});

describe("samples", () => {
  it("warn only about the legacy key the Slack sample carries", () => {
    const warnings = Object.values(SAMPLE_MANIFESTS).flatMap((manifest) => {
      const result = validateManifest(manifest);
      return result.ok ? result.warnings.map((w) => w.path) : [];
    });
    expect(warnings).toEqual(["exists.fail_when_4xx_response_code"]);
  });

  it("become invalid for both the validator and the schema with a typo'd key", () => {
    const typo = { ...slackManifest, execute: [{ ...slackManifest.execute[0], stor_data: {} }] };
    expect(validateManifest(typo).ok).toBe(false);
    expect(schemaCheck(typo)).toBe(false);
  });
});
