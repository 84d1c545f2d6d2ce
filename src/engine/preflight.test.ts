import { describe, expect, it } from "vitest";
import type { ProvisioningManifest } from "../manifest/types.ts";
import { preflight } from "./preflight.ts";
import type { RunContext } from "./types.ts";

function ctx(manifest: ProvisioningManifest, extra: Partial<RunContext> = {}): RunContext {
  return {
    manifest,
    hire: { email: "ada@example.com" },
    hireStored: {},
    secrets: {},
    params: {},
    ...extra,
  };
}

describe("preflight", () => {
  it("says why a variable is unknown when the manifest declares it", () => {
    const manifest: ProvisioningManifest = {
      initial_data_form: [{ id: "TOKEN", name: "Token" }],
      form: [{ id: "TEAM_ID", name: "Team", type: "input", required: false }],
      execute: [
        {
          url: "https://api.example.com/{{ TOKEN }}/{{ TEAM_ID }}",
          data: {
            manager: "{{ manager }}",
            bearer: "{{ oauth.access_token }}",
            other: "{{ NOPE }}",
          },
        },
      ],
    };
    const messages = preflight(ctx(manifest)).problems.map(
      (problem) => `${problem.path}: ${problem.message}`,
    );
    expect(messages).toEqual([
      'execute[0].url: unknown variable "TOKEN": it is a secret of initial_data_form and no value was given for it',
      'execute[0].url: unknown variable "TEAM_ID": it is a form field and the run has no answer for it',
      'execute[0].data.manager: unknown variable "manager": this hire has no manager (use {{ manager|default:"" }} to allow it empty)',
      'execute[0].data.bearer: unknown variable "oauth.access_token": the integration has no OAuth token (not connected)',
      'execute[0].data.other: unknown variable "NOPE"',
    ]);
  });

  it("renders run-time values as placeholders and finds nothing wrong with complete inputs", () => {
    const manifest: ProvisioningManifest = {
      execute: [
        { url: "https://api.example.com/users", store_data: { ID: "id" } },
        { url: "https://api.example.com/users/{{ ID }}/{{ responses.0.slug }}", method: "GET" },
      ],
    };
    const result = preflight(ctx(manifest));
    expect(result.problems).toEqual([]);
    expect(result.steps[1]!.request.url).toBe(
      "https://api.example.com/users/<ID>/<responses.0.slug>",
    );
  });
});
