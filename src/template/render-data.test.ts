import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HirewireError } from "../errors/index.ts";
import type { JsonValue } from "../json/json-value.ts";
import { renderData } from "./render-data.ts";
import { createScope } from "./scope.ts";

function thrown(fn: () => unknown): HirewireError {
  try {
    fn();
  } catch (error) {
    if (error instanceof HirewireError) return error;
    throw error;
  }
  throw new Error("expected an error");
}

const scope = createScope([{ first_name: "Ann", FIELD: "name", count: 2, tags: ["x", "y"] }]);

describe("renderData", () => {
  it("renders string values and keys, leaving other values as they are", () => {
    const data: JsonValue = {
      "user_{{ FIELD }}": "{{ first_name }}",
      count: "{{ count }}",
      raw: 5,
      flags: [true, null, "{{ tags }}", { "{{ first_name|lower }}": "{{ tags|first }}" }],
    };
    expect(renderData(data, scope)).toEqual({
      user_name: "Ann",
      count: "2",
      raw: 5,
      flags: [true, null, '["x","y"]', { ann: "x" }],
    });
  });

  it("keeps a __proto__ key as a plain key", () => {
    const data = JSON.parse('{"__proto__": "{{ first_name }}"}') as JsonValue;
    const rendered = renderData(data, scope) as Record<string, JsonValue>;
    expect(Object.getPrototypeOf(rendered)).toBe(Object.prototype);
    expect(Object.keys(rendered)).toEqual(["__proto__"]);
    expect(JSON.stringify(rendered)).toBe('{"__proto__":"Ann"}');
  });

  it("puts the JSON path of the failing string on the error", () => {
    const data: JsonValue = { user: { name: "{{ nope }}" } };
    const error = thrown(() => renderData(data, scope, { basePath: "data" }));
    expect(error.code).toBe("TEMPLATE_UNDEFINED_VARIABLE");
    expect(error.path).toBe("data.user.name");
    expect(error.details?.variable).toBe("nope");

    const inArray = thrown(() => renderData({ items: ["ok", "{{ x|nosuch }}"] }, scope));
    expect(inArray.code).toBe("TEMPLATE_SYNTAX");
    expect(inArray.path).toBe("items[1]");

    const inKey = thrown(() =>
      renderData({ "X-Api-Key": { "{{ missing_key }}": 1 } }, scope, { basePath: "headers" }),
    );
    expect(inKey.path).toBe('headers["X-Api-Key"]["{{ missing_key }}"]');
  });

  it("passes the missing handler through", () => {
    expect(renderData(["{{ responses.0.id }}"], scope, { missing: (e) => `<${e.path}>` })).toEqual([
      "<responses.0.id>",
    ]);
  });

  it("inserts any hire value verbatim and keeps the JSON valid (property)", () => {
    const hireText = fc.oneof(
      fc.string({ unit: "grapheme" }),
      fc.string({ unit: "binary" }),
      fc.constantFrom('"', "\\", "\n", "{{ first_name }}", '"},"x":"', "{% if %}", "\u2028", "😀"),
      fc
        .array(fc.constantFrom('"', "\\", "\n", "\t", "{{", "}}", "{%", "é", "\u0000", " x "))
        .map((pieces) => pieces.join("")),
    );
    fc.assert(
      fc.property(hireText, hireText, (name, other) => {
        const hireScope = createScope([{ first_name: name, other }]);
        const data: JsonValue = {
          name: "{{ first_name }}",
          greeting: "Hi {{first_name}}!",
          "{{ other }}": ["{{ other }}", "{{ first_name }}{{ other }}"],
        };
        const rendered = renderData(data, hireScope);
        expect(JSON.parse(JSON.stringify(rendered))).toEqual(rendered);
        expect(rendered).toEqual({
          name,
          greeting: `Hi ${name}!`,
          ...{ [other]: [other, `${name}${other}`] },
        });
      }),
      { numRuns: 300 },
    );
  });
});
