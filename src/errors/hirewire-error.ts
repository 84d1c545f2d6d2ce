// The base error of hirewire and the one problem shape: a stable code, the place it is about
// (JSON path and/or step index), structured details, and a sentence rendered from the code's
// message table (messages.ts). Messages are written for the admin who wrote the manifest.
import { ERROR_CATALOG, type ErrorCode } from "./catalog.ts";
import { errorMessage, type ErrorFacts, type ErrorSituation } from "./messages.ts";

/**
 * One problem: a run's error, a validation finding, a preflight problem, an item of an API
 * error's `problems`. Plain and JSON-serializable, as stored in run state and records.
 */
export interface Problem {
  code: ErrorCode;
  message: string;
  /** JSON path in the manifest or input, e.g. `execute[2].headers.Authorization`. */
  path?: string;
  /** Zero-based index of the step in the block being run. */
  step?: number;
  /** Validation findings only: a warning never makes a manifest invalid. */
  severity?: "error" | "warning";
  details?: Record<string, unknown>;
}

/** A run's or a call's error: the same shape as any problem. */
export type ErrorInfo = Problem;

/**
 * A problem as a list shows it (an API error's `problems`, the blockers of a run): always placed,
 * without details. Items with no code of their own (request-body issues) take the error's.
 */
export type ListedProblem = Omit<Problem, "code" | "path" | "details"> & {
  path: string;
  code?: ErrorCode;
};

/** Where a problem is and what clients may read about it (`details` is emitted as is). */
export interface ProblemPlace {
  path?: string | undefined;
  step?: number | undefined;
  severity?: "error" | "warning" | undefined;
  details?: Record<string, unknown> | undefined;
}

/** A problem of `code` in `situation`, its message rendered from `facts` by the message table. */
export function problem<C extends ErrorCode, S extends ErrorSituation<C>>(
  code: C,
  situation: S,
  facts: ErrorFacts<C, S>,
  place: ProblemPlace = {},
): Problem {
  const out: Problem = { code, message: errorMessage(code, situation, facts) };
  if (place.path !== undefined) out.path = place.path;
  if (place.step !== undefined) out.step = place.step;
  if (place.severity !== undefined) out.severity = place.severity;
  if (place.details !== undefined) out.details = place.details;
  return out;
}

/** A HirewireError of `code` in `situation` (see `problem`), for `throw`. */
export function hirewireError<C extends ErrorCode, S extends ErrorSituation<C>>(
  code: C,
  situation: S,
  facts: ErrorFacts<C, S>,
  place: ProblemPlace & { cause?: unknown } = {},
): HirewireError {
  const info = problem(code, situation, facts, place);
  return new HirewireError(info, "cause" in place ? { cause: place.cause } : undefined);
}

export class HirewireError extends Error {
  readonly code: ErrorCode;
  readonly path: string | undefined;
  readonly step: number | undefined;
  readonly details: Record<string, unknown> | undefined;

  /** Wraps a problem (one made by `problem`, or one caught and placed again). */
  constructor(info: Problem, options?: { cause?: unknown }) {
    super(info.message, options);
    this.name = "HirewireError";
    this.code = info.code;
    this.path = info.path;
    this.step = info.step;
    this.details = info.details;
  }

  get title(): string {
    return ERROR_CATALOG[this.code].title;
  }

  toJSON(): Problem {
    return toErrorInfo(this);
  }
}

/** Turns any thrown value into a Problem (unknown errors become INTERNAL). */
export function toErrorInfo(error: unknown): Problem {
  if (error instanceof HirewireError) {
    const info: Problem = { code: error.code, message: error.message };
    if (error.path !== undefined) info.path = error.path;
    if (error.step !== undefined) info.step = error.step;
    if (error.details !== undefined) info.details = error.details;
    return info;
  }
  const message = error instanceof Error ? error.message : String(error);
  return problem("INTERNAL", "unexpected", { reason: message });
}

/**
 * Any thrown value as a HirewireError placed at `place` (a render error at the step's JSON path,
 * say): the place given wins, the rest is kept, and the original becomes the cause.
 */
export function placeError(error: unknown, place: ProblemPlace): HirewireError {
  const info = toErrorInfo(error);
  if (place.path !== undefined) info.path = place.path;
  if (place.step !== undefined) info.step = place.step;
  if (place.severity !== undefined) info.severity = place.severity;
  if (place.details !== undefined) info.details = place.details;
  return new HirewireError(info, { cause: error });
}

export function isHirewireError(error: unknown, code?: ErrorCode): error is HirewireError {
  return error instanceof HirewireError && (code === undefined || error.code === code);
}
