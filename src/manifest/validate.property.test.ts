import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_MANIFEST_DEPTH, validateManifest, type ValidationResult } from "./index.ts";

const CODES = ["VALIDATION", "TEMPLATE_SYNTAX", "TEMPLATE_UNDEFINED_VARIABLE", "FILE_NOT_SAVED"];

/** Checks the result contract; returns nothing so fast-check treats a throw as the failure. */
function expectWellFormed(result: ValidationResult): void {
  const listed = result.ok ? result.warnings : result.problems;
  for (const problem of listed) {
    expect(typeof problem.path).toBe("string");
    expect(problem.message.length).toBeGreaterThan(0);
    expect(["error", "warning"]).toContain(problem.severity);
    expect(CODES).toContain(problem.code);
  }
  if (result.ok) expect(listed.every((p) => p.severity === "warning")).toBe(true);
  else expect(listed.some((p) => p.severity === "error")).toBe(true);
}

const STEP_KEYS = [
  "url",
  "method",
  "data",
  "headers",
  "store_data",
  "continue_if",
  "polling",
  "save_as_file",
  "files",
  "status_code",
  "retry",
  "timeout",
  "expected",
  "store",
  "name",
];

/** Manifest-shaped input with arbitrary values, so the deeper checks see odd types too. */
const manifestLike = fc.record(
  {
    execute: fc.array(
      fc.dictionary(fc.constantFrom(...STEP_KEYS), fc.jsonValue(), { maxKeys: 6 }),
      { maxLength: 4 },
    ),
    revoke: fc.array(fc.dictionary(fc.constantFrom(...STEP_KEYS), fc.anything(), { maxKeys: 4 })),
    headers: fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.jsonValue())),
    initial_data_form: fc.array(fc.record({ id: fc.string(), name: fc.string() }), {
      maxLength: 3,
    }),
    exists: fc.dictionary(
      fc.constantFrom("url", "status_code", "fail_when_4xx_response_code", "data"),
      fc.anything(),
    ),
    oauth: fc.dictionary(
      fc.constantFrom("authenticate_url", "access_token", "refresh"),
      fc.anything(),
    ),
    action: fc.constantFrom("create", "update", "x"),
    schedule: fc.string(),
    next_page: fc.string(),
  },
  { requiredKeys: [] },
);

describe("validateManifest never throws", () => {
  it("on anything", () => {
    fc.assert(
      fc.property(
        fc.anything({ withNullPrototype: true, withBigInt: true, withMap: true, withDate: true }),
        (input) => {
          expectWellFormed(validateManifest(input));
        },
      ),
    );
  });

  it("on any JSON value", () => {
    fc.assert(fc.property(fc.jsonValue(), (input) => expectWellFormed(validateManifest(input))));
  });

  it("on manifest-shaped input with odd values", () => {
    fc.assert(
      fc.property(manifestLike, (input) => expectWellFormed(validateManifest(input))),
      { numRuns: 300 },
    );
  });

  it("on 10 000 nested arrays", () => {
    let deep: unknown = [];
    for (let i = 0; i < 10_000; i++) deep = [deep];
    const result = validateManifest({ execute: [{ url: "https://a.example", data: deep }] });
    expect(result.ok || result.problems).toEqual([
      {
        path: "execute[0].data",
        message: `holds values nested more than ${MAX_MANIFEST_DEPTH} levels deep`,
        severity: "error",
        code: "VALIDATION",
      },
    ]);
    expect(validateManifest(deep).ok).toBe(false);
  });

  it("on a cyclic object", () => {
    const step: Record<string, unknown> = { url: "https://a.example" };
    step.data = { step };
    const result = validateManifest({ execute: [step] });
    expect(result.ok || result.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      "execute[0].data: contains itself (a cycle)",
    ]);
  });
});
