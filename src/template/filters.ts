// The filters a template may use (docs/manifest.md), with Django's semantics. Filters act on the
// raw value and chain left to right, so a list stays a list until the expression is rendered.
//
// An unknown variable travels through the chain as MISSING: `default` and `default_if_none`
// replace it with their argument, every other filter passes it on untouched. So
// `{{ x|lower|default:"y" }}` is legal for an unknown x (as in Django, where x would be "");
// an expression still MISSING after its last filter is an unknown-variable error.
// Text filters (lower, upper, …) read a non-string value as its rendered text (null → "").
import { DEFAULT_DATE_FORMAT, DateInputError, formatDate } from "./date-format.ts";
import { capitalizeFirst, slugify, titleCase, urlEncode } from "./text-filters.ts";
import { isFalsy, valueToText } from "./value-text.ts";

/** Marks an unknown variable while it passes through a filter chain. */
export const MISSING: unique symbol = Symbol("missing variable");

/** A filter failed on its input (e.g. `date` on text that is not a date). */
export class FilterFailure extends Error {}

export interface FilterSpec {
  /** Whether the filter takes an argument after a colon. */
  arg: "none" | "optional" | "required";
  /** True for the filters that give an unknown variable a value. */
  guards?: boolean;
  apply(value: unknown, arg: string | undefined): unknown;
}

const text = (fn: (value: string) => string): FilterSpec["apply"] => {
  return (value) => fn(valueToText(value));
};

/** Python's `value[index]` for strings and lists, "" when there is no such element. */
function element(value: unknown, index: number): unknown {
  if (typeof value === "string") {
    const chars = [...value];
    return chars.at(index) ?? "";
  }
  if (Array.isArray(value)) return value.length > 0 ? value.at(index) : "";
  return "";
}

/** Every filter by name. */
const FILTERS: Readonly<Record<string, FilterSpec>> = Object.freeze({
  lower: { arg: "none", apply: text((value) => value.toLowerCase()) },
  upper: { arg: "none", apply: text((value) => value.toUpperCase()) },
  title: { arg: "none", apply: text(titleCase) },
  capfirst: { arg: "none", apply: text(capitalizeFirst) },
  default: {
    arg: "required",
    guards: true,
    apply: (value, arg) => (value === MISSING || isFalsy(value) ? arg : value),
  },
  default_if_none: {
    arg: "required",
    guards: true,
    apply: (value, arg) => (value === MISSING || value === null ? arg : value),
  },
  urlencode: { arg: "optional", apply: (value, arg) => urlEncode(valueToText(value), arg) },
  slugify: { arg: "none", apply: text(slugify) },
  date: {
    arg: "optional",
    apply: (value, arg) => {
      try {
        return formatDate(value, arg ?? DEFAULT_DATE_FORMAT);
      } catch (error) {
        if (error instanceof DateInputError) throw new FilterFailure(error.message);
        throw error;
      }
    },
  },
  length: {
    arg: "none",
    // Django answers 0 for values without a length (numbers, booleans, None).
    apply: (value) => {
      if (typeof value === "string") return [...value].length;
      if (Array.isArray(value)) return value.length;
      if (value !== null && typeof value === "object") return Object.keys(value).length;
      return 0;
    },
  },
  join: {
    arg: "required",
    // Like Python's str.join: a string joins its characters, an object its keys; anything else
    // is returned unchanged, as Django does on a TypeError.
    apply: (value, arg) => {
      if (Array.isArray(value)) return value.map(valueToText).join(arg);
      if (typeof value === "string") return [...value].join(arg);
      if (value !== null && typeof value === "object") return Object.keys(value).join(arg);
      return value;
    },
  },
  first: { arg: "none", apply: (value) => element(value, 0) },
  last: { arg: "none", apply: (value) => element(value, -1) },
} satisfies Record<string, FilterSpec>);

/** Filter names, for messages listing what is available. */
export const FILTER_NAMES: readonly string[] = Object.freeze(Object.keys(FILTERS));

/** The filter of that name, or undefined (inherited names like "constructor" are not filters). */
export function getFilter(name: string): FilterSpec | undefined {
  return Object.prototype.hasOwnProperty.call(FILTERS, name) ? FILTERS[name] : undefined;
}

/** True when a filter chain gives an unknown variable a value (`default`, `default_if_none`). */
export function isGuarded(filters: ReadonlyArray<{ name: string }>): boolean {
  return filters.some((filter) => getFilter(filter.name)?.guards === true);
}

/**
 * Runs a chain of filters over a value (MISSING for an unknown variable). Numeric arguments are
 * read as their text. Throws FilterFailure when a filter cannot handle its input.
 */
export function applyFilters(
  value: unknown,
  filters: ReadonlyArray<{ name: string; arg?: string | number }>,
): unknown {
  let current = value;
  for (const filter of filters) {
    const spec = getFilter(filter.name);
    if (!spec) throw new FilterFailure(`unknown filter "${filter.name}"`);
    if (current === MISSING && !spec.guards) continue;
    current = spec.apply(current, filter.arg === undefined ? undefined : String(filter.arg));
  }
  return current;
}
