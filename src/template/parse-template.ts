// Parser for the template language of docs/manifest.md: text with `{{ path|filter:"arg" }}`
// expressions, Django syntax, no tags.
//
// Hand-written on purpose: no JavaScript library gives Django's exact filter semantics together
// with structured errors (an unknown variable must name itself and fail the step instead of
// rendering empty, and syntax errors must quote the offending text for validation). The grammar
// is small enough that a scanner plus a regex-driven expression parser stays readable.
//
// Leniencies beyond Django, chosen because they never change the meaning of a template that
// Django accepts: spaces are allowed around `|` and `:`, a `}}` inside a quoted filter argument
// does not end the expression, and path segments may hold `-` (`responses.0.content-type`).
// `{# comments #}` are not special and render as text; `{% tags %}` are errors.
import { hirewireError } from "../errors/index.ts";
import { FILTER_NAMES, getFilter } from "./filters.ts";

/** A filter in an expression: `name` or `name:"arg"` / `name:3`. */
export interface FilterCall {
  name: string;
  arg?: string | number;
}

/** One `{{ ... }}` expression. `raw` is its full source text, braces included. */
export interface TemplateExpr {
  path: string;
  segments: string[];
  filters: FilterCall[];
  raw: string;
}

export type TemplatePart = { type: "text"; text: string } | { type: "expr"; expr: TemplateExpr };

/** A syntax problem: a sentence for the admin plus the text it is about. */
export interface TemplateProblem {
  message: string;
  text: string;
}

