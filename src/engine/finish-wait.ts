// The two ways a transition ends a step's turn, shared by the machine (machine.ts) and outcome
// handling (outcome.ts): finish the run, or wait for a wake-up. In a module of their own so
// neither of those two imports the other.
import type { ErrorInfo } from "../errors/index.ts";
import type { RunCommand, RunContext, RunState, Transition } from "./types.ts";
import { nextState } from "./state-copy.ts";

/**
 * What outcome handling needs from the machine, passed in to keep the modules acyclic. Outcome
 * handling passes only states made in the same transition and seen by no one yet, so these may
 * complete them in place.
 */
export interface MachineOps {
  sendCurrent(ctx: RunContext, state: RunState): Transition;
  finish(
    state: RunState,
    status: "succeeded" | "failed" | "blocked" | "cancelled",
    error?: ErrorInfo,
  ): Transition;
  wait(state: RunState, until: number, reason: "poll" | "retry", lastOutcome: string): Transition;
}

/**
 * `wait` for a state made in this transition and seen by no one yet (the outcome's own copy):
 * set in place rather than copied once more.
 */
export function waitFresh(
  fresh: RunState,
  until: number,
  reason: "poll" | "retry",
  lastOutcome: string,
): Transition {
  fresh.status = "waiting";
  fresh.wakeAt = until;
  fresh.lastOutcome = lastOutcome;
  return { state: fresh, commands: [{ type: "wait", until, reason }] };
}

/** The run ends with `status` (and `error` when it did not succeed). */
export function finish(
  state: RunState,
  status: "succeeded" | "failed" | "blocked" | "cancelled",
  error?: ErrorInfo,
): Transition {
  // Cleared keys are set to undefined rather than deleted (JSON leaves them out): a state is
  // copied on every transition, and a deleted key would turn every later copy into a slow one.
  const next: RunState = nextState(state, {
    status,
    wakeAt: undefined,
    inFlight: undefined,
    phase: undefined,
    error,
  });
  const command: RunCommand =
    error !== undefined ? { type: "finish", status, error } : { type: "finish", status };
  return { state: next, commands: [command] };
}

/** The state without its wake-up time. */
export function withoutWake(state: RunState): RunState {
  return nextState(state, { wakeAt: undefined });
}
