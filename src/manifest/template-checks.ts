// Template syntax of every templated string in a manifest (docs/manifest.md), checked before
// anything runs so a typo in a rarely used block (revoke, oauth.refresh) is found on save.
// Reads the raw input defensively, like the semantic checks.
import { checkTemplate } from "../template/index.ts";
import { isSyncUsersInput } from "./schema.ts";
import { formatPath, isRecord, type PathSegment } from "./path.ts";
import type { ValidationProblem } from "./types.ts";

type Out = ValidationProblem[];

function checkString(value: unknown, path: PathSegment[], out: Out, what = ""): void {
  if (typeof value !== "string") return;
  for (const message of checkTemplate(value)) {
    out.push({
      path: formatPath(path),
      message: what + message,
      severity: "error",
      code: "TEMPLATE_SYNTAX",
    });
  }
}

/** Keys and values of a string map (headers): both are templated. */
function checkMap(value: unknown, path: PathSegment[], out: Out): void {
  if (!isRecord(value)) return;
  for (const [key, item] of Object.entries(value)) {
    checkString(key, [...path, key], out, "in the name: ");
    checkString(item, [...path, key], out);
  }
}

/** Every string in a JSON body, object keys included; depth is bounded by the caller. */
function checkData(value: unknown, path: PathSegment[], out: Out): void {
  if (typeof value === "string") checkString(value, path, out);
  else if (Array.isArray(value))
    value.forEach((item, index) => checkData(item, [...path, index], out));
  else if (isRecord(value)) {
    for (const [key, item] of Object.entries(value)) {
      checkString(key, [...path, key], out, "in the key: ");
      checkData(item, [...path, key], out);
    }
  }
}

/** The templated parts shared by steps, `exists` and `form` requests. */
function checkRequest(request: unknown, path: PathSegment[], out: Out): void {
  if (!isRecord(request)) return;
  checkString(request.url, [...path, "url"], out);
  checkMap(request.headers, [...path, "headers"], out);
  if (Object.hasOwn(request, "data")) checkData(request.data, [...path, "data"], out);
  checkString(request.expected, [...path, "expected"], out);
  if (isRecord(request.continue_if)) {
    checkString(request.continue_if.value, [...path, "continue_if", "value"], out);
  }
  checkString(request.save_as_file, [...path, "save_as_file"], out);
  if (isRecord(request.files)) {
    for (const [field, name] of Object.entries(request.files)) {
      checkString(name, [...path, "files", field], out);
    }
  }
}

function checkEach(
  items: unknown,
  path: PathSegment[],
  out: Out,
  check: (item: unknown, at: PathSegment[]) => void,
): void {
  if (Array.isArray(items)) items.forEach((item, index) => check(item, [...path, index]));
}

/** One TEMPLATE_SYNTAX problem per syntax error in any templated string of the manifest. */
export function templateProblems(input: unknown): ValidationProblem[] {
  const out: Out = [];
  if (!isRecord(input)) return out;
  checkMap(input.headers, ["headers"], out);
  checkEach(input.execute, ["execute"], out, (step, at) => checkRequest(step, at, out));
  checkEach(input.revoke, ["revoke"], out, (step, at) => checkRequest(step, at, out));
  checkRequest(input.exists, ["exists"], out);
  if (isRecord(input.oauth)) {
    checkString(input.oauth.authenticate_url, ["oauth", "authenticate_url"], out);
    checkRequest(input.oauth.access_token, ["oauth", "access_token"], out);
    checkRequest(input.oauth.refresh, ["oauth", "refresh"], out);
  }
  checkEach(input.form, ["form"], out, (field, at) => checkRequest(field, at, out));
  checkEach(input.post_execute_notification, ["post_execute_notification"], out, (note, at) => {
    if (!isRecord(note)) return;
    for (const key of ["to", "subject", "message"]) checkString(note[key], [...at, key], out);
  });
  if (isSyncUsersInput(input)) checkString(input.next_page, ["next_page"], out);
  return out;
}
