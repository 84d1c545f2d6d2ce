// Every templated string of a manifest (docs/manifest.md), walked once for the checks made before
// anything runs: template syntax here (a typo in a rarely used block such as revoke or
// oauth.refresh is found on save), undeclared variables in undeclared-variables.ts. Reads the raw
// input defensively, like the semantic checks.
import { checkTemplate } from "../template/index.ts";
import { isSyncUsersInput } from "./schema.ts";
import { formatPath, isRecord, type PathSegment } from "./path.ts";
import type { ValidationProblem } from "./types.ts";

/**
 * Called for each templated string: its text, where it is, and what part it is when that is not
 * the value itself ("in the name: " for a header name, "in the key: " for a key of a body).
 */
export type TemplateVisitor = (source: string, path: PathSegment[], what: string) => void;

function visitString(value: unknown, path: PathSegment[], visit: TemplateVisitor, what = ""): void {
  if (typeof value === "string") visit(value, path, what);
}

/** Keys and values of a string map (headers): both are templated. */
function visitMap(value: unknown, path: PathSegment[], visit: TemplateVisitor): void {
  if (!isRecord(value)) return;
  for (const [key, item] of Object.entries(value)) {
    visitString(key, [...path, key], visit, "in the name: ");
    visitString(item, [...path, key], visit);
  }
}

/** Every string in a JSON body, object keys included; depth is bounded by the caller. */
function visitData(value: unknown, path: PathSegment[], visit: TemplateVisitor): void {
  if (typeof value === "string") visitString(value, path, visit);
  else if (Array.isArray(value))
    value.forEach((item, index) => visitData(item, [...path, index], visit));
  else if (isRecord(value)) {
    for (const [key, item] of Object.entries(value)) {
      visitString(key, [...path, key], visit, "in the key: ");
      visitData(item, [...path, key], visit);
    }
  }
}

/** The templated parts shared by steps, `exists` and `form` requests. */
function visitRequest(request: unknown, path: PathSegment[], visit: TemplateVisitor): void {
  if (!isRecord(request)) return;
  visitString(request.url, [...path, "url"], visit);
  visitMap(request.headers, [...path, "headers"], visit);
  if (Object.hasOwn(request, "data")) visitData(request.data, [...path, "data"], visit);
  visitString(request.expected, [...path, "expected"], visit);
  if (isRecord(request.continue_if)) {
    visitString(request.continue_if.value, [...path, "continue_if", "value"], visit);
  }
  visitString(request.save_as_file, [...path, "save_as_file"], visit);
  if (isRecord(request.files)) {
    for (const [field, name] of Object.entries(request.files)) {
      visitString(name, [...path, "files", field], visit);
    }
  }
}

function visitEach(
  items: unknown,
  path: PathSegment[],
  visit: (item: unknown, at: PathSegment[]) => void,
): void {
  if (Array.isArray(items)) items.forEach((item, index) => visit(item, [...path, index]));
}

/** Visits every templated string of a manifest-like input, in document order of the blocks. */
export function forEachTemplate(input: unknown, visit: TemplateVisitor): void {
  if (!isRecord(input)) return;
  visitMap(input.headers, ["headers"], visit);
  visitEach(input.execute, ["execute"], (step, at) => visitRequest(step, at, visit));
  visitEach(input.revoke, ["revoke"], (step, at) => visitRequest(step, at, visit));
  visitRequest(input.exists, ["exists"], visit);
  if (isRecord(input.oauth)) {
    visitString(input.oauth.authenticate_url, ["oauth", "authenticate_url"], visit);
    visitRequest(input.oauth.access_token, ["oauth", "access_token"], visit);
    visitRequest(input.oauth.refresh, ["oauth", "refresh"], visit);
  }
  visitEach(input.form, ["form"], (field, at) => visitRequest(field, at, visit));
  visitEach(input.post_execute_notification, ["post_execute_notification"], (note, at) => {
    if (!isRecord(note)) return;
    for (const key of ["to", "subject", "message"]) visitString(note[key], [...at, key], visit);
  });
  if (isSyncUsersInput(input)) visitString(input.next_page, ["next_page"], visit);
}

/** One TEMPLATE_SYNTAX problem per syntax error in any templated string of the manifest. */
export function templateProblems(input: unknown): ValidationProblem[] {
  const out: ValidationProblem[] = [];
  forEachTemplate(input, (source, path, what) => {
    for (const message of checkTemplate(source)) {
      out.push({
        path: formatPath(path),
        message: what + message,
        severity: "error",
        code: "TEMPLATE_SYNTAX",
      });
    }
  });
  return out;
}
