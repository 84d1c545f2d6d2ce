import { describe, expect, it } from "vitest";
import { HirewireError, isHirewireError } from "../errors/index.ts";
import { renderTemplate } from "./render-template.ts";
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

const scope = createScope([
  { first_name: "Ann", last_name: "O'Brien", start: "2024-03-01", team: null },
  { TOKEN: "s3cr3t-token", count: 3, active: true, ratio: 0.5 },
  {
    responses: [{ id: "u1", "content-type": "application/json", tags: ["a", "b"], empty: "" }],
  },
]);

describe("renderTemplate", () => {
  it("renders variables with or without spaces", () => {
    expect(renderTemplate("Bearer {{TOKEN}}", scope)).toBe("Bearer s3cr3t-token");
    expect(renderTemplate("Bearer {{ TOKEN }}", scope)).toBe("Bearer s3cr3t-token");
  });

  it("renders strings as they are, without HTML escaping", () => {
    expect(renderTemplate("{{ last_name }} <{{ first_name }}> & co", scope)).toBe(
      "O'Brien <Ann> & co",
    );
  });

  it("renders numbers and booleans as JSON text, objects and arrays as JSON, null as ''", () => {
    expect(renderTemplate("{{ count }}|{{ active }}|{{ ratio }}|{{ team }}", scope)).toBe(
      "3|true|0.5|",
    );
    expect(renderTemplate("{{ responses.0.tags }}", scope)).toBe('["a","b"]');
    expect(renderTemplate("{{ responses.0 }}", scope)).toBe(
      '{"id":"u1","content-type":"application/json","tags":["a","b"],"empty":""}',
    );
  });

  it("follows paths with indexes and dashed keys", () => {
    expect(renderTemplate("{{ responses.0.content-type }}", scope)).toBe("application/json");
    expect(renderTemplate("{{ responses.0.tags.1 }}", scope)).toBe("b");
  });

  it("applies filters in a chain", () => {
    expect(renderTemplate('{{ start|date:"D j N Y" }}', scope)).toBe("Fri 1 March 2024");
    expect(renderTemplate('{{ responses.0.tags|join:" & "|upper }}', scope)).toBe("A & B");
    expect(renderTemplate("{{ responses.0.tags|length }}", scope)).toBe("2");
    expect(renderTemplate("{{ last_name|slugify }}", scope)).toBe("obrien");
  });

  it("names an unknown variable and its expression in the error", () => {
    const error = thrown(() => renderTemplate("Bearer {{ API_TOKEN }}", scope));
    expect(error.code).toBe("TEMPLATE_UNDEFINED_VARIABLE");
    expect(error.message).toBe('unknown variable "API_TOKEN"');
    expect(error.details).toEqual({ variable: "API_TOKEN", expression: "{{ API_TOKEN }}" });
    expect(thrown(() => renderTemplate("{{ responses.1.id }}", scope)).details?.variable).toBe(
      "responses.1.id",
    );
  });

  it("makes an unknown or empty variable legal with default and default_if_none", () => {
    expect(renderTemplate('{{ API_TOKEN|default:"none" }}', scope)).toBe("none");
    expect(renderTemplate('{{ responses.0.empty|default:"none" }}', scope)).toBe("none");
    expect(renderTemplate('{{ team|default_if_none:"solo" }}', scope)).toBe("solo");
    expect(renderTemplate('{{ nope|default_if_none:"solo" }}', scope)).toBe("solo");
    expect(renderTemplate('{{ nope|upper|default:"x" }}', scope)).toBe("x");
  });

  it("lets a missing handler render placeholders instead of throwing", () => {
    const missing = (expr: { path: string }): string => `<${expr.path}>`;
    expect(renderTemplate("{{ responses.3.id|upper }}/{{ TOKEN }}", scope, { missing })).toBe(
      "<responses.3.id>/s3cr3t-token",
    );
    expect(thrown(() => renderTemplate("{{ x }}", scope, { missing: () => undefined })).code).toBe(
      "TEMPLATE_UNDEFINED_VARIABLE",
    );
  });

  it("reports a filter that cannot handle its input as TEMPLATE_FILTER", () => {
    const error = thrown(() => renderTemplate('{{ first_name|date:"Y" }}', scope));
    expect(error.code).toBe("TEMPLATE_FILTER");
    expect(error.message).toContain('"Ann"');
    expect(error.message).toContain('{{ first_name|date:"Y" }}');
  });

  it("reports syntax errors as TEMPLATE_SYNTAX, also from the render path", () => {
    const error = thrown(() => renderTemplate("{{ x|nosuch }}", scope));
    expect(error.code).toBe("TEMPLATE_SYNTAX");
    expect(error.message).toContain("{{ x|nosuch }}");
    expect(
      isHirewireError(
        thrown(() => renderTemplate("{% if x %}", scope)),
        "TEMPLATE_SYNTAX",
      ),
    ).toBe(true);
  });

  it("returns untemplated strings untouched", () => {
    expect(renderTemplate("plain {json: 1}", scope)).toBe("plain {json: 1}");
  });
});

describe("createScope", () => {
  it("lets later layers win on the first path segment, without merging", () => {
    const layered = createScope([
      { email: "hire@example.com", profile: { team: "a", title: "dev" } },
      { email: "param@example.com", profile: { team: "b" } },
    ]);
    expect(renderTemplate("{{ email }}", layered)).toBe("param@example.com");
    expect(renderTemplate("{{ profile.team }}", layered)).toBe("b");
    expect(layered.lookup(["profile", "title"])).toEqual({ found: false });
    expect(layered.lookup([])).toEqual({ found: false });
  });

  it("finds a JSON null and ignores inherited properties", () => {
    const layered = createScope([{ a: null }]);
    expect(layered.lookup(["a"])).toEqual({ found: true, value: null });
    expect(layered.lookup(["toString"])).toEqual({ found: false });
    expect(layered.lookup(["constructor"])).toEqual({ found: false });
  });
});
