// The two ways a transition ends a step's turn, shared by the machine (machine.ts) and outcome
// handling (outcome.ts): finish the run, or wait for a wake-up. In a module of their own so
// neither of those two imports the other.
import type { ErrorInfo } from "../errors/index.ts";
import type { RunCommand, RunContext, RunState, Transition } from "./types.ts";

/** What outcome handling needs from the machine, passed in to keep the modules acyclic. */
export interface MachineOps {
  sendCurrent(ctx: RunContext, state: RunState): Transition;
  finish(
    state: RunState,
    status: "succeeded" | "failed" | "blocked" | "cancelled",
    error?: ErrorInfo,
  ): Transition;
  wait(state: RunState, until: number, reason: "poll" | "retry", lastOutcome: string): Transition;
}

/** The run waits until `until` (a poll or a retry back-off); the driver wakes it then. */
export function wait(
  state: RunState,
  until: number,
  reason: "poll" | "retry",
  lastOutcome: string,
): Transition {
  return {
    state: { ...state, status: "waiting", wakeAt: until, lastOutcome },
    commands: [{ type: "wait", until, reason }],
  };
}

/** The run ends with `status` (and `error` when it did not succeed). */
export function finish(
  state: RunState,
  status: "succeeded" | "failed" | "blocked" | "cancelled",
  error?: ErrorInfo,
): Transition {
  // Cleared keys are set to undefined rather than deleted (JSON leaves them out): a state is
  // copied on every transition, and a deleted key would turn every later copy into a slow one.
  const next: RunState = {
    ...state,
    status,
    wakeAt: undefined,
    inFlight: undefined,
    phase: undefined,
    error,
  };
  const command: RunCommand =
    error !== undefined ? { type: "finish", status, error } : { type: "finish", status };
  return { state: next, commands: [command] };
}

/** The state without its wake-up time. */
export function withoutWake(state: RunState): RunState {
  return { ...state, wakeAt: undefined };
}
