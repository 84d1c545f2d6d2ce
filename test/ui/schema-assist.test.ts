// The manifest editor's completion and hover knowledge, read from the committed JSON Schema and a
// half-typed manifest text, without a browser (the browser test checks that the editor shows it).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { completionContext, keyAt, presentKeys } from "../../src/service/ui/editor/json-context.ts";
import {
  describeKey,
  keysAt,
  typeText,
  valuesAt,
} from "../../src/service/ui/editor/schema-assist.ts";

const schema = JSON.parse(
  readFileSync(new URL("../../schema/manifest.schema.json", import.meta.url), "utf8"),
) as Record<string, unknown>;

/** The text with `|` marking the cursor, and the cursor's offset. */
function at(marked: string): [string, number] {
  const offset = marked.indexOf("|");
  return [marked.slice(0, offset) + marked.slice(offset + 1), offset];
}

describe("completion of keys", () => {
  it("offers a step's keys with their descriptions, minus those already written", () => {
    const [text, offset] = at('{"execute": [{"url": "https://x", "re|"}]}');
    const context = completionContext(text, offset);
    expect(context).toMatchObject({ kind: "key", path: ["execute", 0], quoted: true });
    const keys = keysAt(schema, context!.path, presentKeys(text));
    const labels = keys.map((key) => key.label);
    expect(labels).toContain("retry");
    expect(labels).not.toContain("url");
    expect(keys.find((key) => key.label === "retry")?.description).toBe(
      "Retry transient failures with backoff (also for POST and PATCH).",
    );
    expect(text.slice(context!.from, context!.to)).toBe('"re"');
  });

  it("offers keys typed without a quote, and the kind of manifest decides the top-level keys", () => {
    const [text, offset] = at('{\n  "action": "create",\n  da|\n}');
    const context = completionContext(text, offset);
    expect(context).toMatchObject({ kind: "key", path: [], quoted: false });
    expect(text.slice(context!.from, context!.to)).toBe("da");
    const keys = keysAt(schema, [], presentKeys(text)).map((key) => key.label);
    expect(keys).toContain("data_structure");
    expect(keys).not.toContain("post_execute_notification");
    const provisioning = keysAt(schema, [], presentKeys('{"execute": [], "form": []}')).map(
      (k) => k.label,
    );
    expect(provisioning).toContain("post_execute_notification");
    expect(provisioning).not.toContain("data_structure");
  });
});

describe("completion of values", () => {
  it("offers a method's values and a flag's true/false", () => {
    const [text, offset] = at('{"execute": [{"url": "x", "method": "P|"}]}');
    const context = completionContext(text, offset);
    expect(context).toMatchObject({ kind: "value", path: ["execute", 0, "method"] });
    expect(valuesAt(schema, context!.path, presentKeys(text)).map((v) => v.insert)).toEqual([
      '"GET"',
      '"POST"',
      '"PUT"',
      '"PATCH"',
      '"DELETE"',
      '"HEAD"',
    ]);
    expect(valuesAt(schema, ["execute", 0, "cast_data_to_json"]).map((v) => v.insert)).toEqual([
      "true",
      "false",
    ]);
    expect(valuesAt(schema, ["execute", 0, "retry", "on", 0]).map((v) => v.insert)).toEqual([
      '"network"',
      '"timeout"',
      '"5xx"',
    ]);
  });
});

describe("hover", () => {
  it("finds the key under the pointer and its description, type and range", () => {
    const text = '{"execute": [{"url": "x", "polling": {"interval": 2, "amount": 5}}]}';
    const key = keyAt(text, text.indexOf("amount") + 2);
    expect(key?.path).toEqual(["execute", 0, "polling", "amount"]);
    expect(text.slice(key!.from, key!.to)).toBe('"amount"');
    const info = describeKey(schema, key!.path, presentKeys(text));
    expect(info).toMatchObject({
      description: "Attempts in total.",
      type: "integer 1–100, required",
    });
    expect(keyAt(text, text.indexOf('"x"') + 1)).toBeUndefined();
  });

  it("follows references and says when a key is deprecated", () => {
    expect(describeKey(schema, ["oauth", "access_token"])?.description).toBe(
      "Request run on the callback with {{ code }}.",
    );
    expect(typeText(schema, { $ref: "#/$defs/Step" })).toBe("Step");
    expect(describeKey(schema, ["exists", "fail_when_4xx_response_code"])?.deprecated).toBe(true);
    expect(describeKey(schema, ["no_such_key"])).toBeUndefined();
  });
});