const OPENING = /\{[{%]/g;
const SEGMENT = /[\p{L}\p{N}_-]+/uy;
const FILTER_NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const NUMBER_ARG = /-?[0-9]+(?:\.[0-9]+)?/y;
const SPACES = /\s*/y;
const EXCERPT_LENGTH = 60;

/** What scanning a template finds: its parts in order, and every syntax problem. */
interface ScanResult {
  parts: TemplatePart[];
  problems: TemplateProblem[];
}

// Validation, preflight and every attempt and poll scan the same few hundred template strings
// over and over, and a scan depends on nothing but the text, so each text is scanned once.
// Bounded (oldest out first) so a stream of distinct strings cannot grow it without limit, and
// very long strings are not kept: they are rare and their scan is cheap next to their size.
const SCAN_CACHE_LIMIT = 2000;
const SCAN_CACHE_MAX_LENGTH = 4096;
const scanCache = new Map<string, ScanResult>();

/**
 * Splits a template into text and expressions, collecting every problem instead of stopping.
 * The result is shared between callers and frozen: copy before changing it.
 */
export function scanTemplate(source: string): ScanResult {
  const cached = scanCache.get(source);
  if (cached !== undefined) return cached;
  const result = freezeScan(scanUncached(source));
  if (source.length <= SCAN_CACHE_MAX_LENGTH) {
    if (scanCache.size >= SCAN_CACHE_LIMIT) {
      const oldest = scanCache.keys().next();
      if (oldest.done !== true) scanCache.delete(oldest.value);
    }
    scanCache.set(source, result);
  }
  return result;
}

// Frozen because one result is handed to every caller: a caller that changed it would change
// every later render of that text. Freezing throws on such a write instead.
function freezeScan(result: ScanResult): ScanResult {
  for (const part of result.parts) {
    if (part.type === "expr") {
      Object.freeze(part.expr.segments);
      for (const filter of part.expr.filters) Object.freeze(filter);
      Object.freeze(part.expr.filters);
      Object.freeze(part.expr);
    }
    Object.freeze(part);
  }
  for (const problem of result.problems) Object.freeze(problem);
  Object.freeze(result.parts);
  Object.freeze(result.problems);
  return Object.freeze(result);
}

function scanUncached(source: string): ScanResult {
  const parts: TemplatePart[] = [];
  const problems: TemplateProblem[] = [];
  let textStart = 0;
  OPENING.lastIndex = 0;
  for (let match = OPENING.exec(source); match; match = OPENING.exec(source)) {
    const start = match.index;
    if (start > textStart) parts.push({ type: "text", text: source.slice(textStart, start) });
    if (match[0] === "{%") {
      const close = source.indexOf("%}", start + 2);
      const end = close === -1 ? source.length : close + 2;
      const text = source.slice(start, end);
      problems.push({
        text,
        message:
          close === -1
            ? `unclosed "{%" in "${excerpt(text)}"`
            : `template tags like "${excerpt(text)}" are not supported; only {{ variable|filter }} expressions are`,
      });
      textStart = OPENING.lastIndex = end;
      continue;
    }
    const close = findClosing(source, start + 2);
    if (close === -1) {
      const text = source.slice(start);
      problems.push({ text, message: `unclosed "{{" in "${excerpt(text)}"; expected "}}"` });
      textStart = OPENING.lastIndex = source.length;
      break;
    }
    const raw = source.slice(start, close + 2);
    const parsed = parseExpression(raw);
    if ("problem" in parsed) problems.push({ text: raw, message: parsed.problem });
    else parts.push({ type: "expr", expr: parsed });
    textStart = OPENING.lastIndex = close + 2;
  }
  if (textStart < source.length) parts.push({ type: "text", text: source.slice(textStart) });
  return { parts, problems };
}

/**
 * Parses a template. Throws HirewireError TEMPLATE_SYNTAX (message quoting the offending text)
 * for bad syntax, any `{% %}` tag, unknown filters and bad filter arguments.
 */
export function parseTemplate(source: string): TemplatePart[] {
  const { parts, problems } = scanTemplate(source);
  const first = problems[0];
  if (first) {
    throw hirewireError(
      "TEMPLATE_SYNTAX",
      "scan",
      { problem: first.message },
      { details: { text: first.text } },
    );
  }
  return parts;
}

/** Non-throwing check: every problem of a template source as a message; [] when fine. */
export function checkTemplate(source: string): string[] {
  if (!isTemplated(source)) return [];
  return scanTemplate(source).problems.map((problem) => problem.message);
}

/** Fast path: true when a string contains no `{{` / `{%`, so rendering can be skipped. */
export function isTemplated(source: string): boolean {
  return source.includes("{{") || source.includes("{%");
}

/** Index of the `}}` closing an expression, skipping quoted filter arguments; -1 if none. */
function findClosing(source: string, from: number): number {
  let quote: string | undefined;
  for (let i = from; i < source.length; i++) {
    const char = source[i];
    if (quote) {
      if (char === "\\") i++;
      else if (char === quote) quote = undefined;
    } else if (char === '"' || char === "'") {
      quote = char;
    } else if (char === "}" && source[i + 1] === "}") {
      return i;
    }
  }
  // An unbalanced quote would otherwise hide the closing braces; retry ignoring quotes.
  return quote ? source.indexOf("}}", from) : -1;
}

function parseExpression(raw: string): TemplateExpr | { problem: string } {
  const inner = raw.slice(2, -2);
  let pos = 0;
  const skipSpaces = (): void => {
    SPACES.lastIndex = pos;
    SPACES.exec(inner);
    pos = SPACES.lastIndex;
  };
  const take = (pattern: RegExp): string | undefined => {
    pattern.lastIndex = pos;
    const found = pattern.exec(inner);
    if (!found) return undefined;
    pos = pattern.lastIndex;
    return found[0];
  };
  const unexpected = (what: string): { problem: string } => ({
    problem: `${what} in "${excerpt(raw)}"`,
  });

  skipSpaces();
  const segments: string[] = [];
  for (;;) {
    const segment = take(SEGMENT);
    if (segment === undefined) {
      return unexpected(
        segments.length === 0 && pos >= inner.length
          ? "empty expression"
          : `expected a variable name at "${rest(inner, pos)}"`,
      );
    }
    segments.push(segment);
    if (inner[pos] !== ".") break;
    pos++;
  }

  const filters: FilterCall[] = [];
  for (;;) {
    skipSpaces();
    if (pos >= inner.length) break;
    if (inner[pos] !== "|") return unexpected(`unexpected "${rest(inner, pos)}"`);
    pos++;
    skipSpaces();
    const name = take(FILTER_NAME);
    if (name === undefined) return unexpected(`expected a filter name after "|"`);
    const spec = getFilter(name);
    if (!spec) {
      return unexpected(`unknown filter "${name}" (known: ${FILTER_NAMES.join(", ")})`);
    }
    skipSpaces();
    const call: FilterCall = { name };
    if (inner[pos] === ":") {
      pos++;
      skipSpaces();
      const arg = readArgument(inner, pos);
      if (!arg) {
        return unexpected(
          `filter "${name}" needs a quoted text or a number as argument, got "${rest(inner, pos)}"`,
        );
      }
      call.arg = arg.value;
      pos = arg.end;
    }
    if (spec.arg === "none" && call.arg !== undefined) {
      return unexpected(`filter "${name}" takes no argument`);
    }
    if (spec.arg === "required" && call.arg === undefined) {
      return unexpected(`filter "${name}" needs an argument, e.g. ${name}:"..."`);
    }
    filters.push(call);
  }
  return { path: segments.join("."), segments, filters, raw };
}

/** Reads a `"..."` / `'...'` literal (backslash escapes the next character) or a number. */
function readArgument(
  inner: string,
  pos: number,
): { value: string | number; end: number } | undefined {
  const quote = inner[pos];
  if (quote === '"' || quote === "'") {
    let value = "";
    for (let i = pos + 1; i < inner.length; i++) {
      const char = inner[i] as string;
      if (char === quote) return { value, end: i + 1 };
      if (char === "\\" && i + 1 < inner.length) {
        i++;
        value += inner[i];
      } else {
        value += char;
      }
    }
    return undefined;
  }
  NUMBER_ARG.lastIndex = pos;
  const number = NUMBER_ARG.exec(inner);
  return number ? { value: Number(number[0]), end: NUMBER_ARG.lastIndex } : undefined;
}

function rest(inner: string, pos: number): string {
  return inner.slice(pos).trim() || "}}";
}

function excerpt(text: string): string {
  return text.length <= EXCERPT_LENGTH ? text : `${text.slice(0, EXCERPT_LENGTH)}…`;
}
