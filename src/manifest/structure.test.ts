import { describe, expect, it } from "vitest";
import { formatProblem, validateManifest, type ValidationResult } from "./index.ts";

/** The formatted error lines of a result (warnings excluded). */
function errors(result: ValidationResult): string[] {
  if (result.ok) return [];
  return result.problems.filter((p) => p.severity === "error").map(formatProblem);
}

function step(extra: Record<string, unknown>): unknown {
  return { execute: [{ url: "https://api.example.com/users", ...extra }] };
}

describe("structure", () => {
  it("requires execute on a provisioning manifest", () => {
    expect(errors(validateManifest({}))).toEqual(["execute: is required"]);
  });

  it("requires execute to be a non-empty array", () => {
    expect(errors(validateManifest({ execute: [] }))).toEqual([
      "execute: must be a non-empty array",
    ]);
  });

  it("rejects a manifest that is not an object", () => {
    expect(errors(validateManifest([1]))).toEqual(["must be an object (got [1])"]);
    expect(errors(validateManifest("x"))).toEqual(['must be an object (got "x")']);
  });

  it("requires url in a step", () => {
    expect(errors(validateManifest({ execute: [{ method: "GET" }] }))).toEqual([
      "execute[0].url: is required",
    ]);
  });

  it("checks the method", () => {
    expect(errors(validateManifest(step({ method: "FETCH" })))).toEqual([
      'execute[0].method: must be one of GET, POST, PUT, PATCH, DELETE, HEAD (got "FETCH")',
    ]);
  });

  it("checks polling ranges", () => {
    const result = validateManifest({
      execute: [
        { url: "https://a.example" },
        {
          url: "https://a.example",
          continue_if: { response_notation: "status", value: "done" },
          polling: { interval: 3601, amount: 500 },
        },
      ],
    });
    expect(errors(result)).toEqual([
      "execute[1].polling.interval: must be a number of seconds greater than 0 and at most 3600 (got 3601)",
      "execute[1].polling.amount: must be an integer from 1 to 100 (got 500)",
    ]);
  });

  it("accepts fractional polling intervals and rejects fractional amounts", () => {
    const ok = validateManifest(
      step({
        continue_if: { response_notation: "s", value: 1 },
        polling: { interval: 0.5, amount: 3 },
      }),
    );
    expect(ok.ok).toBe(true);
    const bad = validateManifest(
      step({
        continue_if: { response_notation: "s", value: 1 },
        polling: { interval: 1, amount: 2.5 },
      }),
    );
    expect(errors(bad)).toEqual([
      "execute[0].polling.amount: must be an integer from 1 to 100 (got 2.5)",
    ]);
  });

  it("checks timeout and retry", () => {
    const result = validateManifest(
      step({ timeout: 0, retry: { max: 11, on: ["network", "4xx", 600] } }),
    );
    expect(errors(result)).toEqual([
      "execute[0].timeout: must be a number of seconds greater than 0 and at most 3600 (got 0)",
      "execute[0].retry.max: must be an integer from 0 to 10 (got 11)",
      'execute[0].retry.on[1]: must be "network", "timeout", "5xx" or an HTTP status code from 100 to 599 (got "4xx")',
      'execute[0].retry.on[2]: must be "network", "timeout", "5xx" or an HTTP status code from 100 to 599 (got 600)',
    ]);
  });

  it("accepts status codes as integers or numeric strings only", () => {
    expect(validateManifest(step({ status_code: [200, "201", 599, "100"] })).ok).toBe(true);
    const message = "must be an HTTP status code from 100 to 599, as a number or a numeric string";
    expect(errors(validateManifest(step({ status_code: [99, "2O1", true, 200.5] })))).toEqual([
      `execute[0].status_code[0]: ${message} (got 99)`,
      `execute[0].status_code[1]: ${message} (got "2O1")`,
      `execute[0].status_code[2]: ${message} (got true)`,
      `execute[0].status_code[3]: ${message} (got 200.5)`,
    ]);
  });

  it("checks header values and quotes keys that are not identifiers", () => {
    expect(errors(validateManifest(step({ headers: { "X-Api-Key": 5, Accept: "json" } })))).toEqual(
      ['execute[0].headers["X-Api-Key"]: must be a string (got 5)'],
    );
  });

  it("checks ids of initial_data_form, form and extra_user_info", () => {
    const result = validateManifest({
      execute: [{ url: "https://a.example" }],
      initial_data_form: [{ id: "API-KEY", name: "Key" }],
      form: [{ id: "team id", name: "Team", type: "input" }],
      extra_user_info: [{ id: "", name: "x" }],
    });
    const rule = 'must contain only letters, digits and "_"';
    expect(errors(result)).toEqual([
      `initial_data_form[0].id: ${rule} (got "API-KEY")`,
      `extra_user_info[0].id: ${rule} (got "")`,
      `form[0].id: ${rule} (got "team id")`,
    ]);
  });

  it("checks store_data keys and values", () => {
    expect(validateManifest(step({ store_data: { "user-id": "data.id", WHOLE: "" } })).ok).toBe(
      true,
    );
    expect(errors(validateManifest(step({ store_data: { "user id": "data.id", ok: 5 } })))).toEqual(
      [
        'execute[0].store_data["user id"]: key must be a stored-field name of letters, digits, "_" and "-" (got "user id")',
        "execute[0].store_data.ok: must be a string (got 5)",
      ],
    );
  });

  it("checks save_as_file names", () => {
    const rule = 'must be a non-empty file name without "/", "\\" or ".."';
    for (const name of ["", "a/b.pdf", "a\\b.pdf", "..", "x..pdf"]) {
      expect(errors(validateManifest(step({ save_as_file: name })))).toEqual([
        `execute[0].save_as_file: ${rule} (got ${JSON.stringify(name)})`,
      ]);
    }
    expect(validateManifest(step({ save_as_file: "contract.v2.pdf" })).ok).toBe(true);
  });

  it("checks the section-10 blocks from the start", () => {
    const result = validateManifest({
      execute: [{ url: "https://a.example" }],
      exists: { url: "https://a.example", status_code: "200" },
      revoke: [{ url: "https://a.example", cast_data_to_json: "no" }],
      oauth: { access_token: { method: "POST" }, without_code: 1 },
      form: [{ id: "TEAM", name: "Team", type: "select" }],
      post_execute_notification: [{ type: "sms", to: "x" }],
    });
    expect(errors(result)).toEqual([
      "oauth.access_token.url: is required",
      "oauth.without_code: must be true or false (got 1)",
      'form[0].type: must be one of input, choice (got "select")',
      'exists.status_code: must be an array (got "200")',
      'revoke[0].cast_data_to_json: must be true or false (got "no")',
      'post_execute_notification[0].type: must be one of email, text (got "sms")',
      "post_execute_notification[0].message: is required",
    ]);
  });

  it("checks extra_headers", () => {
    expect(validateManifest(step({ extra_headers: "pritunl" })).ok).toBe(true);
    expect(errors(validateManifest(step({ extra_headers: "hmac" })))).toEqual([
      'execute[0].extra_headers: must be "pritunl" (got "hmac")',
    ]);
  });

  it("accepts any JSON as data and reports non-JSON values inside it", () => {
    expect(validateManifest(step({ data: [1, "a", null, { b: [true] }] })).ok).toBe(true);
    expect(errors(validateManifest(step({ data: { a: [1, undefined] } })))).toEqual([
      "execute[0].data.a[1]: must be a JSON value (got nothing)",
    ]);
  });
});

