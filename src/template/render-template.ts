// Rendering one template string against a scope: look each variable up, run its filters, turn
// the result into text (docs/manifest.md). Unknown variables are errors, never empty text.
import { hirewireError } from "../errors/index.ts";
import { applyFilters, FilterFailure, MISSING } from "./filters.ts";
import {
  isTemplated,
  parseTemplate,
  type TemplateExpr,
  type TemplatePart,
} from "./parse-template.ts";
import type { Scope } from "./scope.ts";
import { valueToText } from "./value-text.ts";

export interface RenderOptions {
  /**
   * Called for a variable not found (and not given a value by `default`/`default_if_none`):
   * return a string to render in place of the whole expression (dry-run placeholders like
   * "<responses.0.id>"; the expression's filters are not applied to it), or undefined to throw.
   */
  missing?: (expr: TemplateExpr, path?: string) => string | undefined;
  /**
   * Called with each expression's rendered text (after its filters; not for placeholders), so a
   * caller that knows which variables are secrets can mask what they became (`upper`, `urlencode`).
   */
  onSubstitute?: ((expr: TemplateExpr, text: string) => void) | undefined;
}

/**
 * Renders one string. Throws HirewireError TEMPLATE_SYNTAX for a bad template,
 * TEMPLATE_UNDEFINED_VARIABLE (details.variable = the path) for an unknown variable and
 * TEMPLATE_FILTER when a filter cannot handle its input.
 */
export function renderTemplate(source: string, scope: Scope, options: RenderOptions = {}): string {
  if (!isTemplated(source)) return source;
  // parseTemplate answers from its own bounded cache: the same strings render on every attempt.
  return renderParts(parseTemplate(source), scope, options);
}

/**
 * Renders a template already parsed (a step's request plan keeps its templates parsed). `path`
 * is handed to `options.missing` as where the template sits.
 */
export function renderParts(
  parts: readonly TemplatePart[],
  scope: Scope,
  options: RenderOptions,
  path?: string,
): string {
  let out = "";
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    out += part.type === "text" ? part.text : renderExpression(part.expr, scope, options, path);
  }
  return out;
}

function renderExpression(
  expr: TemplateExpr,
  scope: Scope,
  options: RenderOptions,
  path: string | undefined,
): string {
  const lookup = scope.lookup(expr.segments);
  let value: unknown;
  try {
    value = applyFilters(lookup.found ? lookup.value : MISSING, expr.filters);
  } catch (error) {
    if (!(error instanceof FilterFailure)) throw error;
    throw hirewireError(
      "TEMPLATE_FILTER",
      "failed",
      { reason: error.message, expression: expr.raw },
      { details: { variable: expr.path, expression: expr.raw } },
    );
  }
  if (value !== MISSING) {
    const text = valueToText(value);
    options.onSubstitute?.(expr, text);
    return text;
  }
  const placeholder = options.missing?.(expr, path);
  if (placeholder !== undefined) return placeholder;
  throw hirewireError(
    "TEMPLATE_UNDEFINED_VARIABLE",
    "unknown",
    { variable: expr.path },
    { details: { variable: expr.path, expression: expr.raw } },
  );
}
