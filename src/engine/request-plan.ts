// A step's request plan: the step compiled once — every template parsed, every literal kept as it
// is, every manifest path (for errors and dry-run placeholders) written out once — so building a
// request on each attempt only renders what holds a template. A prepared manifest is frozen, so a
// plan made for one of its steps is kept for as long as the step lives; any other step is compiled
// for the one build.
import { hirewireError, HirewireError, placeError } from "../errors/index.ts";
import type { HttpMethod, JsonValue, Step } from "../manifest/types.ts";
import { setOwn } from "../json/own-property.ts";
import { formatPath } from "../manifest/path.ts";
import {
  isTemplated,
  parseTemplate,
  renderParts,
  type RenderOptions,
  type Scope,
  type TemplatePart,
} from "../template/index.ts";

/** One string of the step: a literal, or a parsed template (or the syntax error parsing gave). */
export interface TextPlan {
  source: string;
  /** Undefined for a literal. */
  parts: readonly TemplatePart[] | undefined;
  /** A template that did not parse: thrown, placed, when it is rendered (as rendering it would). */
  error?: unknown;
  /** Where it sits in the manifest: `execute[0].url`, `headers.Authorization`. */
  path: string;
}

/** A step's `data`: whole literal subtrees are kept as they are (never copied, never changed). */
export type DataPlan =
  | { kind: "literal"; value: JsonValue }
  | { kind: "text"; text: TextPlan }
  | { kind: "array"; items: DataPlan[] }
  | { kind: "object"; entries: Array<{ key: TextPlan; value: DataPlan }> };

export interface HeaderPlan {
  name: TextPlan;
  value: TextPlan;
  /** The lower-cased name when it is a literal. */
  lower: string | undefined;
}

export interface StepPlan {
  /** What the plan was made for: a step is planned again under another path or default headers. */
  stepPath: string;
  manifestHeaders: Record<string, string> | undefined;
  method: HttpMethod;
  url: TextPlan;
  /** A literal URL already found absolute (checked once). */
  urlChecked: boolean;
  headers: HeaderPlan[];
  /** Every header name is a literal and no two are the same ignoring case: no merging to do. */
  distinctNames: boolean;
  data: DataPlan | undefined;
  files: Array<{ field: string; name: TextPlan }> | undefined;
  saveAs: TextPlan | undefined;
  extraHeadersPath: string;
}

const plans = new WeakMap<Step, StepPlan>();

/** The plan of `step` at `stepPath` under the manifest's default headers. */
export function planStep(
  step: Step,
  stepPath: string,
  manifestHeaders: Record<string, string> | undefined,
): StepPlan {
  const kept = plans.get(step);
  if (kept !== undefined && kept.stepPath === stepPath && kept.manifestHeaders === manifestHeaders)
    return kept;
  const plan = compileStep(step, stepPath, manifestHeaders);
  // Only a frozen step (a prepared manifest's) stays as it was planned.
  if (Object.isFrozen(step) && (manifestHeaders === undefined || Object.isFrozen(manifestHeaders)))
    plans.set(step, plan);
  return plan;
}

function compileStep(
  step: Step,
  stepPath: string,
  manifestHeaders: Record<string, string> | undefined,
): StepPlan {
  const useStepHeaders = step.headers !== undefined && Object.keys(step.headers).length > 0;
  const source = useStepHeaders ? step.headers! : (manifestHeaders ?? {});
  const base = useStepHeaders ? `${stepPath}.headers` : "headers";
  const headers: HeaderPlan[] = [];
  const seen = new Set<string>();
  let distinctNames = true;
  for (const rawName in source) {
    if (!Object.hasOwn(source, rawName)) continue;
    const path = keyPath(base, rawName);
    const name = compileText(rawName, path);
    const lower =
      name.parts === undefined && name.error === undefined ? rawName.toLowerCase() : undefined;
    if (lower === undefined || seen.has(lower)) distinctNames = false;
    else seen.add(lower);
    headers.push({ name, value: compileText(source[rawName]!, path), lower });
  }
  const files =
    step.files !== undefined && Object.keys(step.files).length > 0
      ? Object.entries(step.files).map(([field, rawName]) => ({
          field,
          name: compileText(rawName, keyPath(`${stepPath}.files`, field)),
        }))
      : undefined;
  return {
    stepPath,
    manifestHeaders,
    method: step.method ?? "POST",
    url: compileText(step.url, `${stepPath}.url`),
    urlChecked: false,
    headers,
    distinctNames,
    data: step.data === undefined ? undefined : compileData(step.data, `${stepPath}.data`),
    files,
    saveAs:
      step.save_as_file === undefined
        ? undefined
        : compileText(step.save_as_file, `${stepPath}.save_as_file`),
    extraHeadersPath: `${stepPath}.extra_headers`,
  };
}

