// Everything that can be known before a run sends anything: missing extra_user_info values and
// unknown variables, found by rendering every step with placeholders for values that only exist
// at run time (`responses.*`, fields stored by earlier steps). The same walk is the dry-run.
import { STANDARD_HIRE_PROPS } from "../manifest/types.ts";
import { problem, toErrorInfo, type ErrorInfo } from "../errors/index.ts";
import type { RequestSpec } from "../exchange/types.ts";
import type { TemplateExpr } from "../template/index.ts";
import { blockStepPath, blockSteps } from "./blocks.ts";
import { formProblems } from "./form-check.ts";
import { ENGINE_DEFAULTS } from "./current-step.ts";
import { buildRequest } from "./request.ts";
import { createRunState } from "./machine.ts";
import type { RunContext } from "./types.ts";
import { generatedSecretIds, runScope, secretVariable } from "./variables.ts";

export interface PlannedStep {
  index: number;
  name?: string;
  request: RequestSpec;
}

export interface Preflight {
  steps: PlannedStep[];
  /** Input errors (unknown variables, missing extra_user_info, files never saved): nothing may be sent. */
  problems: ErrorInfo[];
  /** Values derived from secrets while rendering (encoded Basic credentials): mask them too. */
  derived: Array<{ name: string; value: string }>;
}

/**
 * Renders every step without sending; run-time values appear as placeholders like
 * `<responses.0.data.id>`. `keepSteps: false` checks without keeping the rendered requests (a run
 * that is about to start only needs the problems).
 */
export function preflight(ctx: RunContext, keepSteps = true): Preflight {
  const problems: ErrorInfo[] = [...missingExtraUserInfo(ctx), ...formProblems(ctx)];
  const generated = Object.fromEntries(
    generatedSecretIds(ctx).map((id) => [id, `<generated ${id}>`]),
  );
  const state = createRunState("dry-run", generated);
  const storedBefore = new Set<string>();
  const savedBefore: Record<
    string,
    { name: string; ref: string; size: number; contentType: string }
  > = {};
  const steps: PlannedStep[] = [];
  const derived: Preflight["derived"] = [];
  // Generated values are placeholders here (`<generated ID>`): shown, not masked.
  const secretOf = secretVariable(ctx, state);
  const plannedSecret = (segments: readonly string[]): string | undefined => {
    const name = secretOf(segments);
    return name !== undefined && Object.hasOwn(generated, name) ? undefined : name;
  };

  // One scope for every step: what earlier steps store is answered by `missing` below.
  const scope = runScope(ctx, state);
  const defaultTimeoutMs = ctx.options?.defaultTimeoutMs ?? ENGINE_DEFAULTS.defaultTimeoutMs;
  const maxRedirects = ctx.options?.maxRedirects ?? ENGINE_DEFAULTS.maxRedirects;
  // The step being checked, and its problems: read by `missing`, made once for the whole walk.
  let index = 0;
  let stepProblems: ErrorInfo[] = [];
  const missing = (expr: TemplateExpr, path: string): string | undefined => {
    const root = expr.segments[0] ?? "";
    if (root === "responses") {
      const ref = Number(expr.segments[1]);
      if (expr.segments.length >= 2 && Number.isInteger(ref) && ref >= 0 && ref < index)
        return `<${expr.path}>`;
      stepProblems.push(
        problem(
          "TEMPLATE_UNDEFINED_VARIABLE",
          "notRunYet",
          { variable: expr.path, step: index },
          { path, step: index, details: { variable: expr.path } },
        ),
      );
      return `<${expr.path}>`;
    }
    if (storedBefore.has(root)) return `<${expr.path}>`;
    stepProblems.push(
      problem(
        "TEMPLATE_UNDEFINED_VARIABLE",
        "unknown",
        { variable: expr.path, hint: unknownHint(ctx, root, expr.path) },
        { path, step: index, details: { variable: expr.path } },
      ),
    );
    return `<unknown ${expr.path}>`;
  };
  blockSteps(ctx).forEach((step, stepIndex) => {
    index = stepIndex;
    stepProblems = [];
    try {
      const built = buildRequest(step, scope, {
        stepPath: blockStepPath(ctx, index),
        secrets: ctx.secrets,
        secretVariable: plannedSecret,
        stepIndex: index,
        manifestHeaders: ctx.manifest.headers,
        files: savedBefore,
        defaultTimeoutMs,
        maxRedirects,
        missing,
        placeholderFiles: true,
      });
      derived.push(...built.derived);
      if (keepSteps)
        steps.push(
          step.name !== undefined
            ? { index, name: step.name, request: built.request }
            : { index, request: built.request },
        );
    } catch (error) {
      stepProblems.push(toErrorInfo(error));
    }
    for (const found of stepProblems)
      problems.push({ ...found, path: found.path ?? blockStepPath(ctx, index) });
    for (const name of Object.keys(step.store_data ?? {})) storedBefore.add(name);
    if (step.save_as_file !== undefined)
      savedBefore[step.save_as_file] = {
        name: step.save_as_file,
        ref: "<not yet saved>",
        size: 0,
        contentType: "application/octet-stream",
      };
  });
  return { steps, problems, derived };
}

/** `extra_user_info` values must exist in the hire's stored fields or the run's params. */
function missingExtraUserInfo(ctx: RunContext): ErrorInfo[] {
  const items = "extra_user_info" in ctx.manifest ? (ctx.manifest.extra_user_info ?? []) : [];
  const missing = items.filter((item) => !(item.id in ctx.hireStored) && !(item.id in ctx.params));
  if (missing.length === 0) return [];
  return [
    problem(
      "INPUT_MISSING",
      "extraUserInfo",
      { missing },
      { path: "extra_user_info", details: { missing: missing.map((item) => item.id) } },
    ),
  ];
}

const HIRE_PROPS: ReadonlySet<string> = new Set(STANDARD_HIRE_PROPS);

/** Why a variable might be unknown, when the manifest says what it was meant to be. */
function unknownHint(ctx: RunContext, root: string, path: string): string {
  const manifest = ctx.manifest;
  if ((manifest.initial_data_form ?? []).some((item) => item.id === root)) {
    return `: it is a secret of initial_data_form and no value was given for it`;
  }
  if ("form" in manifest && (manifest.form ?? []).some((field) => field.id === root)) {
    return `: it is a form field and the run has no answer for it`;
  }
  if (ctx.unreadableStored?.includes(root) === true)
    return `: it is a stored field of this hire that holds a secret and cannot be decrypted (the secret key was lost or replaced); set it again`;
  if (HIRE_PROPS.has(root))
    return `: this hire has no ${root} (use {{ ${path}|default:"" }} to allow it empty)`;
  if (root === "oauth")
    return `: the integration has no OAuth token${ctx.oauth === undefined ? " (not connected)" : ` named ${JSON.stringify(path.slice(6))}`}`;
  return "";
}
