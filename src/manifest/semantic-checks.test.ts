import { describe, expect, it } from "vitest";
import { formatProblem, validateManifest, type ValidationProblem } from "./index.ts";

function problems(input: unknown): ValidationProblem[] {
  const result = validateManifest(input);
  return result.ok ? result.warnings : result.problems;
}

function lines(input: unknown): string[] {
  return problems(input).map(formatProblem);
}

const SYNC = { action: "create", data_structure: { email: "email" } };

describe("polling", () => {
  it("requires continue_if", () => {
    expect(
      lines({ execute: [{ url: "https://a.example", polling: { interval: 1, amount: 5 } }] }),
    ).toEqual([
      "execute[0].polling: requires continue_if: polling repeats the request until it matches",
    ]);
  });
});

describe("urls", () => {
  it("must be absolute http(s) or start with a template", () => {
    const input = {
      execute: [
        { url: "api.example.com/users" },
        { url: "{{ BASE_URL }}/users" },
        { url: "HTTPS://api.example.com" },
        { url: "ftp://files.example.com/x" },
      ],
      exists: { url: "/users" },
      form: [{ id: "T", name: "T", type: "choice", url: "example.com" }],
      oauth: { authenticate_url: "auth.example.com", refresh: { url: "token" } },
      initial_data_form: [{ id: "BASE_URL", name: "Base URL" }],
    };
    const rule = "must be an absolute http(s) URL or start with a template";
    expect(lines(input)).toEqual([
      `execute[0].url: ${rule} (got "api.example.com/users")`,
      `execute[3].url: ${rule} (got "ftp://files.example.com/x")`,
      `exists.url: ${rule} (got "/users")`,
      `oauth.authenticate_url: ${rule} (got "auth.example.com")`,
      `oauth.refresh.url: ${rule} (got "token")`,
      `form[0].url: ${rule} (got "example.com")`,
    ]);
  });

  it("checks next_page of a sync manifest", () => {
    expect(
      lines({ ...SYNC, execute: [{ url: "https://a.example" }], next_page: "?page=2" }),
    ).toEqual([
      'next_page: must be an absolute http(s) URL or start with a template (got "?page=2")',
    ]);
  });
});

describe("files", () => {
  it("must be saved by an earlier step", () => {
    const input = {
      execute: [
        { url: "https://a.example/offer", save_as_file: "offer.pdf" },
        { url: "https://a.example/x", files: { self: "self.pdf" }, save_as_file: "self.pdf" },
        {
          url: "https://b.example/upload",
          files: { document: "contract.pdf", offer: "offer.pdf" },
        },
      ],
    };
    expect(problems(input)).toEqual([
      {
        path: "execute[1].files.self",
        message: '"self.pdf" is not saved by any earlier step; saved: ["offer.pdf"]',
        severity: "error",
        code: "FILE_NOT_SAVED",
      },
      {
        path: "execute[2].files.document",
        message:
          '"contract.pdf" is not saved by any earlier step; saved: ["offer.pdf", "self.pdf"]',
        severity: "error",
        code: "FILE_NOT_SAVED",
      },
    ]);
  });

  it("skips templated names and names after a templated save", () => {
    const input = {
      execute: [
        { url: "https://a.example", files: { doc: "{{ FILE }}" } },
        { url: "https://a.example", save_as_file: "{{ first_name }}.pdf" },
        { url: "https://a.example", files: { doc: "anything.pdf" } },
      ],
    };
    expect(validateManifest(input).ok).toBe(true);
  });

  it("checks revoke on its own: execute's files are not there", () => {
    const input = {
      execute: [{ url: "https://a.example", save_as_file: "a.pdf" }],
      revoke: [{ url: "https://a.example", files: { doc: "a.pdf" } }],
    };
    expect(lines(input)).toEqual([
      'revoke[0].files.doc: "a.pdf" is not saved by any earlier step; saved: []',
    ]);
  });
});

describe("ids", () => {
  it("must be unique in each list", () => {
    const input = {
      execute: [{ url: "https://a.example" }],
      initial_data_form: [
        { id: "TOKEN", name: "Token" },
        { id: "ORG", name: "Org" },
        { id: "TOKEN", name: "Token again" },
      ],
      extra_user_info: [
        { id: "SEAT", name: "Seat" },
        { id: "SEAT", name: "Seat" },
      ],
      form: [
        { id: "TEAM", name: "Team", type: "input" },
        { id: "TEAM", name: "Team", type: "input" },
      ],
    };
    expect(lines(input)).toEqual([
      'initial_data_form[2].id: duplicate id "TOKEN" (also at initial_data_form[0].id)',
      'extra_user_info[1].id: duplicate id "SEAT" (also at extra_user_info[0].id)',
      'form[1].id: duplicate id "TEAM" (also at form[0].id)',
    ]);
  });
});

