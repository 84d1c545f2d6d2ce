// Variables that nothing in the manifest declares: `{{ emial }}` renders nothing a run could
// supply unless a secret or hire prop of that name is given outside the manifest, so it is a
// warning (the manifest stays valid) naming where it is used and the closest declared name.
// Reads the raw input defensively, like the other checks.
import { referencedVariables } from "../template/index.ts";
import { formatPath, isRecord, type PathSegment } from "./path.ts";
import { isSyncUsersInput } from "./schema.ts";
import { suggestKey } from "./suggest-key.ts";
import { forEachTemplate } from "./template-checks.ts";
import { STANDARD_HIRE_PROPS, type ValidationProblem } from "./types.ts";

/** Names every run provides: earlier responses, OAuth tokens, the OAuth callback, the access overview. */
const ALWAYS_KNOWN = ["responses", "oauth", "redirect_url", "access_overview"] as const;

/** Names only one place sees: the authorization code, the next page's token. */
function knownAt(path: readonly PathSegment[], sync: boolean): string[] {
  if (path[0] === "oauth" && path[1] === "access_token") return ["code"];
  if (sync && path.length === 1 && path[0] === "next_page") return ["NEXT_PAGE_TOKEN"];
  return [];
}

function ids(items: unknown): string[] {
  if (!Array.isArray(items)) return [];
  return items.flatMap((item) => (isRecord(item) && typeof item.id === "string" ? [item.id] : []));
}

function storedKeys(steps: unknown): string[] {
  if (!Array.isArray(steps)) return [];
  return steps.flatMap((step) =>
    isRecord(step) && isRecord(step.store_data) ? Object.keys(step.store_data) : [],
  );
}

/**
 * Names the manifest declares or every run provides. Stored keys count wherever they are used:
 * the order of steps is the dry run's concern, and a later run sees what an earlier one stored.
 */
function declaredVariables(input: Record<string, unknown>): Set<string> {
  const oauth = isRecord(input.oauth) ? input.oauth : {};
  return new Set<string>([
    ...STANDARD_HIRE_PROPS,
    ...ALWAYS_KNOWN,
    ...ids(input.initial_data_form),
    ...ids(input.form),
    ...ids(input.extra_user_info),
    ...storedKeys(input.execute),
    ...storedKeys(input.revoke),
    ...storedKeys([oauth.access_token, oauth.refresh]),
  ]);
}

function message(name: string, uses: number, suggestion: string | undefined): string {
  const also = uses > 1 ? ` (used ${uses} times; this is the first)` : "";
  const what =
    `uses {{ ${name} }}${also}, which nothing declares: it is no hire prop, no id in ` +
    "initial_data_form, form or extra_user_info, and no step stores it";
  return suggestion !== undefined
    ? `${what}; did you mean "${suggestion}"?`
    : `${what}; a run fails unless it is given as a secret, param, hire prop or stored field`;
}

/**
 * One warning per undeclared variable, at its first use. Expressions with `default` or
 * `default_if_none` are skipped: they render without the variable.
 */
export function undeclaredVariableWarnings(input: unknown): ValidationProblem[] {
  if (!isRecord(input)) return [];
  const declared = declaredVariables(input);
  const sync = isSyncUsersInput(input);
  const found = new Map<string, { path: PathSegment[]; uses: number; near: string[] }>();
  forEachTemplate(input, (source, path) => {
    const local = knownAt(path, sync);
    for (const variable of referencedVariables(source)) {
      const name = variable.segments[0];
      if (name === undefined || variable.guarded) continue;
      if (declared.has(name) || local.includes(name)) continue;
      const seen = found.get(name);
      if (seen !== undefined) seen.uses++;
      else found.set(name, { path, uses: 1, near: local });
    }
  });
  return [...found].map(([name, { path, uses, near }]) => ({
    path: formatPath(path),
    message: message(name, uses, suggestKey(name, [...declared, ...near])),
    severity: "warning",
    code: "TEMPLATE_UNDEFINED_VARIABLE",
  }));
}
