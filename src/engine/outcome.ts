// What one attempt's outcome does to the run, in ordered phases, each a small function below:
// OAuth refresh handling, then status and `expected` → poll or retry (a transient failure) →
// continue_if → store_data → advance to the next step — or, for `exists`, the true/false/unknown
// answer; for `sync`, the next page. A phase returns the transition that ends the attempt's turn,
// or nothing to hand on to the next phase.
import { problem } from "../errors/index.ts";
import type { AttemptOutcome, ResponseRecord } from "../exchange/types.ts";
import type { JsonValue, Step } from "../manifest/types.ts";
import { readNotation } from "../json/notation.ts";
import { blockOf, blockSteps } from "./blocks.ts";
import { evaluateCondition } from "./condition.ts";
import { excerpt } from "./describe.ts";
import { existsResult } from "./exists-result.ts";
import { currentStep, ENGINE_DEFAULTS, stepPath } from "./current-step.ts";
import type { MachineOps } from "./finish-wait.ts";
import { canRefresh, refreshedTokens } from "./oauth-refresh.ts";
import {
  bodyValue,
  checkResponse,
  renderCondition,
  renderExpected,
  transportFailure,
  type ResponseFailure,
} from "./response-checks.ts";
import {
  allowedRetries,
  backoffDelay,
  describeOutcome,
  retryAfterOf,
  transientKind,
} from "./retry.ts";
import { nextSyncState } from "./sync-pages.ts";
import type { RunCommand, RunContext, RunState, Transition } from "./types.ts";
import { nextState } from "./state-copy.ts";

/** One attempt's outcome being handled: what every phase reads. */
interface Attempt {
  ctx: RunContext;
  ops: MachineOps;
  step: Step;
  /** The step's path in the manifest, for errors. */
  path: string;
  outcome: AttemptOutcome;
  now: number;
  /** The state after the attempt: nothing in flight, the attempt counted (and the poll, when polling). */
  state: RunState;
}

export function onOutcome(
  ctx: RunContext,
  before: RunState,
  outcome: AttemptOutcome,
  now: number,
  ops: MachineOps,
): Transition {
  const step = currentStep(ctx, before)!;
  const path = stepPath(ctx, before);
  const state: RunState = nextState(before, { inFlight: undefined, attempt: before.attempt + 1 });
  if (before.phase === "oauth-refresh")
    return onRefreshOutcome(ctx, state, step, outcome, now, ops);
  const refresh = refreshOnUnauthorized(ctx, before, state, step, outcome, ops);
  if (refresh !== undefined) return refresh;

  if (step.polling !== undefined) state.pollAttempts = before.pollAttempts + 1;
  const attempt: Attempt = { ctx, ops, step, path, outcome, now, state };
  const checked = checkStatus(attempt);
  if ("transition" in checked) return checked.transition;
  if ("failure" in checked) return pollOrRetry(attempt, checked.failure);
  const response = checked.response;
  if (blockOf(ctx) === "exists") return answerExists(attempt, response);
  const body = bodyValue(response);
  const unmet = checkContinueIf(attempt, body);
  if (unmet !== undefined) return unmet;
  const stored = storeData(attempt, response, body);
  if ("transition" in stored) return stored.transition;
  return advanceStep(attempt, response, stored.fields);
}

/** A 401 with an OAuth refresh available (and not yet used): refresh once, then send this step again. */
function refreshOnUnauthorized(
  ctx: RunContext,
  before: RunState,
  state: RunState,
  step: Step,
  outcome: AttemptOutcome,
  ops: MachineOps,
): Transition | undefined {
  if (
    outcome.type !== "response" ||
    outcome.response.status !== 401 ||
    !canRefresh(ctx) ||
    state.oauthRefreshed === true
  )
    return undefined;
  const accepted = step.status_code?.map(Number) ?? [];
  if (accepted.includes(401)) return undefined;
  return ops.sendCurrent(
    ctx,
    nextState(state, { attempt: before.attempt, phase: "oauth-refresh" }),
  );
}

