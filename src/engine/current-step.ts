// Where a run stands: the step its state points at (an OAuth refresh, a block step or a sync
// page), that step's manifest path, and the engine's default limits.
import type { Step } from "../manifest/types.ts";
import { blockOf, blockStepPath, blockSteps } from "./blocks.ts";
import { refreshStep } from "./oauth-refresh.ts";
import { syncPageStep } from "./sync-pages.ts";
import type { RunContext, RunState } from "./types.ts";

export const ENGINE_DEFAULTS = Object.freeze({
  defaultTimeoutMs: 30_000,
  maxRedirects: 10,
  retryBaseMs: 500,
  retryMaxDelayMs: 30_000,
  retryAfterMaxMs: 3_600_000,
});

/** The step the state points at: an OAuth refresh, a block step, or a sync page. */
export function currentStep(ctx: RunContext, state: RunState): Step | undefined {
  if (state.phase === "oauth-refresh") return refreshStep(ctx);
  const steps = blockSteps(ctx);
  if (state.step < steps.length) return steps[state.step];
  if (blockOf(ctx) === "sync" && state.nextPage !== undefined) return syncPageStep(state.nextPage);
  return undefined;
}

export function stepPath(ctx: RunContext, state: Pick<RunState, "step" | "phase">): string {
  return state.phase === "oauth-refresh" ? "oauth.refresh" : blockStepPath(ctx, state.step);
}
