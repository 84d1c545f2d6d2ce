// What one attempt's outcome does to the run, in a fixed order: OAuth refresh handling, status
// and `expected` checks (transient failures retried or polled again), continue_if, store_data,
// then the next step — or, for `exists`, the true/false/unknown answer; for `sync`, the next page.
import type { ErrorInfo } from "../errors/index.ts";
import type { AttemptOutcome, ResponseRecord } from "../exchange/types.ts";
import type { JsonValue, Step } from "../manifest/types.ts";
import { readNotation } from "../json/notation.ts";
import { renderTemplate } from "../template/index.ts";
import { toErrorInfo } from "../errors/index.ts";
import { blockOf, blockSteps } from "./blocks.ts";
import { comparableText, evaluateCondition } from "./condition.ts";
import { describeRequest, excerpt } from "./describe.ts";
import { existsResult } from "./exists-result.ts";
import { currentStep, ENGINE_DEFAULTS, stepPath } from "./current-step.ts";
import type { MachineOps } from "./finish-wait.ts";
import { canRefresh, refreshedTokens } from "./oauth-refresh.ts";
import {
  allowedRetries,
  backoffDelay,
  describeOutcome,
  retryAfterOf,
  transientKind,
} from "./retry.ts";
import { nextSyncState } from "./sync-pages.ts";
import type { RunCommand, RunContext, RunState, Transition } from "./types.ts";
import { runScope } from "./variables.ts";

export function onOutcome(
  ctx: RunContext,
  before: RunState,
  outcome: AttemptOutcome,
  now: number,
  ops: MachineOps,
): Transition {
  const step = currentStep(ctx, before)!;
  const method = step.method ?? "POST";
  const path = stepPath(ctx, before);
  const state: RunState = { ...before, inFlight: undefined, attempt: before.attempt + 1 };

  if (before.phase === "oauth-refresh")
    return onRefreshOutcome(ctx, state, step, outcome, now, ops);

  // A 401 with an OAuth refresh available: refresh once, then send this step again.
  if (
    outcome.type === "response" &&
    outcome.response.status === 401 &&
    canRefresh(ctx) &&
    state.oauthRefreshed !== true
  ) {
    const accepted = step.status_code?.map(Number) ?? [];
    if (!accepted.includes(401))
      return ops.sendCurrent(ctx, { ...state, attempt: before.attempt, phase: "oauth-refresh" });
  }

  const isExists = blockOf(ctx) === "exists";
  const polling = step.polling;
  if (polling !== undefined) state.pollAttempts = before.pollAttempts + 1;

  const expectedText = renderExpected(ctx, state, step, path);
  if (typeof expectedText === "object") return ops.finish(state, "failed", expectedText.error);
  const failure = isExists
    ? transportFailure(outcome, state.step, path, ctx.maskText)
    : checkResponse(step, state.step, path, outcome, ctx.maskText, expectedText);
  if (failure !== undefined) {
    const kind = transientKind(outcome);
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
        return ops.finish(state, "failed", {
          code: "POLL_TIMEOUT",
          message: `polling timed out after ${state.pollAttempts} attempts; the last attempt failed: ${failure.error.message}`,
          step: state.step,
          path: `${path}.polling`,
          details: { attempts: state.pollAttempts, lastError: failure.error },
        });
      }
      if (state.retries < allowedRetries(step, method, kind)) {
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
          { ...state, retries: state.retries + 1 },
          now + delay,
          "retry",
          describeOutcome(outcome),
        );
      }
    }
    if (isExists)
      return ops.finish(
        { ...state, result: { exists: null, reason: failure.error.message } },
        "succeeded",
      );
    return ops.finish(state, "failed", failure.error);
  }

  const response = (outcome as Extract<AttemptOutcome, { type: "response" }>).response;
  if (isExists) {
    const result = existsResult(ctx, state, step, response);
    if ("error" in result) return ops.finish(state, "failed", result.error);
    return ops.finish({ ...state, result: result.value }, "succeeded");
  }
  const body = bodyValue(response);

  if (step.continue_if !== undefined) {
    const expected = renderCondition(ctx, state, step, path);
    if (typeof expected !== "string") return ops.finish(state, "failed", expected.error);
    const notation = step.continue_if.response_notation;
    const result = evaluateCondition(body, notation, expected);
    if (!result.matched) {
      const seen = `${notation || "the response"} was ${result.found ? JSON.stringify(result.seen) : "missing"}`;
      if (polling !== undefined) {
        if (state.pollAttempts < polling.amount)
          return ops.wait(state, now + polling.interval * 1000, "poll", seen);
        return ops.finish(state, "failed", {
          code: "POLL_TIMEOUT",
          message: `polling timed out after ${state.pollAttempts} attempts; last value at ${seen} (waiting for ${JSON.stringify(expected)})`,
          step: state.step,
          path: `${path}.polling`,
          details: { attempts: state.pollAttempts, seen: result.seen, expected },
        });
      }
      return ops.finish(state, "blocked", {
        code: "BLOCKED",
        message: `continue_if not met: ${seen}, expected ${JSON.stringify(expected)}; the run stops here`,
        step: state.step,
        path: `${path}.continue_if`,
        details: { seen: result.seen, expected },
      });
    }
  }

  const commands: RunCommand[] = [];
  let stored = state.stored;
  if (step.store_data !== undefined && Object.keys(step.store_data).length > 0) {
    const fields: Record<string, JsonValue> = {};
    for (const [name, notation] of Object.entries(step.store_data)) {
      const found =
        response.json !== undefined || notation === ""
          ? readNotation(body, notation)
          : { found: false as const };
      if (!found.found) {
        return ops.finish(state, "failed", {
          code: "STORE_DATA_NOT_FOUND",
          message: `could not store ${name}: ${notation === "" ? "the response" : notation} not found in response ${excerpt(response, ctx.maskText)}`,
          step: state.step,
          path: `${path}.store_data.${name}`,
          details: { field: name, notation },
        });
      }
      fields[name] = found.value as JsonValue;
    }
    stored = { ...stored, ...fields };
    commands.push({ type: "store", step: state.step, fields });
  }

  const isBlockStep = state.step < blockSteps(ctx).length;
  let next: RunState = {
    ...state,
    responses: isBlockStep
      ? [...state.responses.slice(0, state.step), response.json ?? {}]
      : state.responses,
    stored,
    files:
      response.file !== undefined
        ? { ...state.files, [response.file.name]: response.file }
        : state.files,
    step: state.step + 1,
    attempt: 0,
    pollAttempts: 0,
    retries: 0,
  };
  delete next.lastOutcome;
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
    return ops.finish({ ...state, attempt: state.attempt - 1 }, "failed", {
      code: "OAUTH_REFRESH",
      message: `refreshing the OAuth token failed: ${failure.error.message}`,
      step: state.step,
      path: "oauth.refresh",
    });
  }
  const response = (outcome as Extract<AttemptOutcome, { type: "response" }>).response;
  const tokens = refreshedTokens(ctx, response, now);
  const next: RunState = { ...state, attempt: state.attempt - 1, oauthRefreshed: true };
  delete next.phase;
  // The new tokens are used for the very next request; the driver keeps them from now on.
  const rest = ops.sendCurrent({ ...ctx, oauth: tokens }, next);
  return { state: rest.state, commands: [{ type: "oauth", tokens }, ...rest.commands] };
}

