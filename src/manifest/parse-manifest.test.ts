import { describe, expect, it } from "vitest";
import { parseManifest } from "./index.ts";

function syntaxMessage(text: string): string | undefined {
  const result = parseManifest(text);
  if (result.ok) return undefined;
  expect(result.problems).toHaveLength(1);
  expect(result.problems[0]?.path).toBe("");
  return result.problems[0]?.message;
}

describe("parseManifest", () => {
  it("validates parsed JSON", () => {
    const result = parseManifest('{"execute": [{"url": "https://a.example", "method": "GET"}]}');
    expect(result).toEqual({
      ok: true,
      manifest: { execute: [{ url: "https://a.example", method: "GET" }] },
      warnings: [],
    });
    const invalid = parseManifest('{"execute": []}');
    expect(invalid.ok || invalid.problems.map((p) => p.message)).toEqual([
      "must be a non-empty array",
    ]);
  });

  it("gives the line and column of a syntax error", () => {
    expect(syntaxMessage('{\n  "execute": [],\n}')).toBe(
      "invalid JSON at line 3, column 1: expected a property name in double quotes",
    );
    expect(syntaxMessage('{\n  "execute": [\n  }')).toBe(
      "invalid JSON at line 3, column 3: expected a value",
    );
    expect(syntaxMessage('{"a" 1}')).toBe('invalid JSON at line 1, column 6: expected ":"');
    expect(syntaxMessage("")).toBe("invalid JSON at line 1, column 1: expected a value");
    expect(syntaxMessage("{} x")).toBe("invalid JSON at line 1, column 4: unexpected character");
    expect(syntaxMessage('{"a": 1} 2')).toBe(
      "invalid JSON at line 1, column 10: unexpected text after the end of the JSON value",
    );
    expect(syntaxMessage('{"a": "x\ny"}')).toBe(
      "invalid JSON at line 1, column 7: unterminated string",
    );
    expect(syntaxMessage('{"a": "x\ty"}')).toBe(
      "invalid JSON at line 1, column 7: invalid character in string (control characters must be escaped)",
    );
    expect(syntaxMessage('{"a": 1 // note\n}')).toBe(
      "invalid JSON at line 1, column 9: comments are not allowed in JSON",
    );
  });

  it("falls back on the parser's own message when the locator finds nothing", () => {
    expect(syntaxMessage('{"a": 01}')).toMatch(/^invalid JSON at line 1, column \d+: /);
  });
});
