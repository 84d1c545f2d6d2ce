// Rendering the templates inside JSON data (a step's `data`, headers): every string value and
// every key is rendered on its own and inserted as a string, so a quote, newline or `{{` in a
// variable's value can never break the JSON or be rendered a second time (docs/manifest.md).
import { HirewireError, placeError } from "../errors/index.ts";
import type { JsonValue } from "../json/json-value.ts";
import { renderTemplate, type RenderOptions } from "./render-template.ts";
import type { Scope } from "./scope.ts";

// Same path style as src/manifest/path.ts: identifier keys dotted, any other key JSON-quoted.
const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * Walks JSON data rendering every string value and key. Errors carry `path` = basePath plus the
 * JSON path inside the data (`data.user.name`, `data.items[0]`, `headers["X-Api-Key"]`).
 * Objects are rebuilt as plain data properties, so a key like "__proto__" stays a key.
 */
export function renderData(
  value: JsonValue,
  scope: Scope,
  options: RenderOptions & { basePath?: string } = {},
): JsonValue {
  return walk(value, options.basePath ?? "", scope, options);
}

function walk(value: JsonValue, path: string, scope: Scope, options: RenderOptions): JsonValue {
  if (typeof value === "string") return renderAt(value, path, scope, options);
  if (Array.isArray(value)) {
    return value.map((item, index) => walk(item, `${path}[${index}]`, scope, options));
  }
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value).map(([key, item]): [string, JsonValue] => {
    const itemPath = joinKey(path, key);
    return [renderAt(key, itemPath, scope, options), walk(item, itemPath, scope, options)];
  });
  return Object.fromEntries(entries);
}

function renderAt(source: string, path: string, scope: Scope, options: RenderOptions): string {
  const missing = options.missing;
  try {
    return renderTemplate(
      source,
      scope,
      missing === undefined ? options : { ...options, missing: (expr) => missing(expr, path) },
    );
  } catch (error) {
    if (!(error instanceof HirewireError)) throw error;
    throw placeError(error, { path: path || undefined });
  }
}

function joinKey(path: string, key: string): string {
  if (!PLAIN_KEY.test(key)) return `${path}[${JSON.stringify(key)}]`;
  return path === "" ? key : `${path}.${key}`;
}
