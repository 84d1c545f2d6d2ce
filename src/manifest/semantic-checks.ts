// Rules that a per-key schema cannot express: polling needs continue_if, URLs that can become
// absolute, files saved by an earlier step, unique ids, cron syntax, legacy keys. They read the
// raw input defensively (any part may have the wrong type), so they run even when the structure
// has problems and the admin sees everything at once.
import { CronPattern } from "croner";
import { isTemplated } from "../template/index.ts";
import { isSyncUsersInput } from "./schema.ts";
import { formatPath, isRecord, previewValue, type PathSegment } from "./path.ts";
import type { ValidationProblem } from "./types.ts";

type Problem = ValidationProblem;

const ABSOLUTE_HTTP_URL = /^https?:\/\/\S/i;

function error(
  path: PathSegment[],
  message: string,
  code: Problem["code"] = "VALIDATION",
): Problem {
  return { path: formatPath(path), message, severity: "error", code };
}

function checkUrl(value: unknown, path: PathSegment[], out: Problem[]): void {
  if (typeof value !== "string" || ABSOLUTE_HTTP_URL.test(value) || value.startsWith("{{")) return;
  out.push(
    error(
      path,
      `must be an absolute http(s) URL or start with a template (got ${previewValue(value)})`,
    ),
  );
}

/** One request-like object: polling needs continue_if, the URL must be able to become absolute. */
function checkStep(step: Record<string, unknown>, path: PathSegment[], out: Problem[]): void {
  if (Object.hasOwn(step, "polling") && !Object.hasOwn(step, "continue_if")) {
    out.push(
      error(
        [...path, "polling"],
        "requires continue_if: polling repeats the request until it matches",
      ),
    );
  }
  checkUrl(step.url, [...path, "url"], out);
}

/**
 * Steps run in order within one run (`execute`, `revoke`, or a lone OAuth request): files must
 * come from an earlier step of the same run.
 */
function checkStepList(
  steps: unknown,
  pathOf: (index: number) => PathSegment[],
  out: Problem[],
): void {
  if (!Array.isArray(steps)) return;
  const saved: string[] = [];
  let savedUnknown = false;
  steps.forEach((step, index) => {
    if (!isRecord(step)) return;
    const path = pathOf(index);
    checkStep(step, path, out);
    if (isRecord(step.files) && !savedUnknown) {
      for (const [field, name] of Object.entries(step.files)) {
        if (typeof name !== "string" || isTemplated(name) || saved.includes(name)) continue;
        const list = `[${saved.map((file) => JSON.stringify(file)).join(", ")}]`;
        const message = `${JSON.stringify(name)} is not saved by any earlier step; saved: ${list}`;
        out.push(error([...path, "files", field], message, "FILE_NOT_SAVED"));
      }
    }
    const name = step.save_as_file;
    if (typeof name === "string") {
      // A templated name could be any file, so later static checks would only guess.
      if (isTemplated(name)) savedUnknown = true;
      else saved.push(name);
    }
  });
}

function checkUniqueIds(items: unknown, path: PathSegment[], out: Problem[]): void {
  if (!Array.isArray(items)) return;
  const first = new Map<string, number>();
  items.forEach((item, index) => {
    if (!isRecord(item) || typeof item.id !== "string") return;
    const earlier = first.get(item.id);
    if (earlier === undefined) first.set(item.id, index);
    else {
      const where = formatPath([...path, earlier, "id"]);
      out.push(
        error([...path, index, "id"], `duplicate id ${JSON.stringify(item.id)} (also at ${where})`),
      );
    }
  });
}

function checkSchedule(schedule: unknown, out: Problem[]): void {
  if (typeof schedule !== "string") return;
  const fields = schedule.trim().split(/\s+/).filter(Boolean).length;
  let reason: string | undefined;
  if (!schedule.trim().startsWith("@") && fields !== 5) {
    // croner's own message for this case lists modes the manifest cannot use.
    reason = `it has ${fields} field${fields === 1 ? "" : "s"}`;
  } else {
    try {
      new CronPattern(schedule, undefined, { mode: "5-part" });
    } catch (caught) {
      reason = (caught instanceof Error ? caught.message : String(caught))
        .replace(/^CronPattern:\s*/, "")
        .replace(/\.$/, "")
        .replace(/^./, (c) => c.toLowerCase());
    }
  }
  if (reason === undefined) return;
  const message = `must be a cron expression of 5 fields like "0 6 * * *"; ${reason} (got ${previewValue(schedule)})`;
  out.push(error(["schedule"], message));
}

/** Every semantic problem of a manifest-like input, in document order of the blocks. */
export function semanticProblems(input: unknown): Problem[] {
  const out: Problem[] = [];
  if (!isRecord(input)) return out;
  checkStepList(input.execute, (index) => ["execute", index], out);
  checkStepList(input.revoke, (index) => ["revoke", index], out);
  if (isRecord(input.exists)) {
    checkUrl(input.exists.url, ["exists", "url"], out);
    if (Object.hasOwn(input.exists, "fail_when_4xx_response_code")) {
      out.push({
        path: "exists.fail_when_4xx_response_code",
        message:
          'is a legacy key, removed upstream in 2024 (a 4xx response then meant "the user does not exist"); ' +
          'hirewire ignores it: list the statuses that mean "exists" in status_code',
        severity: "warning",
        code: "VALIDATION",
      });
    }
  }
  if (isRecord(input.oauth)) {
    checkUrl(input.oauth.authenticate_url, ["oauth", "authenticate_url"], out);
    for (const key of ["access_token", "refresh"] as const) {
      checkStepList([input.oauth[key]], () => ["oauth", key], out);
    }
  }
  if (Array.isArray(input.form)) {
    input.form.forEach((field, index) => {
      if (isRecord(field)) checkUrl(field.url, ["form", index, "url"], out);
    });
  }
  // Keys of the other manifest kind are reported as unknown; checking them too would only repeat.
  if (isSyncUsersInput(input)) {
    checkUrl(input.next_page, ["next_page"], out);
    checkSchedule(input.schedule, out);
  }
  checkUniqueIds(input.initial_data_form, ["initial_data_form"], out);
  checkUniqueIds(input.extra_user_info, ["extra_user_info"], out);
  checkUniqueIds(input.form, ["form"], out);
  return out;
}
