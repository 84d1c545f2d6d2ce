// The run state machine (DESIGN.md): advance(context, state, event) → (state, commands). No I/O,
// no clock, no timers, no randomness: time arrives in events, randomness in the initial state.
// The driver checkpoints the returned state before carrying out its commands, so a run saved after
// any transition continues in another process exactly where it stopped.
import { HirewireError, toErrorInfo, type ErrorInfo } from "../errors/index.ts";
import type { AttemptOutcome, ResponseRecord } from "../exchange/types.ts";
import type { JsonValue, Step } from "../manifest/types.ts";
import { readNotation } from "../json/notation.ts";
import { renderTemplate } from "../template/index.ts";
import { comparableText, evaluateCondition } from "./condition.ts";
import { excerpt, describeRequest } from "./describe.ts";
import { buildRequest } from "./request.ts";
import {
  IDEMPOTENT_METHODS,
  allowedRetries,
  backoffDelay,
  describeOutcome,
  retryAfterOf,
  transientKind,
} from "./retry.ts";
import {
  STATE_VERSION,
  type RunCommand,
  type RunContext,
  type RunEvent,
  type RunState,
  type Transition,
} from "./types.ts";
import { runScope } from "./variables.ts";

const DEFAULTS = {
  defaultTimeoutMs: 30_000,
  maxRedirects: 10,
  retryBaseMs: 500,
  retryMaxDelayMs: 30_000,
  retryAfterMaxMs: 3_600_000,
};

/** A new run, queued. `generated` holds fresh random values for `generate` items (the driver makes them). */
export function createRunState(runId: string, generated: Record<string, string> = {}): RunState {
  return {
    version: STATE_VERSION,
    runId,
    status: "queued",
    step: 0,
    attempt: 0,
    pollAttempts: 0,
    retries: 0,
    responses: [],
    stored: {},
    files: {},
    generated,
  };
}

/** Feeds one event to the run. Never throws for run-level problems: they become a failed state. */
export function advance(ctx: RunContext, state: RunState, event: RunEvent): Transition {
  switch (event.type) {
    case "start":
      if (state.status !== "queued") return ignore(state);
      return sendCurrent(ctx, { ...state, status: "running" });
    case "wake":
      if (state.status !== "waiting" || (state.wakeAt !== undefined && event.now < state.wakeAt))
        return ignore(state);
      return sendCurrent(ctx, withoutWake({ ...state, status: "running" }));
    case "outcome":
      if (state.status !== "running" || state.inFlight === undefined) return ignore(state);
      return onOutcome(ctx, state, event.outcome, event.now);
    case "resume":
      if (state.status !== "failed" && state.status !== "blocked") return ignore(state);
      return sendCurrent(
        ctx,
        withoutWake({
          ...clearError(state),
          status: "running",
          attempt: 0,
          pollAttempts: 0,
          retries: 0,
        }),
      );
    case "recover":
      return recover(ctx, state, event.now);
    case "cancel":
      if (
        state.status === "succeeded" ||
        state.status === "failed" ||
        state.status === "blocked" ||
        state.status === "cancelled"
      )
        return ignore(state);
      return finish(withoutWake({ ...state, inFlight: undefined }), "cancelled", {
        code: "CANCELLED",
        message: "the run was cancelled",
        step: state.step,
      });
  }
}

function recover(ctx: RunContext, state: RunState, now: number): Transition {
  switch (state.status) {
    case "queued":
      return advance(ctx, state, { type: "start", now });
    case "waiting":
      return advance(ctx, state, { type: "wake", now });
    case "running": {
      const inFlight = state.inFlight;
      if (inFlight !== undefined && !inFlight.idempotent) {
        return finish({ ...state, inFlight: undefined }, "failed", {
          code: "INTERRUPTED",
          message: "interrupted while sending; not resent to avoid a duplicate",
          step: state.step,
          path: stepPath(state.step),
        });
      }
      // An idempotent request in flight (or none) is simply sent again.
      return sendCurrent(ctx, { ...state, inFlight: undefined });
    }
    default:
      return ignore(state);
  }
}

