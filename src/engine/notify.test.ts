import { describe, expect, it } from "vitest";
import type { AttemptOutcome } from "../exchange/types.ts";
import type { JsonValue, ProvisioningManifest } from "../manifest/types.ts";
import { advance, createRunState } from "./machine.ts";
import type { RunBlock, RunContext, Transition } from "./types.ts";

const BASE = "https://api.example.test";

const manifest: ProvisioningManifest = {
  execute: [{ url: `${BASE}/users`, data: { email: "{{ email }}" }, store_data: { ID: "id" } }],
  revoke: [{ url: `${BASE}/users/{{ ID }}`, method: "DELETE" }],
  post_execute_notification: [{ type: "email", to: "boss@example.com", message: "{{ ID }}" }],
};

function context(block?: RunBlock): RunContext {
  return {
    manifest,
    hire: { email: "ada@example.com" },
    hireStored: { ID: "u0" },
    secrets: {},
    params: {},
    ...(block !== undefined ? { block } : {}),
  };
}

function created(json: JsonValue): AttemptOutcome {
  return {
    type: "response",
    response: { status: 201, headers: {}, text: JSON.stringify(json), json, url: `${BASE}/x` },
    durationMs: 5,
    redirects: [],
  };
}

/** Runs the only step of the block and answers it. */
function lastStep(ctx: RunContext): Transition {
  const started = advance(ctx, createRunState("run-n"), { type: "start", now: 1 });
  return advance(ctx, started.state, { type: "outcome", now: 2, outcome: created({ id: "u1" }) });
}

describe("post_execute_notification", () => {
  it("asks the driver to notify after the last step, with the state saying sending", () => {
    const done = lastStep(context());
    expect(done.commands).toEqual([
      { type: "store", step: 0, fields: { ID: "u1" } },
      { type: "notify" },
    ]);
    expect(done.state).toMatchObject({ status: "succeeded", notifications: { status: "sending" } });
    expect(done.state.inFlight).toBeUndefined();
  });

  it("finishes succeeded with the results once notified, even when none was sent", () => {
    const ctx = context();
    const results = [{ index: 0, type: "email", to: "boss@example.com", ok: false }];
    const done = advance(ctx, lastStep(ctx).state, { type: "notified", now: 3, results });
    expect(done.commands).toEqual([{ type: "finish", status: "succeeded" }]);
    expect(done.state).toMatchObject({
      status: "succeeded",
      notifications: { status: "sent", results },
    });
  });

  it("never sends them twice: a run found while sending is left alone", () => {
    const ctx = context();
    const sending = lastStep(ctx).state;
    expect(advance(ctx, sending, { type: "recover", now: 9 }).commands).toEqual([]);
    const sent = advance(ctx, sending, { type: "notified", now: 3, results: [] }).state;
    expect(advance(ctx, sent, { type: "notified", now: 4, results: [] })).toEqual({
      state: sent,
      commands: [],
    });
  });

  it("belongs to execute only: a revoke run finishes at once", () => {
    const ctx = context("revoke");
    const started = advance(ctx, createRunState("run-r"), { type: "start", now: 1 });
    const done = advance(ctx, started.state, {
      type: "outcome",
      now: 2,
      outcome: created({}),
    });
    expect(done.commands).toEqual([{ type: "finish", status: "succeeded" }]);
    expect(done.state.notifications).toBeUndefined();
  });
});
