import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MANIFEST_SCHEMA_ID, manifestJsonSchema } from "./index.ts";

const COMMITTED = join(import.meta.dirname, "..", "..", "schema", "manifest.schema.json");

describe("manifestJsonSchema", () => {
  it("is draft 2020-12 with our $id", () => {
    const schema = manifestJsonSchema();
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(schema.$id).toBe(MANIFEST_SCHEMA_ID);
    expect(schema.title).toBe("hirewire manifest");
  });

  it("matches the committed schema file (run `npm run schema` after changing the schema)", () => {
    // Compared as JSON: the file is prettier-formatted, and key order carries no meaning.
    const committed: unknown = JSON.parse(readFileSync(COMMITTED, "utf8"));
    expect(committed).toEqual(manifestJsonSchema());
  });

  it("describes steps for editors, with ranges and closed key sets", () => {
    const defs = manifestJsonSchema().$defs as Record<string, Record<string, unknown>>;
    const step = defs.Step as {
      properties: Record<string, Record<string, unknown>>;
      additionalProperties: unknown;
    };
    expect(step.additionalProperties).toBe(false);
    expect(step.properties.url?.description).toBe("Absolute http(s) URL; templated.");
    expect(step.properties.polling).toMatchObject({
      properties: { amount: { type: "integer", minimum: 1, maximum: 100 } },
      required: ["interval", "amount"],
    });
  });

  it("gives every key a description, so the web UI's editor can explain each one on hover", () => {
    const undocumented: string[] = [];
    const walk = (node: unknown, where: string): void => {
      if (typeof node !== "object" || node === null) return;
      if (Array.isArray(node))
        return node.forEach((item, index) => walk(item, `${where}/${index}`));
      const properties = (node as { properties?: Record<string, unknown> }).properties;
      for (const [key, value] of Object.entries(properties ?? {})) {
        const described = (value as { description?: unknown }).description;
        if (typeof described !== "string" || described === "") undocumented.push(`${where}.${key}`);
      }
      for (const [key, value] of Object.entries(node)) walk(value, `${where}/${key}`);
    };
    walk(manifestJsonSchema(), "");
    expect(undocumented).toEqual([]);
  });
});
