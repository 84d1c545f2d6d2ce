// The run's answers to the manifest's `form` (docs/manifest.md, `form`), checked before anything
// is sent: every `required: true` field answered, and a choice with fixed `items` answered with
// one of them.
// Choices fetched from a URL are checked by the service when it shows them, not here: the engine
// does no I/O.
import { problem, type ErrorInfo } from "../errors/index.ts";
import type { FormField, JsonValue } from "../manifest/types.ts";
import { blockOf } from "./blocks.ts";
import type { RunContext } from "./types.ts";

/** Items listed in a message before "and N more": a long list would bury the sentence. */

/**
 * A field must be answered only when it says `"required": true` (a hirewire addition):
 * ChiefOnboarding's form fields are optional. An unanswered field that a step uses is still an
 * unknown variable, which preflight reports before anything is sent.
 */
export function isRequiredField(field: FormField): boolean {
  return field.required === true;
}

/** The manifest's form fields (sync-users manifests have none). */
export function formFields(manifest: RunContext["manifest"]): FormField[] {
  return "form" in manifest ? (manifest.form ?? []) : [];
}

/**
 * Problems with the run's form answers: INPUT_MISSING naming every unanswered required field,
 * INPUT_INVALID for a choice answer that is not one of its fixed `items`. Only `execute` runs
 * answer the form; other blocks get no problems.
 */
export function formProblems(ctx: Pick<RunContext, "manifest" | "params" | "block">): ErrorInfo[] {
  if (blockOf(ctx) !== "execute") return [];
  const fields = formFields(ctx.manifest);
  const problems: ErrorInfo[] = [];
  const missing = fields.filter(
    (field) => isRequiredField(field) && !answered(ctx.params[field.id]),
  );
  if (missing.length > 0) {
    problems.push(
      problem(
        "INPUT_MISSING",
        "formAnswers",
        { missing },
        { path: "form", details: { missing: missing.map((field) => field.id) } },
      ),
    );
  }
  fields.forEach((field, index) => {
    const answer = ctx.params[field.id];
    if (field.type !== "choice" || field.items === undefined || field.url !== undefined) return;
    if (!answered(answer)) return;
    const text = answerText(answer!);
    if (field.items.some((item) => item.id === text)) return;
    problems.push(
      problem(
        "INPUT_INVALID",
        "formChoice",
        { field, choices: field.items, got: text },
        {
          path: `form[${index}]`,
          details: { field: field.id, got: text, choices: field.items.map((item) => item.id) },
        },
      ),
    );
  });
  return problems;
}

/** An answer left empty counts as missing: a blank field on a trigger screen arrives as "". */
function answered(value: JsonValue | undefined): boolean {
  return value !== undefined && value !== null && value !== "";
}

/** Choices are compared as text: `--param TEAM=2` and a JSON `2` both pick item "2". */
function answerText(value: JsonValue): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}