describe("unknown keys", () => {
  it("reports each unknown key and suggests the closest known one", () => {
    expect(errors(validateManifest(step({ store: { ID: "id" } })))).toEqual([
      'execute[0].store: unknown key; did you mean "store_data"?',
    ]);
    expect(errors(validateManifest(step({ mehtod: "GET", header: {}, bogus: 1 })))).toEqual([
      'execute[0].mehtod: unknown key; did you mean "method"?',
      'execute[0].header: unknown key; did you mean "headers"?',
      "execute[0].bogus: unknown key",
    ]);
  });

  it("reports unknown keys in nested blocks", () => {
    const result = validateManifest({
      execute: [
        {
          url: "https://a.example",
          continue_if: { response_notation: "a", value: "b", values: 1 },
        },
      ],
      oauth: { acess_token: {} },
      exsts: {},
    });
    expect(errors(result)).toEqual([
      'oauth.acess_token: unknown key; did you mean "access_token"?',
      'execute[0].continue_if.values: unknown key; did you mean "value"?',
      'exsts: unknown key; did you mean "exists"?',
    ]);
  });

  it("explains keys that belong to the other kind of manifest", () => {
    const provisioning = validateManifest({
      execute: [{ url: "https://a.example" }],
      schedule: "0 6 * * *",
    });
    expect(errors(provisioning)).toEqual([
      'schedule: unknown key in a provisioning manifest; it belongs in a sync-users manifest (one with "action" or "data_structure")',
    ]);
    const sync = validateManifest({
      action: "update",
      data_structure: { email: "mail" },
      execute: [{ url: "https://a.example" }],
      revoke: [],
    });
    expect(errors(sync)).toEqual([
      "revoke: unknown key in a sync-users manifest; it belongs in a provisioning manifest",
    ]);
  });
});