/** Phase 1, status and `expected`: the response, the failure, or the end (`expected` did not render). */
function checkStatus(
  attempt: Attempt,
): { response: ResponseRecord } | { failure: ResponseFailure } | { transition: Transition } {
  const { ctx, ops, step, path, outcome, state } = attempt;
  const expectedText = renderExpected(ctx, state, step, path);
  if (typeof expectedText === "object")
    return { transition: ops.finish(state, "failed", expectedText.error) };
  const failure =
    blockOf(ctx) === "exists"
      ? transportFailure(outcome, state.step, path, ctx.maskText)
      : checkResponse(step, state.step, path, outcome, ctx.maskText, expectedText);
  if (failure !== undefined) return { failure };
  return { response: (outcome as Extract<AttemptOutcome, { type: "response" }>).response };
}

/**
 * Phase 2, a failed attempt: a transient failure is polled again (polling steps) or retried
 * (within the step's retries); anything else fails the step — or, for `exists`, answers unknown.
 */
function pollOrRetry(attempt: Attempt, failure: ResponseFailure): Transition {
  const { ctx, ops, step, path, outcome, now, state } = attempt;
  const kind = transientKind(outcome);
  const polling = step.polling;
  if (kind !== undefined && !failure.acceptedStatus) {
    if (polling !== undefined) {
      // A transient failure during polling uses up an attempt; polling goes on.
      if (state.pollAttempts < polling.amount) {
        const retryAfter = retryAfterOf(outcome, now) ?? 0;
        const delay = Math.max(
          polling.interval * 1000,
          Math.min(retryAfter, ENGINE_DEFAULTS.retryAfterMaxMs),
        );
        return ops.wait(state, now + delay, "poll", describeOutcome(outcome));
      }
      const attempts = state.pollAttempts;
      return ops.finish(
        state,
        "failed",
        problem(
          "POLL_TIMEOUT",
          "lastFailed",
          { attempts, reason: failure.error.message },
          {
            step: state.step,
            path: `${path}.polling`,
            details: { attempts, lastError: failure.error },
          },
        ),
      );
    }
    if (state.retries < allowedRetries(step, step.method ?? "POST", kind)) {
      const options = { ...ENGINE_DEFAULTS, ...ctx.options };
      const retryAfter = retryAfterOf(outcome, now);
      const delay =
        retryAfter !== undefined
          ? Math.min(retryAfter, options.retryAfterMaxMs)
          : backoffDelay(`${state.runId}:${state.step}`, state.retries, {
              baseMs: options.retryBaseMs,
              maxDelayMs: options.retryMaxDelayMs,
            });
      return ops.wait(
        nextState(state, { retries: state.retries + 1 }),
        now + delay,
        "retry",
        describeOutcome(outcome),
      );
    }
  }
  if (blockOf(ctx) === "exists")
    return ops.finish(
      nextState(state, { result: { exists: null, reason: failure.error.message } }),
      "succeeded",
    );
  return ops.finish(state, "failed", failure.error);
}

/** `exists`: the check's answer is the run's result. */
function answerExists(attempt: Attempt, response: ResponseRecord): Transition {
  const { ctx, ops, step, state } = attempt;
  const result = existsResult(ctx, state, step, response);
  if ("error" in result) return ops.finish(state, "failed", result.error);
  return ops.finish(nextState(state, { result: result.value }), "succeeded");
}

/** Phase 3, continue_if: unmet → poll again, time out, or block the run; met → nothing. */
function checkContinueIf(attempt: Attempt, body: JsonValue | undefined): Transition | undefined {
  const { ctx, ops, step, path, now, state } = attempt;
  if (step.continue_if === undefined) return undefined;
  const expected = renderCondition(ctx, state, step, path);
  if (typeof expected !== "string") return ops.finish(state, "failed", expected.error);
  const notation = step.continue_if.response_notation;
  const result = evaluateCondition(body, notation, expected);
  if (result.matched) return undefined;
  const seen = `${notation || "the response"} was ${result.found ? JSON.stringify(result.seen) : "missing"}`;
  const polling = step.polling;
  if (polling !== undefined) {
    if (state.pollAttempts < polling.amount)
      return ops.wait(state, now + polling.interval * 1000, "poll", seen);
    const attempts = state.pollAttempts;
    return ops.finish(
      state,
      "failed",
      problem(
        "POLL_TIMEOUT",
        "lastValue",
        { attempts, seen, expected },
        {
          step: state.step,
          path: `${path}.polling`,
          details: { attempts, seen: result.seen, expected },
        },
      ),
    );
  }
  return ops.finish(
    state,
    "blocked",
    problem(
      "BLOCKED",
      "continueIf",
      { seen, expected },
      { step: state.step, path: `${path}.continue_if`, details: { seen: result.seen, expected } },
    ),
  );
}