describe("schedule", () => {
  const sync = (schedule: string) => ({
    ...SYNC,
    execute: [{ url: "https://a.example" }],
    schedule,
  });

  it("accepts 5-field cron expressions", () => {
    for (const schedule of ["0 6 * * *", "*/15 9-17 * * MON-FRI", "@daily"]) {
      expect(validateManifest(sync(schedule)).ok).toBe(true);
    }
  });

  it("explains bad ones", () => {
    expect(lines(sync("61 * * * *"))).toEqual([
      'schedule: must be a cron expression of 5 fields like "0 6 * * *"; invalid value for minute: 61 (got "61 * * * *")',
    ]);
    expect(lines(sync("every day"))).toEqual([
      'schedule: must be a cron expression of 5 fields like "0 6 * * *"; it has 2 fields (got "every day")',
    ]);
    expect(lines(sync("0 0 6 * * *"))).toEqual([
      'schedule: must be a cron expression of 5 fields like "0 6 * * *"; it has 6 fields (got "0 0 6 * * *")',
    ]);
  });
});

describe("legacy keys", () => {
  it("warns about exists.fail_when_4xx_response_code without invalidating", () => {
    const result = validateManifest({
      execute: [{ url: "https://a.example" }],
      exists: { url: "https://a.example", fail_when_4xx_response_code: true },
    });
    expect(result.ok).toBe(true);
    expect(result.ok && result.warnings.map(formatProblem)).toEqual([
      'exists.fail_when_4xx_response_code: is a legacy key, removed upstream in 2024 (a 4xx response then meant "the user does not exist"); hirewire ignores it: list the statuses that mean "exists" in status_code',
    ]);
  });
});

describe("templates", () => {
  it("checks every templated string with its path", () => {
    const input = {
      headers: { "{{ NAME": "x", Authorization: "Bearer {{ TOKEN|bogus }}" },
      execute: [
        {
          url: "https://a.example/{{ id",
          headers: { X: "{% if a %}" },
          data: { "{{ k }}": ["ok {{ first_name }}", "{{ }}"] },
          continue_if: { response_notation: "a", value: "{{ x|default }}" },
          expected: "{{ a b }}",
        },
      ],
      exists: { url: "https://a.example", expected: "{{ email" },
      revoke: [{ url: "https://a.example", data: "{{ x|upper:1 }}" }],
      oauth: { authenticate_url: "https://a.example?{{ }}" },
      form: [{ id: "T", name: "T", type: "choice", url: "https://a.example", data: { q: "{{" } }],
      post_execute_notification: [{ type: "email", to: "{{ manager_email", message: "hi" }],
    };
    // `{{ k }}` is also undeclared: a warning, checked in undeclared-variables.test.ts.
    const found = problems(input).filter((p) => p.code !== "TEMPLATE_UNDEFINED_VARIABLE");
    expect(found.every((p) => p.code === "TEMPLATE_SYNTAX" && p.severity === "error")).toBe(true);
    expect(found.map((p) => p.path)).toEqual([
      'headers["{{ NAME"]',
      "headers.Authorization",
      "execute[0].url",
      "execute[0].headers.X",
      'execute[0].data["{{ k }}"][1]',
      "execute[0].expected",
      "execute[0].continue_if.value",
      "revoke[0].data",
      "exists.expected",
      "oauth.authenticate_url",
      "form[0].data.q",
      "post_execute_notification[0].to",
    ]);
    expect(formatProblem(found[2] as ValidationProblem)).toBe(
      'execute[0].url: unclosed "{{" in "{{ id"; expected "}}"',
    );
  });

  it("checks next_page of a sync manifest", () => {
    const found = problems({
      ...SYNC,
      execute: [{ url: "https://a.example" }],
      next_page: "https://a.example?c={{ T",
    });
    expect(found.map((p) => [p.path, p.code])).toEqual([["next_page", "TEMPLATE_SYNTAX"]]);
  });
});
