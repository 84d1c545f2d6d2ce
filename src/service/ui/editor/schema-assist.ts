// What the manifest's JSON Schema says about a place in a manifest: which keys may be written
// there (with their descriptions), which values a key takes, and the help text of a key. Used by
// the web UI's code editor for completion and hover (bundled into its static file, not part of
// dist/); plain functions over the schema and a JSON path (`["execute", 0, "polling"]`), so they
// are tested without a browser.

// A JSON Schema node as the generator writes it; loosely typed on purpose.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Schema = Record<string, any>;
export type JsonPath = Array<string | number>;
/** The keys already written in the object at a path (see json-context.ts presentKeys). */
export type PresentKeys = (path: JsonPath) => string[];

export interface KeyInfo {
  label: string;
  /** A short type text, e.g. `integer 1–100, required`. */
  type: string;
  description: string;
  deprecated: boolean;
}

export interface ValueOption {
  label: string;
  /** The JSON text to insert. */
  insert: string;
  description: string;
}

const NONE: PresentKeys = () => [];

/** The schema a `$ref` points at (only local `#/$defs/…` references, as the generator writes). */
function deref(root: Schema, node: Schema | undefined): Schema | undefined {
  let current = node;
  for (let hops = 0; current !== undefined && typeof current.$ref === "string"; hops++) {
    const name = /^#\/\$defs\/(.+)$/.exec(current.$ref as string)?.[1];
    const target: Schema | undefined =
      name === undefined || hops > 32 ? undefined : root.$defs?.[name];
    // A description beside the $ref is about this use of the definition: it wins.
    current =
      target === undefined
        ? undefined
        : { ...target, ...(current.description ? { description: current.description } : {}) };
  }
  return current;
}

/** The alternatives a schema stands for: `anyOf` / `oneOf` flattened, references followed. */
function branches(root: Schema, node: Schema | undefined): Schema[] {
  const resolved = deref(root, node);
  if (resolved === undefined) return [];
  const alternatives: unknown = resolved.anyOf ?? resolved.oneOf;
  if (!Array.isArray(alternatives)) return [resolved];
  return alternatives.flatMap((alternative: Schema) => branches(root, alternative));
}

/** The alternatives that accept every key already written, or all of them when none does. */
function fitting(candidates: Schema[], keys: string[]): Schema[] {
  const objects = candidates.filter((schema) => schema.type === "object" || schema.properties);
  if (keys.length === 0 || objects.length < 2) return candidates;
  const fit = objects.filter(
    (schema) =>
      schema.additionalProperties !== false ||
      keys.every((key) => Object.hasOwn(schema.properties ?? {}, key)),
  );
  return fit.length > 0 ? fit : candidates;
}

/**
 * The schemas that may apply at `path`. An object whose written keys only fit one alternative
 * (a sync-users manifest has `action`) is described by that one.
 */
export function schemasAt(root: Schema, path: JsonPath, present: PresentKeys = NONE): Schema[] {
  let current = fitting(branches(root, root), present([]));
  path.forEach((segment, depth) => {
    const next: Schema[] = [];
    for (const schema of current) {
      if (typeof segment === "number") {
        if (schema.items !== undefined) next.push(...branches(root, schema.items));
        continue;
      }
      const property: Schema | undefined = schema.properties?.[segment];
      if (property !== undefined) next.push(...branches(root, property));
      else if (typeof schema.additionalProperties === "object")
        next.push(...branches(root, schema.additionalProperties));
    }
    current = fitting(next, present(path.slice(0, depth + 1)));
  });
  return current;
}

/** A short type text: `string`, `integer 1–100`, `"GET" | "POST"`, `array of Step`. */
export function typeText(root: Schema, node: Schema | undefined): string {
  if (node === undefined) return "";
  if (typeof node.$ref === "string") {
    const name = node.$ref.replace(/^#\/\$defs\//, "");
    return name === "JsonValue" || name.startsWith("__") ? "any JSON" : name;
  }
  if (Array.isArray(node.enum)) return node.enum.map((value) => JSON.stringify(value)).join(" | ");
  if (node.const !== undefined) return JSON.stringify(node.const);
  const alternatives: unknown = node.anyOf ?? node.oneOf;
  if (Array.isArray(alternatives))
    return [...new Set(alternatives.map((one: Schema) => typeText(root, one)))].join(" or ");
  if (node.type === "array") return `array of ${typeText(root, node.items) || "values"}`;
  if (node.type === "object" && typeof node.additionalProperties === "object")
    return `object of ${typeText(root, node.additionalProperties)}`;
  if (node.type === "integer" && node.minimum !== undefined && node.maximum !== undefined)
    return `integer ${node.minimum}–${node.maximum}`;
  if (node.type === "number" && node.maximum !== undefined) return `number up to ${node.maximum}`;
  return Array.isArray(node.type) ? node.type.join(" or ") : String(node.type ?? "");
}

/** Every key the schema allows in the object at `path`, with its type and description. */
function allKeys(root: Schema, path: JsonPath, present: PresentKeys): KeyInfo[] {
  const keys = new Map<string, KeyInfo>();
  for (const schema of schemasAt(root, path, present)) {
    const required = new Set<string>(schema.required ?? []);
    for (const [label, property] of Object.entries<Schema>(schema.properties ?? {})) {
      if (keys.has(label)) continue;
      const resolved = deref(root, property);
      keys.set(label, {
        label,
        type: `${typeText(root, property)}${required.has(label) ? ", required" : ""}`,
        description: resolved?.description ?? "",
        deprecated: resolved?.deprecated === true,
      });
    }
  }
  return [...keys.values()];
}

/** The keys that may be added to the object at `path`, minus those it already has. */
export function keysAt(root: Schema, path: JsonPath, present: PresentKeys = NONE): KeyInfo[] {
  const have = new Set(present(path));
  return allKeys(root, path, present).filter((info) => !have.has(info.label));
}

/** The values the key (or array item) at `path` takes when they are few: enum, const, flags. */
export function valuesAt(root: Schema, path: JsonPath, present: PresentKeys = NONE): ValueOption[] {
  const values = new Map<string, ValueOption>();
  for (const schema of schemasAt(root, path, present)) {
    const description: string = schema.description ?? "";
    const listed: unknown[] = Array.isArray(schema.enum)
      ? schema.enum
      : schema.const !== undefined
        ? [schema.const]
        : schema.type === "boolean"
          ? [true, false]
          : [];
    for (const value of listed) {
      const insert = JSON.stringify(value);
      if (!values.has(insert)) values.set(insert, { label: insert, insert, description });
    }
  }
  return [...values.values()];
}

/** The help of the key at `path` (its last segment), or undefined when the schema has none. */
export function describeKey(
  root: Schema,
  path: JsonPath,
  present: PresentKeys = NONE,
): KeyInfo | undefined {
  const key = path[path.length - 1];
  if (typeof key !== "string") return undefined;
  return allKeys(root, path.slice(0, -1), present).find((info) => info.label === key);
}