function sendCurrent(ctx: RunContext, state: RunState): Transition {
  const steps = ctx.manifest.execute;
  if (state.step >= steps.length) return finish(state, "succeeded");
  const step = steps[state.step]!;
  const options = { ...DEFAULTS, ...ctx.options };
  try {
    const built = buildRequest(step, runScope(ctx, state), {
      stepPath: stepPath(state.step),
      stepIndex: state.step,
      manifestHeaders: ctx.manifest.headers,
      files: state.files,
      defaultTimeoutMs: options.defaultTimeoutMs,
      maxRedirects: options.maxRedirects,
      ...(options.idempotencyKeys === true
        ? { idempotencyKey: `hw-${state.runId}-${state.step}` }
        : {}),
    });
    const method = built.request.method;
    const idempotent = IDEMPOTENT_METHODS.has(method);
    const next: RunState = {
      ...state,
      inFlight: { step: state.step, attempt: state.attempt + 1, idempotent },
    };
    const command: RunCommand = {
      type: "send",
      step: state.step,
      attempt: state.attempt + 1,
      request: built.request,
      idempotent,
    };
    if (built.derived.length > 0) command.derived = built.derived;
    return { state: next, commands: [command] };
  } catch (error) {
    return finish(state, "failed", toErrorInfo(error));
  }
}

function onOutcome(
  ctx: RunContext,
  before: RunState,
  outcome: AttemptOutcome,
  now: number,
): Transition {
  const step = ctx.manifest.execute[before.step]!;
  const method = step.method ?? "POST";
  const state: RunState = { ...before, inFlight: undefined, attempt: before.attempt + 1 };
  const polling = step.polling;
  if (polling !== undefined) state.pollAttempts = before.pollAttempts + 1;

  const failure = checkResponse(step, state.step, outcome);
  if (failure !== undefined) {
    const kind = transientKind(outcome);
    if (kind !== undefined && !failure.acceptedStatus) {
      if (polling !== undefined) {
        // A transient failure during polling uses up an attempt; polling goes on.
        if (state.pollAttempts < polling.amount) {
          const retryAfter = retryAfterOf(outcome, now) ?? 0;
          return wait(
            state,
            now + Math.max(polling.interval * 1000, Math.min(retryAfter, DEFAULTS.retryAfterMaxMs)),
            "poll",
            describeOutcome(outcome),
          );
        }
        return finish(state, "failed", {
          code: "POLL_TIMEOUT",
          message: `polling timed out after ${state.pollAttempts} attempts; the last attempt failed: ${failure.error.message}`,
          step: state.step,
          path: `${stepPath(state.step)}.polling`,
          details: { attempts: state.pollAttempts, lastError: failure.error },
        });
      }
      if (state.retries < allowedRetries(step, method, kind)) {
        const options = { ...DEFAULTS, ...ctx.options };
        const retryAfter = retryAfterOf(outcome, now);
        const delay =
          retryAfter !== undefined
            ? Math.min(retryAfter, options.retryAfterMaxMs)
            : backoffDelay(`${state.runId}:${state.step}`, state.retries, {
                baseMs: options.retryBaseMs,
                maxDelayMs: options.retryMaxDelayMs,
              });
        return wait(
          { ...state, retries: state.retries + 1 },
          now + delay,
          "retry",
          describeOutcome(outcome),
        );
      }
    }
    return finish(state, "failed", failure.error);
  }

  const response = (outcome as Extract<AttemptOutcome, { type: "response" }>).response;
  const body = bodyValue(response);

  if (step.continue_if !== undefined) {
    const expected = renderCondition(ctx, state, step);
    if (typeof expected !== "string") return finish(state, "failed", expected.error);
    const result = evaluateCondition(body, step.continue_if.response_notation, expected);
    if (!result.matched) {
      const seen = `${step.continue_if.response_notation || "the response"} was ${result.found ? JSON.stringify(result.seen) : "missing"}`;
      if (polling !== undefined) {
        if (state.pollAttempts < polling.amount)
          return wait(state, now + polling.interval * 1000, "poll", seen);
        return finish(state, "failed", {
          code: "POLL_TIMEOUT",
          message: `polling timed out after ${state.pollAttempts} attempts; last value at ${step.continue_if.response_notation || "the response"} was ${result.found ? JSON.stringify(result.seen) : "missing"} (waiting for ${JSON.stringify(expected)})`,
          step: state.step,
          path: `${stepPath(state.step)}.polling`,
          details: { attempts: state.pollAttempts, seen: result.seen, expected },
        });
      }
      return finish(state, "blocked", {
        code: "BLOCKED",
        message: `continue_if not met: ${seen}, expected ${JSON.stringify(expected)}; the run stops here`,
        step: state.step,
        path: `${stepPath(state.step)}.continue_if`,
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
        return finish(state, "failed", {
          code: "STORE_DATA_NOT_FOUND",
          message: `could not store ${name}: ${notation === "" ? "the response" : notation} not found in response ${excerpt(response)}`,
          step: state.step,
          path: `${stepPath(state.step)}.store_data.${name}`,
          details: { field: name, notation },
        });
      }
      fields[name] = found.value as JsonValue;
    }
    stored = { ...stored, ...fields };
    commands.push({ type: "store", step: state.step, fields });
  }

  const next: RunState = {
    ...state,
    responses: [...state.responses.slice(0, state.step), response.json ?? {}],
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
  const rest = sendCurrent(ctx, next);
  return { state: rest.state, commands: [...commands, ...rest.commands] };
}

interface ResponseFailure {
  error: ErrorInfo;
  /** The status is one `status_code` lists: a success, never retried. */
  acceptedStatus: boolean;
}

/** Status and `expected` checks, in that order; undefined when the attempt succeeded. */
function checkResponse(
  step: Step,
  index: number,
  outcome: AttemptOutcome,
): ResponseFailure | undefined {
  if (outcome.type === "error")
    return {
      error: { ...outcome.error, step: index, path: stepPath(index) },
      acceptedStatus: false,
    };
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
        message: `${describeRequest(step, response)} answered ${response.status}, expected ${wanted}; response: ${excerpt(response)}`,
        step: index,
        path: stepPath(index),
        details: { status: response.status, expected: accepted ?? "2xx" },
      },
      acceptedStatus: false,
    };
  }
  if (
    step.expected !== undefined &&
    step.expected !== "" &&
    !(response.text ?? "").includes(step.expected)
  ) {
    return {
      error: {
        code: "EXPECTED_TEXT_MISSING",
        message: `the response does not contain ${JSON.stringify(step.expected)}; response: ${excerpt(response)}`,
        step: index,
        path: `${stepPath(index)}.expected`,
      },
      acceptedStatus: true,
    };
  }
  return undefined;
}

