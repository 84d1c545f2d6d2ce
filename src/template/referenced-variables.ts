// The variables a template refers to, for static checks (validation, dry-run): which secrets,
// params and hire props must exist before a run can start.
import { isGuarded } from "./filters.ts";
import { isTemplated, scanTemplate } from "./parse-template.ts";

/** A variable used by a template; `guarded` when `default`/`default_if_none` cover its absence. */
export interface ReferencedVariable {
  path: string;
  segments: string[];
  guarded: boolean;
}

/**
 * Variables a template references, in order of appearance (repeats included). Never throws:
 * expressions with syntax problems are left out; checkTemplate reports those.
 */
export function referencedVariables(source: string): ReferencedVariable[] {
  if (!isTemplated(source)) return [];
  const variables: ReferencedVariable[] = [];
  for (const part of scanTemplate(source).parts) {
    if (part.type !== "expr") continue;
    const { path, segments, filters } = part.expr;
    variables.push({ path, segments: [...segments], guarded: isGuarded(filters) });
  }
  return variables;
}
