// The checks an attempt's response goes through (outcome.ts runs them in order): the status
// against `status_code` (2xx without it) and the `expected` text, a transport failure for
// `exists` checks, and the rendering of the `expected` and `continue_if` templates.
import type { ErrorInfo } from "../errors/index.ts";
import { problem, toErrorInfo } from "../errors/index.ts";
import type { AttemptOutcome, ResponseRecord } from "../exchange/types.ts";
import type { JsonValue, Step } from "../manifest/types.ts";
import { isTemplated, renderTemplate } from "../template/index.ts";
import { comparableText } from "./condition.ts";
import { describeRequest, excerpt } from "./describe.ts";
import { transientKind } from "./retry.ts";
import type { RunContext, RunState } from "./types.ts";
import { runScope } from "./variables.ts";

export interface ResponseFailure {
  error: ErrorInfo;
  /** The status is one `status_code` lists: a success, never retried. */
  acceptedStatus: boolean;
}

export function transportFailure(
  outcome: AttemptOutcome,
  index: number,
  path: string,
  mask: RunContext["maskText"],
): ResponseFailure | undefined {
  if (outcome.type === "error")
    return { error: { ...outcome.error, step: index, path }, acceptedStatus: false };
  if (transientKind(outcome) !== undefined) {
    const { status } = outcome.response;
    const response = excerpt(outcome.response, mask);
    return {
      error: problem("HTTP_STATUS", "check", { status, response }, { step: index, path }),
      acceptedStatus: false,
    };
  }
  return undefined;
}

/** Status and `expected` checks, in that order; undefined when the attempt succeeded. */
export function checkResponse(
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
    const facts = {
      request: describeRequest(step, response),
      status: response.status,
      accepted,
      response: excerpt(response, mask),
    };
    return {
      error: problem("HTTP_STATUS", "unexpected", facts, {
        step: index,
        path,
        details: { status: response.status, expected: accepted ?? "2xx" },
      }),
      acceptedStatus: false,
    };
  }
  if (expected !== undefined && expected !== "" && !(response.text ?? "").includes(expected)) {
    return {
      error: problem(
        "EXPECTED_TEXT_MISSING",
        "missing",
        { expected, response: excerpt(response, mask) },
        { step: index, path: `${path}.expected` },
      ),
      acceptedStatus: true,
    };
  }
  return undefined;
}

/** The step's `expected` text, rendered (revoke checks often name the hire). */
export function renderExpected(
  ctx: RunContext,
  state: RunState,
  step: Step,
  path: string,
): string | undefined | { error: ErrorInfo } {
  if (step.expected === undefined) return undefined;
  // Plain text (most conditions) needs no scope: rendering would return it as it is.
  if (!isTemplated(step.expected)) return step.expected;
  try {
    return renderTemplate(step.expected, runScope(ctx, state));
  } catch (error) {
    return { error: { ...toErrorInfo(error), step: state.step, path: `${path}.expected` } };
  }
}

export function renderCondition(
  ctx: RunContext,
  state: RunState,
  step: Step,
  path: string,
): string | { error: ErrorInfo } {
  const raw = step.continue_if!.value;
  const source = typeof raw === "string" ? raw : comparableText(raw);
  if (!isTemplated(source)) return source;
  try {
    return renderTemplate(source, runScope(ctx, state));
  } catch (error) {
    return {
      error: { ...toErrorInfo(error), step: state.step, path: `${path}.continue_if.value` },
    };
  }
}

/** The JSON body, or the text for a non-JSON body (the empty notation reads it whole). */
export function bodyValue(response: ResponseRecord): JsonValue | undefined {
  return response.json !== undefined ? response.json : response.text;
}
