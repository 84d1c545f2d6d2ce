// No import cycles in src/: neither between files nor between folders (a folder and the folders
// inside it count as one, so `service/serve.ts` may import `service/api/`). Type-only imports and
// `import()` calls count too: a cycle through types still ties two layers together.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { findCycles, importGraph, type ImportGraph } from "./support/import-graph.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** True when one folder is the other or sits inside it. */
const nested = (a: string, b: string): boolean =>
  a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);

/** The graph of folders: an edge wherever a file imports a file of an unrelated folder. */
function folderGraph(files: ImportGraph): ImportGraph {
  const folders: ImportGraph = new Map();
  for (const [file, targets] of files) {
    const from = dirname(file);
    const edges = folders.get(from) ?? [];
    for (const target of targets) {
      const to = dirname(target);
      if (!nested(from, to) && !edges.includes(to)) edges.push(to);
    }
    folders.set(from, edges);
  }
  return folders;
}

describe("the import graph of src/", () => {
  const files = importGraph(root);

  it("reads the sources", () => {
    expect(files.size).toBeGreaterThan(100);
    expect(files.get("src/cli/main.ts")).toContain("src/errors/index.ts");
  });

  it("has no cycle between files", () => {
    expect(findCycles(files).map((cycle) => cycle.join(" → "))).toEqual([]);
  });

  it("has no cycle between folders", () => {
    expect(findCycles(folderGraph(files)).map((cycle) => cycle.join(" → "))).toEqual([]);
  });

  it("finds a cycle when there is one", () => {
    const graph: ImportGraph = new Map([
      ["a.ts", ["b.ts"]],
      ["b.ts", ["c.ts"]],
      ["c.ts", ["a.ts"]],
      ["d.ts", ["a.ts"]],
    ]);
    expect(findCycles(graph)).toEqual([["a.ts", "b.ts", "c.ts", "a.ts"]]);
    expect(
      findCycles(
        new Map([
          ["a.ts", ["b.ts"]],
          ["b.ts", []],
        ]),
      ),
    ).toEqual([]);
  });
});
