// post_execute_notification as the engine sees it (docs/manifest.md): a successful `execute` run
// with notifications does not finish at once; it asks its driver to `notify` (the state saying
// "sending" is checkpointed first, so a crash never sends them twice) and finishes when the driver
// answers with the `notified` event. Their results never change the run's status.
import type { JsonValue } from "../manifest/types.ts";
import { blockOf } from "./blocks.ts";
import { finish } from "./finish-wait.ts";
import type { RunContext, RunState, Transition } from "./types.ts";
import { nextState } from "./state-copy.ts";

/** True when a successful run of this context sends notifications. */
function wantsNotifications(ctx: RunContext): boolean {
  const items =
    "post_execute_notification" in ctx.manifest
      ? ctx.manifest.post_execute_notification
      : undefined;
  return blockOf(ctx) === "execute" && items !== undefined && items.length > 0;
}

/** Every step succeeded: finish, or first have the driver send the notifications. */
export function succeed(ctx: RunContext, state: RunState): Transition {
  const done = finish(state, "succeeded");
  if (!wantsNotifications(ctx) || state.notifications !== undefined) return done;
  return {
    state: nextState(done.state, { notifications: { status: "sending" } }),
    commands: [{ type: "notify" }],
  };
}

/** The driver sent the notifications: record their (masked) results and finish. */
export function onNotified(state: RunState, results: JsonValue[]): Transition {
  return finish(nextState(state, { notifications: { status: "sent", results } }), "succeeded");
}

/** True while the state waits for the driver's `notified` event. */
export function notifying(state: RunState): boolean {
  return state.status === "succeeded" && state.notifications?.status === "sending";
}
