// Where the cursor is in a manifest's JSON text, read tolerantly (the text is usually half typed):
// at a key of the object at some path, at a value, or over a key (for its help). jsonc-parser does
// the scanning; this file turns its answers into the ranges the web UI's code editor replaces.
// Bundled into the editor's static file, not part of dist/.
import {
  findNodeAtLocation,
  findNodeAtOffset,
  getLocation,
  getNodePath,
  parseTree,
} from "jsonc-parser";
import type { JsonPath, PresentKeys } from "./schema-assist.ts";

export interface CompletionContext {
  /** A key of the object at `path`, or the value of the key / array item at `path`. */
  kind: "key" | "value";
  path: JsonPath;
  /** The range holding what was typed so far, replaced by the completion. */
  from: number;
  to: number;
  /** Whether the typed text starts with a quote (a key or string value being written). */
  quoted: boolean;
  /** Whether a colon already follows the key. */
  colon: boolean;
}

/** The keys written in each object of `text`, by path. */
export function presentKeys(text: string): PresentKeys {
  const tree = parseTree(text, [], { allowTrailingComma: true });
  return (path) => {
    const node = tree === undefined ? undefined : findNodeAtLocation(tree, path);
    if (node?.type !== "object") return [];
    return (node.children ?? []).flatMap((property) => {
      const key: unknown = property.children?.[0]?.value;
      return typeof key === "string" ? [key] : [];
    });
  };
}

/** What can be completed at `offset`, or undefined where nothing can (the document's root). */
export function completionContext(text: string, offset: number): CompletionContext | undefined {
  const location = getLocation(text, offset);
  const node = location.previousNode;
  const before = text.slice(0, offset);
  if (location.isAtPropertyKey) {
    const objectPath = location.path.slice(0, -1);
    if (node !== undefined && node.type === "property") {
      const end = node.offset + node.length;
      return {
        kind: "key",
        path: objectPath,
        from: node.offset,
        to: Math.max(end, offset),
        quoted: true,
        colon: /^\s*:/.test(text.slice(end)),
      };
    }
    // A key typed without its opening quote yet: `{ met|`.
    const word = /[A-Za-z0-9_$]*$/.exec(before)?.[0] ?? "";
    return {
      kind: "key",
      path: objectPath,
      from: offset - word.length,
      to: offset,
      quoted: false,
      colon: false,
    };
  }
  const path = location.path;
  if (path.length === 0) return undefined;
  if (node !== undefined) {
    return {
      kind: "value",
      path,
      from: node.offset,
      to: Math.max(node.offset + node.length, offset),
      quoted: node.type === "string",
      colon: false,
    };
  }
  const word = /[A-Za-z0-9_"-]*$/.exec(before)?.[0] ?? "";
  return {
    kind: "value",
    path,
    from: offset - word.length,
    to: offset,
    quoted: false,
    colon: false,
  };
}

/** The key under `offset`, with its path and range, for a hover; undefined over anything else. */
export function keyAt(
  text: string,
  offset: number,
): { path: JsonPath; from: number; to: number } | undefined {
  const tree = parseTree(text, [], { allowTrailingComma: true });
  if (tree === undefined) return undefined;
  const node = findNodeAtOffset(tree, offset, true);
  const property = node?.parent;
  if (node === undefined || node.type !== "string" || property?.type !== "property")
    return undefined;
  if (property.children?.[0] !== node) return undefined;
  return { path: getNodePath(node), from: node.offset, to: node.offset + node.length };
}
