// validateManifest: structure (zod), then semantic, template and variable checks, all problems
// at once.
// Never throws: the input may be anything a library caller or an HTTP client hands over.
import { formatPath, isRecord, type PathSegment } from "./path.ts";
import { isSyncUsersInput, provisioningSchema, syncUsersSchema } from "./schema.ts";
import { semanticProblems } from "./semantic-checks.ts";
import { templateProblems } from "./template-checks.ts";
import { undeclaredVariableWarnings } from "./undeclared-variables.ts";
import type { Manifest, ValidationProblem, ValidationResult } from "./types.ts";
import { issueToProblems, type ManifestKinds } from "./zod-issues.ts";

const SYNC_DESCRIPTION = 'sync-users manifest (one with "action" or "data_structure")';

/**
 * Deeper input is refused before any recursive check runs, so recursion (zod's included) can
 * never exhaust the stack. Real manifests stay far below this.
 */
export const MAX_MANIFEST_DEPTH = 100;

/**
 * Finds input no JSON text could produce in a form that would break recursive checks: nesting
 * deeper than MAX_MANIFEST_DEPTH or an object that contains itself. Iterative on purpose.
 */
function unwalkableAt(input: unknown): { path: PathSegment[]; message: string } | undefined {
  const onPath = new Set<object>();
  const done = new Set<object>();
  type Entry = { value: unknown; path: PathSegment[]; leaving?: true };
  const stack: Entry[] = [{ value: input, path: [] }];
  for (let entry = stack.pop(); entry !== undefined; entry = stack.pop()) {
    const { value, path } = entry;
    if (typeof value !== "object" || value === null || done.has(value)) continue;
    if (entry.leaving) {
      onPath.delete(value);
      done.add(value);
      continue;
    }
    if (onPath.has(value)) return { path, message: "contains itself (a cycle)" };
    if (path.length >= MAX_MANIFEST_DEPTH) {
      return { path, message: `holds values nested more than ${MAX_MANIFEST_DEPTH} levels deep` };
    }
    onPath.add(value);
    stack.push({ value, path, leaving: true });
    if (Array.isArray(value))
      value.forEach((item, index) => stack.push({ value: item, path: [...path, index] }));
    else if (isRecord(value)) {
      for (const [key, item] of Object.entries(value))
        stack.push({ value: item, path: [...path, key] });
    }
  }
  return undefined;
}

function error(path: string, message: string): ValidationProblem {
  return { path, message, severity: "error", code: "VALIDATION" };
}

function validateUnsafe(input: unknown): ValidationResult {
  const unwalkable = unwalkableAt(input);
  if (unwalkable !== undefined) {
    // The full path could be a hundred segments long; where it starts is what the admin needs.
    return {
      ok: false,
      problems: [error(formatPath(unwalkable.path.slice(0, 3)), unwalkable.message)],
    };
  }
  const sync = isSyncUsersInput(input);
  const schema = sync ? syncUsersSchema : provisioningSchema;
  const kinds: ManifestKinds = sync
    ? {
        name: "sync-users manifest",
        other: { schema: provisioningSchema, name: "provisioning manifest" },
      }
    : { name: "provisioning manifest", other: { schema: syncUsersSchema, name: SYNC_DESCRIPTION } };
  const parsed = schema.safeParse(input);
  const problems: ValidationProblem[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      problems.push(...issueToProblems(issue, input, schema, kinds));
  }
  problems.push(
    ...semanticProblems(input),
    ...templateProblems(input),
    ...undeclaredVariableWarnings(input),
  );
  if (!parsed.success || problems.some((problem) => problem.severity === "error")) {
    return { ok: false, problems };
  }
  return { ok: true, manifest: parsed.data as Manifest, warnings: problems };
}

/**
 * Validates a manifest (already parsed from JSON) against docs/manifest.md. Never
 * throws; collects every problem, each with a path like `execute[1].polling.amount`. Warnings
 * (legacy keys, variables nothing declares) never make a manifest invalid.
 */
export function validateManifest(input: unknown): ValidationResult {
  try {
    return validateUnsafe(input);
  } catch (caught) {
    // Only exotic input gets here (cyclic objects, throwing getters): report, never crash.
    const reason = caught instanceof Error ? caught.message : String(caught);
    return { ok: false, problems: [error("", `could not be validated: ${reason}`)] };
  }
}

/** Formats a problem as `execute[1].polling.amount: must be an integer from 1 to 100 (got 500)`. */
export function formatProblem(problem: ValidationProblem): string {
  return problem.path === "" ? problem.message : `${problem.path}: ${problem.message}`;
}
