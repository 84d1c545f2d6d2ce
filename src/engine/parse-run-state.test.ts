// parseRunState: every state the engine writes passes; anything else names its field.
import { describe, expect, it } from "vitest";
import { validateManifest } from "../manifest/index.ts";
import type { Manifest } from "../manifest/types.ts";
import { advance, createRunState } from "./machine.ts";
import { describeRunStateProblem, parseRunState } from "./parse-run-state.ts";
import type { RunContext, RunState } from "./types.ts";

function manifestOf(input: unknown): Manifest {
  const result = validateManifest(input);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.manifest;
}

const twoSteps = manifestOf({
  execute: [{ url: "https://example.com/users" }, { url: "https://example.com/team" }],
  revoke: [{ url: "https://example.com/users/1", method: "DELETE" }],
});
const ctx: RunContext = { manifest: twoSteps, hire: {}, hireStored: {}, secrets: {}, params: {} };

/** A state after `start` and a response to step 0: running step 1 with a request in flight. */
function midRun(): RunState {
  const started = advance(ctx, createRunState("run-1", { PASSWORD: "pw" }), {
    type: "start",
    now: 0,
  });
  return advance(ctx, started.state, {
    type: "outcome",
    now: 1,
    outcome: {
      type: "response",
      response: {
        status: 201,
        url: "https://example.com/users",
        headers: {},
        text: '{"id":"u1"}',
        json: { id: "u1" },
      },
      durationMs: 1,
      redirects: [],
    },
  }).state;
}

function problem(value: unknown, against?: Pick<RunContext, "manifest" | "block">): string {
  const result = parseRunState(value, against);
  if (result.ok) throw new Error("expected a problem");
  return describeRunStateProblem(result, "state");
}

describe("parseRunState", () => {
  it("accepts the states the engine writes, as JSON and back", () => {
    const states = [createRunState("run-1"), midRun()];
    for (const state of states) {
      const read = parseRunState(JSON.parse(JSON.stringify(state)), { manifest: twoSteps });
      expect(read.ok, JSON.stringify(read)).toBe(true);
    }
    expect(midRun().step).toBe(1);
    expect(midRun().inFlight?.step).toBe(1);
  });

  it("names the field and what was expected", () => {
    const state = JSON.parse(JSON.stringify(midRun()));
    expect(problem({ ...state, step: "1" })).toBe(
      'state.step must be a whole number of 0 or more (got "1")',
    );
    expect(problem({ ...state, version: 2 })).toBe(
      "state.version is 2; this hirewire reads version 1",
    );
    expect(problem({ ...state, status: "done" })).toMatch(
      /^state\.status must be one of "queued", .* \(got "done"\)$/,
    );
    expect(problem({ ...state, files: { "a.pdf": { name: "a.pdf", ref: "r", size: -1 } } })).toBe(
      'state.files["a.pdf"].size must be a whole number of 0 or more (got -1)',
    );
    expect(problem({ ...state, inFlight: { step: 1, attempt: 1 } })).toBe(
      "state.inFlight.idempotent is missing",
    );
    expect(problem({ ...state, error: { code: "NOPE", message: "x" } })).toMatch(
      /^state\.error\.code must be one of "VALIDATION", .* \(got "NOPE"\)$/,
    );
    const { runId: _runId, ...withoutId } = state;
    expect(problem(withoutId)).toBe("state.runId is missing");
    expect(problem([])).toBe("state must be an object (got [])");
  });

  it("checks the step index against the run's block", () => {
    const failed = { ...JSON.parse(JSON.stringify(midRun())), status: "failed" };
    delete failed.inFlight;
    const against = { manifest: twoSteps };
    expect(parseRunState(failed, against).ok).toBe(true);
    expect(problem({ ...failed, step: 2 }, against)).toBe(
      "state.step must be the index of a step of the execute block (0 to 1) for a failed run (got 2)",
    );
    expect(problem({ ...failed, step: 1 }, { manifest: twoSteps, block: "revoke" })).toBe(
      "state.step must be the index of a step of the revoke block (0 to 0) for a failed run (got 1)",
    );
    expect(parseRunState({ ...failed, status: "succeeded", step: 2 }, against).ok).toBe(true);
    expect(problem({ ...failed, status: "succeeded", step: 3 }, against)).toContain(
      "state.step must be at most 2",
    );
    expect(problem({ ...midRun(), step: 0 }, against)).toBe(
      "state.inFlight.step must be the same as step (0) (got 1)",
    );
    const noRevoke = manifestOf({ execute: [{ url: "https://example.com/x" }] });
    expect(problem(failed, { manifest: noRevoke, block: "revoke" })).toBe(
      "state.step cannot point into the revoke block: the manifest has none (got 1)",
    );
    // Without a manifest only the shape is checked.
    expect(parseRunState({ ...failed, step: 99 }).ok).toBe(true);
  });
});
