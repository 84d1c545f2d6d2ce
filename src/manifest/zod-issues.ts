// Turns zod issues into hirewire validation problems: our path format, plain sentences with the
// actual value, one problem per unknown key with a suggestion.
//
// Messages written in schema.ts all start with "must "; zod's own defaults never do, which is
// how a schema-given sentence is told apart from a default that needs rewording here.
import type { z } from "zod";
import { formatPath, isRecord, previewValue, valueAt, type PathSegment } from "./path.ts";
import { suggestKey } from "./suggest-key.ts";
import type { ValidationProblem } from "./types.ts";

type Issue = z.core.$ZodIssue;
type AnySchema = z.core.$ZodType;

const TYPE_NAMES: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "an integer",
  boolean: "true or false",
  null: "null",
  array: "an array",
  object: "an object",
  record: "an object",
};

function segmentsOf(path: readonly PropertyKey[]): PathSegment[] {
  return path.map((key) => (typeof key === "number" ? key : String(key)));
}

function problem(path: readonly PathSegment[], message: string): ValidationProblem {
  return { path: formatPath(path), message, severity: "error", code: "VALIDATION" };
}

function got(input: unknown, path: readonly PropertyKey[]): string {
  return ` (got ${previewValue(valueAt(input, path))})`;
}

/** The schema that validates the value at `path`, looking through optional wrappers. */
function schemaAt(root: AnySchema, path: readonly PropertyKey[]): AnySchema | undefined {
  let current: AnySchema | undefined = unwrap(root);
  for (const segment of path) {
    if (current === undefined) return undefined;
    const def = current._zod.def as unknown as Record<string, unknown>;
    if (def.type === "object") {
      const shape = def.shape as Record<string, AnySchema>;
      current = Object.hasOwn(shape, segment) ? shape[segment as string] : undefined;
    } else if (def.type === "array") current = def.element as AnySchema;
    else if (def.type === "record") current = def.valueType as AnySchema;
    else return undefined;
    current = current && unwrap(current);
  }
  return current;
}

function unwrap(schema: AnySchema): AnySchema {
  let current = schema;
  for (;;) {
    const def = current._zod.def as unknown as Record<string, unknown>;
    if (def.type !== "optional" && def.type !== "default" && def.type !== "nullable")
      return current;
    current = def.innerType as AnySchema;
  }
}

function knownKeys(root: AnySchema, path: readonly PropertyKey[]): string[] {
  const schema = schemaAt(root, path);
  const def = schema?._zod.def as unknown as Record<string, unknown> | undefined;
  return def?.type === "object" ? Object.keys(def.shape as object) : [];
}

function oneOf(values: readonly unknown[]): string {
  if (values.length === 1) return `must be ${JSON.stringify(values[0])}`;
  return `must be one of ${values.map((value) => String(value)).join(", ")}`;
}

/** True when the issue is about an object key that is absent (not merely of the wrong type). */
function isMissingKey(input: unknown, path: readonly PropertyKey[]): boolean {
  const key = path.at(-1);
  if (key === undefined) return false;
  const parent = valueAt(input, path.slice(0, -1));
  return isRecord(parent) && !Object.hasOwn(parent, key);
}

/** For a union without its own sentence (JSON values): the branch that got furthest explains. */
function unionProblems(issue: Issue & { code: "invalid_union" }, input: unknown, root: AnySchema) {
  const deeper = issue.errors.find((branch) =>
    branch.some((inner) => inner.path.length > 0 || inner.code !== "invalid_type"),
  );
  if (deeper === undefined) {
    return [problem(segmentsOf(issue.path), `must be a JSON value${got(input, issue.path)}`)];
  }
  return deeper.flatMap((inner) =>
    issueToProblems({ ...inner, path: [...issue.path, ...inner.path] } as Issue, input, root),
  );
}

/** The manifest kind being validated and the other one, to explain keys of the wrong kind. */
export interface ManifestKinds {
  name: string;
  other: { schema: AnySchema; name: string };
}

function unknownKeyMessage(
  key: string,
  known: string[],
  atRoot: boolean,
  kinds?: ManifestKinds,
): string {
  if (atRoot && kinds && knownKeys(kinds.other.schema, []).includes(key)) {
    return `unknown key in a ${kinds.name}; it belongs in a ${kinds.other.name}`;
  }
  const suggestion = suggestKey(key, known);
  return suggestion === undefined
    ? "unknown key"
    : `unknown key; did you mean ${JSON.stringify(suggestion)}?`;
}

/**
 * Maps one zod issue (from parsing `input` with `root`) to problems; unknown keys give one
 * problem each.
 */
export function issueToProblems(
  issue: Issue,
  input: unknown,
  root: AnySchema,
  kinds?: ManifestKinds,
): ValidationProblem[] {
  const path = segmentsOf(issue.path);
  const custom = issue.message.startsWith("must ");
  if (issue.code !== "unrecognized_keys" && isMissingKey(input, issue.path)) {
    return [problem(path, "is required")];
  }
  switch (issue.code) {
    case "unrecognized_keys": {
      const known = knownKeys(root, issue.path);
      const atRoot = issue.path.length === 0;
      return issue.keys.map((key) =>
        problem([...path, key], unknownKeyMessage(key, known, atRoot, kinds)),
      );
    }
    case "invalid_type": {
      const expected = TYPE_NAMES[issue.expected] ?? issue.expected;
      const sentence = custom ? issue.message : `must be ${expected}`;
      return [problem(path, sentence + got(input, issue.path))];
    }
    case "invalid_value":
      return [
        problem(path, (custom ? issue.message : oneOf(issue.values)) + got(input, issue.path)),
      ];
    case "invalid_union":
      if (custom) return [problem(path, issue.message + got(input, issue.path))];
      return unionProblems(issue, input, root);
    case "invalid_key": {
      const inner = issue.issues[0]?.message ?? "is not allowed";
      const sentence = inner.startsWith("must ") ? inner : "is not allowed";
      return [problem(path, `key ${sentence} (got ${JSON.stringify(path.at(-1))})`)];
    }
    case "too_small":
      // The length says it all for arrays; the value would only repeat it.
      if (issue.origin === "array") {
        return [
          problem(
            path,
            custom ? issue.message : `must have at least ${String(issue.minimum)} items`,
          ),
        ];
      }
      return [problem(path, issue.message + got(input, issue.path))];
    default:
      return [problem(path, issue.message + (custom ? got(input, issue.path) : ""))];
  }
}
