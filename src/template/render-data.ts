// Rendering the templates inside JSON data (a step's `data`, headers): every string value and
// every key is rendered on its own and inserted as a string, so a quote, newline or `{{` in a
// variable's value can never break the JSON or be rendered a second time (docs/manifest.md).
import { HirewireError, placeError } from "../errors/index.ts";
import type { JsonValue } from "../json/json-value.ts";
import { setOwn } from "../json/own-property.ts";
import { isTemplated } from "./parse-template.ts";
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
  // Built in a loop, as Object.fromEntries would: plain data properties, later keys winning.
  // A key's path is written out only where something below it can fail or needs it (a dry-run's
  // `missing`); most keys and many values are plain text, rendered on every attempt.
  const out: Record<string, JsonValue> = {};
  const named = options.missing !== undefined;
  for (const key of Object.keys(value)) {
    const item = value[key]!;
    const needsPath =
      named ||
      isTemplated(key) ||
      (typeof item === "string" ? isTemplated(item) : item !== null && typeof item === "object");
    const itemPath = needsPath ? joinKey(path, key) : path;
    const renderedKey = isTemplated(key) ? renderAt(key, itemPath, scope, options) : key;
    setOwn(out, renderedKey, walk(item, itemPath, scope, options));
  }
  return out;
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