function compileText(source: string, path: string): TextPlan {
  if (!isTemplated(source)) return { source, parts: undefined, path };
  try {
    return { source, parts: parseTemplate(source), path };
  } catch (error) {
    return { source, parts: undefined, error, path };
  }
}

// Same path style as the manifest's (`data.user.name`, `data.items[0]`, `data["odd key"]`).
const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function compileData(value: JsonValue, path: string): DataPlan {
  if (typeof value === "string")
    return isTemplated(value) ? { kind: "text", text: compileText(value, path) } : literal(value);
  if (value === null || typeof value !== "object") return literal(value);
  if (Array.isArray(value)) {
    const items = value.map((item, index) => compileData(item, `${path}[${index}]`));
    return items.every((item) => item.kind === "literal")
      ? literal(value)
      : { kind: "array", items };
  }
  const entries: Array<{ key: TextPlan; value: DataPlan }> = [];
  let allLiteral = true;
  for (const key of Object.keys(value)) {
    const itemPath = PLAIN_KEY.test(key)
      ? path === ""
        ? key
        : `${path}.${key}`
      : `${path}[${JSON.stringify(key)}]`;
    const entry = { key: compileText(key, itemPath), value: compileData(value[key]!, itemPath) };
    if (entry.key.parts !== undefined || entry.key.error !== undefined) allLiteral = false;
    if (entry.value.kind !== "literal") allLiteral = false;
    entries.push(entry);
  }
  return allLiteral ? literal(value) : { kind: "object", entries };
}

function literal(value: JsonValue): DataPlan {
  return { kind: "literal", value };
}

/** `base.key`, or `base["odd key"]`. */
export function keyPath(base: string, key: string): string {
  return `${base}${formatPath([key]).replace(/^(?!\[)/, ".")}`;
}

/**
 * Renders one string of the plan. Errors name its path, and the step when `step` is given (a
 * template inside `data` names only its path).
 */
export function renderText(
  text: TextPlan,
  scope: Scope,
  options: RenderOptions,
  step: number | undefined,
): string {
  if (text.parts === undefined) {
    if (text.error === undefined) return text.source;
    throw placed(text.error, text.path, step);
  }
  try {
    return renderParts(text.parts, scope, options, text.path);
  } catch (error) {
    if (error instanceof HirewireError) throw placed(error, text.path, step);
    throw error;
  }
}

function placed(error: unknown, path: string, step: number | undefined): HirewireError {
  return placeError(error, step === undefined ? { path } : { path, step });
}

/** Renders `data`: literal parts as they are, every template rendered and inserted as a string. */
export function renderDataPlan(plan: DataPlan, scope: Scope, options: RenderOptions): JsonValue {
  switch (plan.kind) {
    case "literal":
      return plan.value;
    case "text":
      return renderText(plan.text, scope, options, undefined);
    case "array": {
      const out: JsonValue[] = [];
      for (const item of plan.items) out.push(renderDataPlan(item, scope, options));
      return out;
    }
    case "object": {
      // Built as Object.fromEntries would: plain data properties, later keys winning.
      const out: Record<string, JsonValue> = {};
      for (const entry of plan.entries) {
        const key = renderText(entry.key, scope, options, undefined);
        setOwn(out, key, renderDataPlan(entry.value, scope, options));
      }
      return out;
    }
  }
}

const ABSOLUTE_HTTP = /^https?:\/\//;

/** An absolute http(s) URL, or URL_INVALID naming where it came from. */
export function assertAbsoluteUrl(url: string, path: string, step: number): void {
  // What nearly every URL looks like: `canParse` builds no URL object, and a URL that parses
  // after a lower-case "http://" or "https://" has that protocol.
  if (ABSOLUTE_HTTP.test(url) && URL.canParse(url)) return;
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) {
    throw hirewireError("URL_INVALID", "notAbsolute", { url }, { path, step });
  }
}