function renderCondition(
  ctx: RunContext,
  state: RunState,
  step: Step,
): string | { error: ErrorInfo } {
  const raw = step.continue_if!.value;
  const source = typeof raw === "string" ? raw : comparableText(raw);
  try {
    return renderTemplate(source, runScope(ctx, state));
  } catch (error) {
    const info = toErrorInfo(error);
    return {
      error: { ...info, step: state.step, path: `${stepPath(state.step)}.continue_if.value` },
    };
  }
}

/** The JSON body, or the text for a non-JSON body (the empty notation reads it whole). */
function bodyValue(response: ResponseRecord): JsonValue | undefined {
  if (response.json !== undefined) return response.json;
  return response.text;
}

function wait(
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

function finish(
  state: RunState,
  status: "succeeded" | "failed" | "blocked" | "cancelled",
  error?: ErrorInfo,
): Transition {
  const next: RunState = { ...withoutWake(state), status };
  delete next.inFlight;
  if (error !== undefined) next.error = error;
  else delete next.error;
  const command: RunCommand =
    error !== undefined ? { type: "finish", status, error } : { type: "finish", status };
  return { state: next, commands: [command] };
}

function ignore(state: RunState): Transition {
  return { state, commands: [] };
}

function withoutWake(state: RunState): RunState {
  const next = { ...state };
  delete next.wakeAt;
  return next;
}

function clearError(state: RunState): RunState {
  const next = { ...state };
  delete next.error;
  delete next.lastOutcome;
  return next;
}

export function stepPath(index: number): string {
  return `execute[${index}]`;
}

export { HirewireError };
