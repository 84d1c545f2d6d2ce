// How a transition makes its new state: every key copied in one literal, in one order, then the
// changes set. States are never written to once seen, so each transition copies one (several
// times per attempt, thousands of runs at once). A spread (`{ ...state, retries: 1 }`) would be
// shorter, but V8 gives each spread's result a map of its own, cut from the transition tree, and a
// field set later in place forks it again: after a few thousand runs the copies see so many maps
// that every spread takes the slow path (about ten times the cost of this literal). States made
// here all share the literal's maps.
import type { RunState } from "./types.ts";

/** States (from `shaped`) that carry keys this version does not know: copies keep them too. */
const withUnknownKeys = new WeakSet<RunState>();

/** A copy of `state`: every known key in the one order, then any unknown key it carries. */
export function copyState(state: RunState): RunState {
  const next: RunState = {
    version: state.version,
    runId: state.runId,
    status: state.status,
    step: state.step,
    attempt: state.attempt,
    pollAttempts: state.pollAttempts,
    retries: state.retries,
    responses: state.responses,
    stored: state.stored,
    files: state.files,
    generated: state.generated,
    wakeAt: state.wakeAt,
    inFlight: state.inFlight,
    error: state.error,
    lastOutcome: state.lastOutcome,
    result: state.result,
    nextPage: state.nextPage,
    pages: state.pages,
    phase: state.phase,
    oauthRefreshed: state.oauthRefreshed,
    notifications: state.notifications,
    resentAfterInterruption: state.resentAfterInterruption,
  };
  if (withUnknownKeys.has(state)) keepUnknownKeys(state, next);
  return next;
}

/** A copy of `state` with `changes` set. */
export function nextState(state: RunState, changes: Partial<RunState>): RunState {
  return Object.assign(copyState(state), changes);
}

/**
 * Copies the keys of `from` that `to` does not have (keys a newer version wrote), after the known
 * ones; `to`'s copies keep them in turn. True when there were any.
 */
export function keepUnknownKeys(from: RunState, to: RunState): boolean {
  let found = false;
  for (const key of Object.keys(from))
    if (!Object.hasOwn(to, key)) {
      Object.defineProperty(to, key, {
        value: from[key as keyof RunState],
        enumerable: true,
        writable: true,
        configurable: true,
      });
      found = true;
    }
  if (found) withUnknownKeys.add(to);
  return found;
}