interface ResponseFailure {
  error: ErrorInfo;
  /** The status is one `status_code` lists: a success, never retried. */
  acceptedStatus: boolean;
}

function transportFailure(
  outcome: AttemptOutcome,
  index: number,
  path: string,
  mask: RunContext["maskText"],
): ResponseFailure | undefined {
  if (outcome.type === "error")
    return { error: { ...outcome.error, step: index, path }, acceptedStatus: false };
  if (transientKind(outcome) !== undefined) {
    return {
      error: {
        code: "HTTP_STATUS",
        message: `the check answered ${outcome.response.status}; response: ${excerpt(outcome.response, mask)}`,
        step: index,
        path,
      },
      acceptedStatus: false,
    };
  }
  return undefined;
}

/** Status and `expected` checks, in that order; undefined when the attempt succeeded. */
function checkResponse(
  step: Step,
  index: number,
  path: string,
  outcome: AttemptOutcome,
  mask: RunContext["maskText"],
  expected?: string,
): ResponseFailure | undefined {
  if (outcome.type === "error")
    return { error: { ...outcome.error, step: index, path }, acceptedStatus: false };
  const response = outcome.response;
  const accepted = step.status_code?.map((code) => Number(code));
  const ok =
    accepted !== undefined && accepted.length > 0
      ? accepted.includes(response.status)
      : response.status >= 200 && response.status < 300;
  if (!ok) {
    const wanted =
      accepted !== undefined && accepted.length > 0
        ? `one of ${accepted.join(", ")}`
        : "a 2xx status";
    return {
      error: {
        code: "HTTP_STATUS",
        message: `${describeRequest(step, response)} answered ${response.status}, expected ${wanted}; response: ${excerpt(response, mask)}`,
        step: index,
        path,
        details: { status: response.status, expected: accepted ?? "2xx" },
      },
      acceptedStatus: false,
    };
  }
  if (expected !== undefined && expected !== "" && !(response.text ?? "").includes(expected)) {
    return {
      error: {
        code: "EXPECTED_TEXT_MISSING",
        message: `the response does not contain ${JSON.stringify(expected)}; response: ${excerpt(response, mask)}`,
        step: index,
        path: `${path}.expected`,
      },
      acceptedStatus: true,
    };
  }
  return undefined;
}

/** The step's `expected` text, rendered (revoke checks often name the hire). */
function renderExpected(
  ctx: RunContext,
  state: RunState,
  step: Step,
  path: string,
): string | undefined | { error: ErrorInfo } {
  if (step.expected === undefined) return undefined;
  try {
    return renderTemplate(step.expected, runScope(ctx, state));
  } catch (error) {
    return { error: { ...toErrorInfo(error), step: state.step, path: `${path}.expected` } };
  }
}

function renderCondition(
  ctx: RunContext,
  state: RunState,
  step: Step,
  path: string,
): string | { error: ErrorInfo } {
  const raw = step.continue_if!.value;
  const source = typeof raw === "string" ? raw : comparableText(raw);
  try {
    return renderTemplate(source, runScope(ctx, state));
  } catch (error) {
    return {
      error: { ...toErrorInfo(error), step: state.step, path: `${path}.continue_if.value` },
    };
  }
}

/** The JSON body, or the text for a non-JSON body (the empty notation reads it whole). */
function bodyValue(response: ResponseRecord): JsonValue | undefined {
  return response.json !== undefined ? response.json : response.text;
}
