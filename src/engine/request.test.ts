import { describe, expect, it } from "vitest";
import type { ProvisioningManifest, Step } from "../manifest/types.ts";
import { buildRequest } from "./request.ts";
import type { RunContext } from "./types.ts";
import { createRunState } from "./machine.ts";
import { runScope, secretVariable } from "./variables.ts";

function context(extra: Partial<RunContext> = {}): RunContext {
  const manifest: ProvisioningManifest = {
    initial_data_form: [{ id: "TEAM", name: "Team", secret: false }],
    execute: [],
  };
  return {
    manifest,
    hire: { email: "ada@example.com" },
    hireStored: {},
    secrets: { TOKEN: "tok en/Secret+ä", TEAM: "team-public" },
    params: {},
    oauth: { access_token: "oauth-Access-1", token_type: "Bearer" },
    ...extra,
  };
}

function derivedOf(step: Step, ctx: RunContext) {
  const state = createRunState("r1");
  return buildRequest(step, runScope(ctx, state), {
    stepPath: "execute[0]",
    stepIndex: 0,
    manifestHeaders: undefined,
    files: {},
    defaultTimeoutMs: 1000,
    maxRedirects: 1,
    secretVariable: secretVariable(ctx, state),
  }).derived;
}

describe("buildRequest derived values", () => {
  it("returns what each secret rendered to through its filters, named after the secret", () => {
    const derived = derivedOf(
      {
        url: "https://api.test/x",
        headers: { "X-A": "{{ TOKEN|upper }}", "X-B": "{{ oauth.access_token|lower }}" },
        data: { slug: "{{ TOKEN|slugify }}", size: "{{ TOKEN|length }}", team: "{{ TEAM }}" },
      },
      context(),
    );
    expect(derived).toEqual([
      { name: "TOKEN", value: "TOK EN/SECRET+Ä" },
      { name: "oauth.access_token", value: "oauth-access-1" },
      { name: "TOKEN", value: "tok-ensecreta" },
    ]);
  });

  it("adds the forms the URL parser gives a secret in the path and the query", () => {
    const derived = derivedOf(
      { url: "https://api.test/{{ TOKEN }}?q={{ TOKEN }}", method: "GET" },
      context(),
    );
    expect(derived).toEqual([
      { name: "TOKEN", value: "tok%20en/Secret+%C3%A4" },
      { name: "TOKEN", value: "tok%20en/Secret+%C3%A4" },
    ]);
  });

  it("does not treat a param that hides a secret of the same name as a secret", () => {
    const derived = derivedOf(
      { url: "https://api.test/x", headers: { "X-A": "{{ TOKEN|upper }}" } },
      context({ params: { TOKEN: "just-a-param" } }),
    );
    expect(derived).toEqual([]);
  });
});
