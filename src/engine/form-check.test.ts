import { describe, expect, it } from "vitest";
import type { FormField, JsonValue, ProvisioningManifest } from "../manifest/types.ts";
import { formProblems, isRequiredField } from "./form-check.ts";
import { preflight } from "./preflight.ts";
import type { RunBlock } from "./types.ts";

const TEAM: FormField = {
  id: "TEAM_ID",
  name: "Team",
  type: "choice",
  required: true,
  items: [
    { id: "1", name: "Support" },
    { id: "2", name: "Sales" },
  ],
};
const NOTE: FormField = { id: "NOTE", name: "Note", type: "input", required: false };
const CHANNEL: FormField = {
  id: "CHANNEL",
  name: "Channel",
  type: "choice",
  required: true,
  url: "https://chat.example.com/channels",
};

function manifest(form: FormField[]): ProvisioningManifest {
  return {
    form,
    execute: [{ url: "https://api.example.com/teams/{{ TEAM_ID }}", data: { note: "x" } }],
    revoke: [{ url: "https://api.example.com/remove" }],
  };
}

function check(form: FormField[], params: Record<string, JsonValue>, block?: RunBlock) {
  return formProblems({ manifest: manifest(form), params, ...(block ? { block } : {}) });
}

describe("formProblems", () => {
  it("accepts a run that answers every required field with a listed choice", () => {
    expect(check([TEAM, NOTE], { TEAM_ID: "2" })).toEqual([]);
  });

  it("names every unanswered required field, counting blank answers as missing", () => {
    const problems = check([TEAM, CHANNEL, NOTE], { CHANNEL: "" });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({
      code: "INPUT_MISSING",
      path: "form",
      details: { missing: ["TEAM_ID", "CHANNEL"] },
    });
    expect(problems[0]!.message).toContain("TEAM_ID (Team), CHANNEL (Channel)");
  });

  it("refuses a choice that is not one of the fixed items, and compares numbers as text", () => {
    const [problem] = check([TEAM], { TEAM_ID: "9" });
    expect(problem).toMatchObject({ code: "INPUT_INVALID", path: "form[0]" });
    expect(problem!.message).toBe(
      'form answer TEAM_ID (Team) must be one of "1" (Support), "2" (Sales); got "9"',
    );
    expect(check([TEAM], { TEAM_ID: 2 })).toEqual([]);
  });

  it("leaves fetched choices to the service (any answer passes here)", () => {
    expect(check([CHANNEL], { CHANNEL: "anything" })).toEqual([]);
  });

  it("asks nothing of blocks other than execute", () => {
    expect(check([TEAM], {}, "revoke")).toEqual([]);
    expect(check([TEAM], {}, "exists")).toEqual([]);
  });

  it("treats fields as optional unless they say required: true, as in ChiefOnboarding", () => {
    expect(isRequiredField(TEAM)).toBe(true);
    expect(isRequiredField({ ...TEAM, required: undefined })).toBe(false);
    expect(isRequiredField(NOTE)).toBe(false);
    expect(check([{ ...TEAM, required: undefined }], {})).toEqual([]);
  });

  it("is part of preflight, before any step is rendered", () => {
    const plan = preflight({
      manifest: manifest([TEAM]),
      hire: {},
      hireStored: {},
      secrets: {},
      params: {},
    });
    expect(plan.problems.map((problem) => problem.code)).toEqual([
      "INPUT_MISSING",
      "TEMPLATE_UNDEFINED_VARIABLE",
    ]);
  });
});
