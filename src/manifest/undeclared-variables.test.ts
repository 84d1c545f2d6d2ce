// Variables nothing declares are warnings with their place and the closest declared name; names
// the manifest or every run declares, and guarded expressions, are not.
import { describe, expect, it } from "vitest";
import { formatProblem, validateManifest } from "./index.ts";

/** Validates and returns the warnings as lines; fails the test when the manifest is invalid. */
function warnings(input: unknown): string[] {
  const result = validateManifest(input);
  if (!result.ok) throw new Error(result.problems.map(formatProblem).join("\n"));
  return result.warnings.map(formatProblem);
}

const UNDECLARED =
  ", which nothing declares: it is no hire prop, no id in initial_data_form, form or extra_user_info, and no step stores it";

describe("undeclared variables", () => {
  it("warns about a typo of a hire prop, naming where and what was meant, and stays valid", () => {
    const manifest = {
      execute: [{ url: "https://a.example/users", data: { user: { mail: "{{ emial }}" } } }],
    };
    expect(validateManifest(manifest).ok).toBe(true);
    expect(warnings(manifest)).toEqual([
      `execute[0].data.user.mail: uses {{ emial }}${UNDECLARED}; did you mean "email"?`,
    ]);
  });

  it("says a secret or hire prop must be given when no declared name is close", () => {
    const manifest = {
      headers: { Authorization: "Bearer {{ API_TOKEN }}" },
      execute: [{ url: "https://a.example/users" }],
    };
    expect(warnings(manifest)).toEqual([
      `headers.Authorization: uses {{ API_TOKEN }}${UNDECLARED}; a run fails unless it is given as a secret, param, hire prop or stored field`,
    ]);
  });

  it("suggests declared secrets, stored keys and extra user info too", () => {
    const manifest = {
      initial_data_form: [{ id: "API_TOKEN", name: "Token" }],
      extra_user_info: [{ id: "SLACK_HANDLE", name: "Slack handle" }],
      execute: [
        {
          url: "https://a.example/users",
          headers: { Authorization: "Bearer {{ API_TOKN }}" },
          data: { handle: "{{ slack_handle }}" },
          store_data: { USER_ID: "id" },
        },
        { url: "https://a.example/users/{{ USERID }}" },
      ],
    };
    expect(warnings(manifest).map((line) => line.replace(/:.*mean/, ": …mean"))).toEqual([
      'execute[0].headers.Authorization: …mean "API_TOKEN"?',
      'execute[0].data.handle: …mean "SLACK_HANDLE"?',
      'execute[1].url: …mean "USER_ID"?',
    ]);
  });

  it("knows every declared name and what runs provide, and skips guarded expressions", () => {
    const manifest = {
      initial_data_form: [{ id: "TOKEN", name: "Token" }],
      extra_user_info: [{ id: "PHONE", name: "Phone" }],
      form: [{ id: "TEAM", name: "Team", type: "input" }],
      headers: { Authorization: "Bearer {{ oauth.access_token }}" },
      execute: [
        {
          url: "https://a.example/users/{{ manager_email }}?t={{ TOKEN }}",
          data: {
            who: "{{ first_name }} {{ last_name }} {{ PHONE }} {{ TEAM }} {{ buddy }}",
            access: "{{ access_overview }}",
            callback: "{{ redirect_url }}",
            later: "{{ GROUP_ID }}",
            nick: "{{ nickname|default:'none' }} {{ title|default_if_none:'' }}",
          },
          store_data: { USER_ID: "id" },
        },
        { url: "https://a.example/users/{{ responses.0.id }}/{{ USER_ID }}" },
      ],
      revoke: [{ url: "https://a.example/users/{{ USER_ID }}", store_data: { GROUP_ID: "g" } }],
      oauth: {
        authenticate_url: "https://auth.example/?redirect_uri={{ redirect_url|urlencode }}",
        access_token: { url: "https://auth.example/token?code={{ code }}", store_data: {} },
        refresh: { url: "https://auth.example/token?r={{ oauth.refresh_token }}" },
      },
      post_execute_notification: [
        { type: "email", to: "{{ manager_email }}", message: "Welcome {{ first_name }}" },
      ],
    };
    expect(warnings(manifest)).toEqual([]);
  });

  it("knows `code` only in oauth.access_token, NEXT_PAGE_TOKEN only in a sync's next_page", () => {
    expect(
      warnings({ execute: [{ url: "https://a.example/{{ code }}" }] }).map((l) => l.split(":")[0]),
    ).toEqual(["execute[0].url"]);
    const sync = {
      action: "create",
      data_structure: { email: "email" },
      execute: [{ url: "https://a.example/users?c={{ NEXT_PAGE_TOKEN }}" }],
      next_page_token_from: "next",
      next_page: "https://a.example/users?c={{ NEXT_PAGE_TOKEN }}",
    };
    expect(warnings(sync).map((line) => line.split(":")[0])).toEqual(["execute[0].url"]);
  });

  it("warns once per variable, at its first use, counting the others", () => {
    const manifest = {
      execute: [
        { url: "https://a.example/{{ TEAM_ID }}", headers: { "X-{{ TEAM_ID }}": "{{ TEAM_ID }}" } },
        { url: "https://a.example/{{ TEAM_ID }}/x" },
      ],
    };
    expect(warnings(manifest)).toEqual([
      `execute[0].url: uses {{ TEAM_ID }} (used 4 times; this is the first)${UNDECLARED}; a run fails unless it is given as a secret, param, hire prop or stored field`,
    ]);
  });

  it("stays quiet about expressions with syntax errors: those are errors of their own", () => {
    const result = validateManifest({ execute: [{ url: "https://a.example/{{ emial" }] });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems.map((p) => p.code)).toEqual(["TEMPLATE_SYNTAX"]);
  });
});
