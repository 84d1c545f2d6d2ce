import { describe, expect, it } from "vitest";
import { isHirewireError } from "../errors/index.ts";
import { checkTemplate, isTemplated, parseTemplate } from "./parse-template.ts";
import { referencedVariables } from "./referenced-variables.ts";

function syntaxError(source: string): { message: string; text: unknown } {
  try {
    parseTemplate(source);
  } catch (error) {
    if (isHirewireError(error, "TEMPLATE_SYNTAX")) {
      return { message: error.message, text: error.details?.text };
    }
    throw error;
  }
  throw new Error(`expected a syntax error for ${source}`);
}

describe("parseTemplate", () => {
  it("splits text and expressions, spaces optional", () => {
    const tight = parseTemplate("Hi {{first_name}}!");
    const spaced = parseTemplate("Hi {{ first_name }}!");
    expect(tight).toEqual([
      { type: "text", text: "Hi " },
      {
        type: "expr",
        expr: { path: "first_name", segments: ["first_name"], filters: [], raw: "{{first_name}}" },
      },
      { type: "text", text: "!" },
    ]);
    expect(spaced[1]).toMatchObject({
      type: "expr",
      expr: { path: "first_name", raw: "{{ first_name }}" },
    });
  });

  it("reads dotted paths whose segments hold dashes and digits", () => {
    const [part] = parseTemplate("{{ responses.0.content-type }}");
    expect(part).toMatchObject({
      type: "expr",
      expr: { path: "responses.0.content-type", segments: ["responses", "0", "content-type"] },
    });
  });

  it("reads filters with quoted, single-quoted, escaped and numeric arguments", () => {
    const [part] = parseTemplate(
      `{{ start|date:"Y-m-d" | default : 'n/a' |join:"\\"}}"|urlencode:3|lower }}`,
    );
    expect(part).toMatchObject({
      type: "expr",
      expr: {
        filters: [
          { name: "date", arg: "Y-m-d" },
          { name: "default", arg: "n/a" },
          { name: "join", arg: '"}}' },
          { name: "urlencode", arg: 3 },
          { name: "lower" },
        ],
      },
    });
  });

  it("rejects any {% %} tag, quoting it", () => {
    const error = syntaxError("{% if x %}yes{% endif %}");
    expect(error.message).toContain('"{% if x %}"');
    expect(error.message).toContain("not supported");
    expect(error.text).toBe("{% if x %}");
  });

  it("rejects unknown filters, naming them and the expression", () => {
    const error = syntaxError("Hello {{ x|nosuch }}");
    expect(error.message).toContain('unknown filter "nosuch"');
    expect(error.message).toContain('"{{ x|nosuch }}"');
    expect(error.text).toBe("{{ x|nosuch }}");
  });

  it.each([
    ["{{ }}", "empty expression"],
    ["{{ a b }}", 'unexpected "b"'],
    ["{{ a. }}", "expected a variable name"],
    ["{{ a..b }}", "expected a variable name"],
    ["{{ a|default }}", 'filter "default" needs an argument'],
    ['{{ a|lower:"x" }}', 'filter "lower" takes no argument'],
    ["{{ a|default:other }}", "needs a quoted text or a number"],
    ['{{ a|default:"open }}', "needs a quoted text or a number"],
    ["{{ a|", 'unclosed "{{"'],
    ["{% if", 'unclosed "{%"'],
    ["{{ a| }}", "expected a filter name"],
    ["{{ 'text' }}", "expected a variable name"],
  ])("reports %s", (source, message) => {
    expect(syntaxError(source).message).toContain(message);
  });

  it("leaves single braces and {# #} as text", () => {
    expect(parseTemplate('{"a": {"b": 1}} {# note #}')).toEqual([
      { type: "text", text: '{"a": {"b": 1}} {# note #}' },
    ]);
  });
});

describe("checkTemplate", () => {
  it("returns [] for a good template and every problem otherwise", () => {
    expect(checkTemplate("Bearer {{ TOKEN }}")).toEqual([]);
    expect(checkTemplate("no templates")).toEqual([]);
    const problems = checkTemplate("{{ a|nosuch }} and {% now %} and {{ b }}");
    expect(problems).toHaveLength(2);
    expect(problems[0]).toContain("nosuch");
    expect(problems[1]).toContain("{% now %}");
  });
});

describe("referencedVariables", () => {
  it("lists variables and whether a default guards them, skipping broken expressions", () => {
    expect(
      referencedVariables(
        '{{ TOKEN }}/{{ team|default:"x" }}/{{ a.b|lower|default_if_none:"" }}/{{ c|nosuch }}',
      ),
    ).toEqual([
      { path: "TOKEN", segments: ["TOKEN"], guarded: false },
      { path: "team", segments: ["team"], guarded: true },
      { path: "a.b", segments: ["a", "b"], guarded: true },
    ]);
  });
});

describe("isTemplated", () => {
  it("spots {{ and {% only", () => {
    expect(isTemplated("plain {text}")).toBe(false);
    expect(isTemplated("a {{ b }}")).toBe(true);
    expect(isTemplated("{% x %}")).toBe(true);
  });
});