describe("sync-users manifests", () => {
  const base = {
    action: "create",
    data_structure: { email: "email" },
    execute: [{ url: "https://a.example" }],
  };

  it("is chosen by action or data_structure", () => {
    expect(validateManifest(base).ok).toBe(true);
    expect(
      errors(validateManifest({ data_structure: {}, execute: [{ url: "https://a.example" }] })),
    ).toEqual(["action: is required"]);
    expect(
      errors(validateManifest({ action: "delete", execute: [{ url: "https://a.example" }] })),
    ).toEqual([
      'action: must be one of create, update (got "delete")',
      "data_structure: is required",
    ]);
  });

  it("checks amount_pages_to_fetch", () => {
    expect(validateManifest({ ...base, amount_pages_to_fetch: 1000 }).ok).toBe(true);
    expect(errors(validateManifest({ ...base, amount_pages_to_fetch: 1001 }))).toEqual([
      "amount_pages_to_fetch: must be an integer from 1 to 1000 (got 1001)",
    ]);
  });

  it("allows $schema", () => {
    expect(
      validateManifest({ ...base, $schema: "https://hirewire.dev/schema/manifest.schema.json" }).ok,
    ).toBe(true);
  });
});

describe("results", () => {
  it("reports many problems at once", () => {
    const result = validateManifest({
      execute: [
        { url: "api.example.com", method: "get", polling: { interval: 1, amount: 1 } },
        { url: "https://a.example/{{ id", files: { doc: "missing.pdf" } },
      ],
      initial_data_form: [
        { id: "A", name: "a" },
        { id: "A", name: "b" },
      ],
    });
    expect(result.ok).toBe(false);
    expect(errors(result)).toHaveLength(6);
  });

  it("returns the manifest with warnings when only warnings were found", () => {
    const input = {
      execute: [{ url: "https://a.example" }],
      exists: { url: "https://a.example", fail_when_4xx_response_code: true },
    };
    const result = validateManifest(input);
    expect(result).toEqual({
      ok: true,
      manifest: input,
      warnings: [
        {
          path: "exists.fail_when_4xx_response_code",
          message:
            'is a legacy key, removed upstream in 2024 (a 4xx response then meant "the user does not exist"); hirewire ignores it: list the statuses that mean "exists" in status_code',
          severity: "warning",
          code: "VALIDATION",
        },
      ],
    });
  });
});