/** Phase 4, store_data: every field or none (the run fails naming the first one missing). */
function storeData(
  attempt: Attempt,
  response: ResponseRecord,
  body: JsonValue | undefined,
): { fields?: Record<string, JsonValue> } | { transition: Transition } {
  const { ctx, ops, step, path, state } = attempt;
  if (step.store_data === undefined || Object.keys(step.store_data).length === 0) return {};
  const fields: Record<string, JsonValue> = {};
  for (const [name, notation] of Object.entries(step.store_data)) {
    const found =
      response.json !== undefined || notation === ""
        ? readNotation(body, notation)
        : { found: false as const };
    if (!found.found) {
      return {
        transition: ops.finish(
          state,
          "failed",
          problem(
            "STORE_DATA_NOT_FOUND",
            "missing",
            { field: name, notation, response: excerpt(response, ctx.maskText) },
            {
              step: state.step,
              path: `${path}.store_data.${name}`,
              details: { field: name, notation },
            },
          ),
        ),
      };
    }
    fields[name] = found.value as JsonValue;
  }
  return { fields };
}

/**
 * Phase 5: the step's response, file and stored fields kept (the fields also leave through the
 * `store` command); on to the next step (or sync page).
 */
function advanceStep(
  attempt: Attempt,
  response: ResponseRecord,
  fields: Record<string, JsonValue> | undefined,
): Transition {
  const { ctx, ops, path, now, state } = attempt;
  const commands: RunCommand[] =
    fields !== undefined ? [{ type: "store", step: state.step, fields }] : [];
  const isBlockStep = state.step < blockSteps(ctx).length;
  let next: RunState = nextState(state, {
    responses: isBlockStep
      ? [...state.responses.slice(0, state.step), response.json ?? {}]
      : state.responses,
    stored: fields !== undefined ? { ...state.stored, ...fields } : state.stored,
    files:
      response.file !== undefined
        ? { ...state.files, [response.file.name]: response.file }
        : state.files,
    step: state.step + 1,
    attempt: 0,
    pollAttempts: 0,
    retries: 0,
    lastOutcome: undefined,
  });
  if (blockOf(ctx) === "sync" && next.step >= blockSteps(ctx).length) {
    const sync = nextSyncState(ctx, next, response, path);
    if ("error" in sync) return ops.finish(next, "failed", sync.error);
    next = sync.state;
  }
  if (blockOf(ctx) === "oauth") {
    // Tokens leave through the `oauth` command (stored encrypted); the state keeps only their names.
    const tokens = refreshedTokens(ctx, response, now);
    commands.push({ type: "oauth", tokens });
    next.result = { tokens: Object.keys(tokens) };
  }
  const rest = ops.sendCurrent(ctx, next);
  return { state: rest.state, commands: [...commands, ...rest.commands] };
}

function onRefreshOutcome(
  ctx: RunContext,
  state: RunState,
  step: Step,
  outcome: AttemptOutcome,
  now: number,
  ops: MachineOps,
): Transition {
  const failure = checkResponse(step, state.step, "oauth.refresh", outcome, ctx.maskText);
  if (failure !== undefined) {
    return ops.finish(
      nextState(state, { attempt: state.attempt - 1 }),
      "failed",
      problem(
        "OAUTH_REFRESH",
        "failed",
        { reason: failure.error.message },
        { step: state.step, path: "oauth.refresh" },
      ),
    );
  }
  const response = (outcome as Extract<AttemptOutcome, { type: "response" }>).response;
  const tokens = refreshedTokens(ctx, response, now);
  const next: RunState = nextState(state, {
    attempt: state.attempt - 1,
    oauthRefreshed: true,
    phase: undefined,
  });
  // The new tokens are used for the very next request; the driver keeps them from now on.
  const rest = ops.sendCurrent({ ...ctx, oauth: tokens }, next);
  return { state: rest.state, commands: [{ type: "oauth", tokens }, ...rest.commands] };
}
