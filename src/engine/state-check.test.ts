import { expect, it } from "vitest";
import { createRunState } from "./machine.ts";
import { checkRunState } from "./state-check.ts";

it("accepts a state the machine made", () => {
  const state = createRunState("run_1", { PASSWORD: "abcdefgh12345678" });
  expect(checkRunState(JSON.parse(JSON.stringify(state)))).toEqual({ ok: true, state });
});

it.each([
  [null, "the state is not an object"],
  [[], "the state is not an object"],
  [{ version: 2 }, "the state has version 2; this hirewire reads version 1"],
  [{ version: 1 }, "the state's runId should be a string (got missing)"],
])("refuses %j: %s", (value, reason) => {
  expect(checkRunState(value)).toEqual({ ok: false, reason });
});

it.each([
  ["step", "two", 'the state\'s step should be a whole number of 0 or more (got "two")'],
  ["step", -1, "the state's step should be a whole number of 0 or more (got -1)"],
  ["responses", 7, "the state's responses should be a list (got 7)"],
  ["status", "sleeping", 'the state\'s status should be a run status (got "sleeping")'],
  ["files", { a: { name: "a" } }, "the state's files should be an object of saved files"],
  ["inFlight", { step: 0 }, "the state's inFlight should be an object with step, attempt"],
  ["wakeAt", "soon", 'the state\'s wakeAt should be a time in milliseconds (got "soon")'],
])("names what is wrong when %s is %j", (key, value, reason) => {
  const state = { ...createRunState("run_1"), [key]: value };
  const checked = checkRunState(state);
  expect(checked.ok).toBe(false);
  expect(checked.ok ? "" : checked.reason).toContain(reason);
});
