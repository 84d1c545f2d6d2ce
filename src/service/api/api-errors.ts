// The API's one error shape, `{code, message, path?, problems?}`, and the two places that produce
// it: the error handler (HirewireError, Hono's HTTPException, anything else) and the request
// validation hook (zod issues). Unknown errors never leak their message: it may hold internals.
import type { Context, ErrorHandler, Env } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ZodError } from "zod";
import {
  ERROR_CATALOG,
  HirewireError,
  problem,
  type ErrorCode,
  type ListedProblem,
} from "../../errors/index.ts";
import { formatPath, type PathSegment } from "../../manifest/index.ts";

/** One item of an error's `problems`: the one problem shape, always placed. */
export type ApiProblem = ListedProblem;

/** The body of every error response. */
export interface ApiErrorBody {
  code: ErrorCode;
  message: string;
  path?: string;
  problems?: ApiProblem[];
}

/**
 * A HirewireError carrying a list of problems (answered as `problems`). Only `details.problems`
 * reaches the client; other details stay server-side.
 */
export function problemError(
  code: ErrorCode,
  message: string,
  problems: ApiProblem[],
  path?: string,
): HirewireError {
  return new HirewireError({
    code,
    message,
    ...(path !== undefined ? { path } : {}),
    details: { problems },
  });
}

function bodyOf(error: HirewireError): ApiErrorBody {
  const body: ApiErrorBody = { code: error.code, message: error.message };
  if (error.path !== undefined && error.path !== "") body.path = error.path;
  const problems = error.details?.problems;
  if (Array.isArray(problems)) body.problems = problems as ApiProblem[];
  return body;
}

/** Writes an ErrorInfo-like body with the HTTP status the catalog gives its code. */
function errorResponse(c: Context, error: HirewireError): Response {
  if (error.code === "UNAUTHORIZED") c.header("www-authenticate", 'Bearer realm="hirewire"');
  return c.json(bodyOf(error), ERROR_CATALOG[error.code].http as ContentfulStatusCode);
}

/** Hono's own errors: 400 malformed JSON, 415 wrong content type. */
function httpExceptionBody(error: HTTPException): ApiErrorBody {
  if (error.status === 415) {
    return problem("INPUT_INVALID", "notJsonContentType", {});
  }
  if (error.message === "Malformed JSON in request body") {
    return problem("INPUT_INVALID", "notJsonBody", {});
  }
  return { code: error.status === 401 ? "UNAUTHORIZED" : "INPUT_INVALID", message: error.message };
}

/** The API's error handler; `log` receives unexpected errors (the client only sees INTERNAL). */
export function apiErrorHandler<E extends Env>(log: (error: unknown) => void): ErrorHandler<E> {
  return (error, c) => {
    if (error instanceof HirewireError) return errorResponse(c, error);
    if (error instanceof HTTPException) {
      return c.json(httpExceptionBody(error), error.status as ContentfulStatusCode);
    }
    log(error);
    const body: ApiErrorBody = problem("INTERNAL", "server", {});
    return c.json(body, 500);
  };
}

type Issue = ZodError["issues"][number];

function segments(path: readonly PropertyKey[]): PathSegment[] {
  return path.map((segment) => (typeof segment === "number" ? segment : String(segment)));
}

/** Where a request part's values live in our path style: the body is the root. */
const TARGET_PREFIX: Record<string, PathSegment[]> = {
  json: [],
  query: ["query"],
  param: ["path"],
  header: ["header"],
};

const TYPE_NAMES: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  object: "a JSON object",
  array: "a list",
  record: "a JSON object",
  null: "null",
};

/** zod's own messages start like this; a schema's own `error` text is kept as written. */
const ZOD_DEFAULT = /^(Invalid input|Invalid option|Too small|Too big|Invalid|Unrecognized)/;

function limitText(issue: Issue & { code: "too_small" | "too_big" }): string {
  const small = issue.code === "too_small";
  const bound = Number(small ? issue.minimum : issue.maximum);
  const word = small ? "at least" : "at most";
  if (issue.origin === "string") {
    if (small && bound === 1) return "must not be empty";
    return `must be ${word} ${bound} characters long`;
  }
  if (issue.origin === "array" || issue.origin === "set")
    return small && bound === 1 ? "must not be empty" : `must hold ${word} ${bound} items`;
  return `must be ${word} ${bound}`;
}

/** A phrase a person can read after the field's name: "is required", "must be a string". */
function plainIssueMessage(issue: Issue): string {
  if (!ZOD_DEFAULT.test(issue.message)) return issue.message;
  switch (issue.code) {
    case "invalid_type":
      if (/received undefined$/.test(issue.message)) return "is required";
      return `must be ${TYPE_NAMES[issue.expected] ?? issue.expected}`;
    case "invalid_value":
      return `must be one of ${issue.values.map((value) => JSON.stringify(value)).join(", ")}`;
    case "too_small":
    case "too_big":
      return limitText(issue);
    case "invalid_format":
      return `must be a valid ${issue.format}`;
    case "invalid_key":
      return "is not an allowed name here";
    default:
      return "is not valid";
  }
}

function issueProblems(issue: Issue, prefix: PathSegment[]): ApiProblem[] {
  const base = [...prefix, ...segments(issue.path)];
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => ({
      path: formatPath([...base, key]),
      message: "is not a known field",
    }));
  }
  const message = plainIssueMessage(issue);
  // A missing body (or query) as a whole.
  if (base.length === 0 && message === "is required")
    return [{ path: "", message: "the request body is required" }];
  return [{ path: formatPath(base), message }];
}

/** Turns zod issues into problems with paths like `params.team` or `query.limit`. */
function zodProblems(error: ZodError, target: string): ApiProblem[] {
  const prefix = TARGET_PREFIX[target] ?? [target];
  return error.issues.flatMap((issue) => issueProblems(issue, prefix));
}

/** The validation hook of every route: 422 INPUT_INVALID naming the first problem, listing all. */
export function validationHook(
  result: { success: true } | { success: false; error: ZodError; target: string },
  c: Context,
): Response | undefined {
  if (result.success) return undefined;
  const problems = zodProblems(result.error, result.target);
  const facts = { first: problems[0], more: Math.max(0, problems.length - 1) };
  const body: ApiErrorBody = { ...problem("INPUT_INVALID", "request", facts), problems };
  if (problems[0] !== undefined && problems[0].path !== "") body.path = problems[0].path;
  return c.json(body, 422);
}
