import { describe, expect, it } from "vitest";
import { readNotation } from "./notation.ts";

describe("readNotation", () => {
  const body = { data: { id: "u1", items: [{ id: 7 }], "0": "zero", nothing: null } };

  it("takes keys on objects and indexes on arrays", () => {
    expect(readNotation(body, "data.id")).toEqual({ found: true, value: "u1" });
    expect(readNotation(body, "data.items.0.id")).toEqual({ found: true, value: 7 });
  });

  it("treats a numeric-looking key on an object as a key", () => {
    expect(readNotation(body, "data.0")).toEqual({ found: true, value: "zero" });
  });

  it("finds a JSON null", () => {
    expect(readNotation(body, "data.nothing")).toEqual({ found: true, value: null });
  });

  it("reports missing paths, bad indexes and paths through scalars as not found", () => {
    expect(readNotation(body, "data.missing")).toEqual({ found: false });
    expect(readNotation(body, "data.items.1")).toEqual({ found: false });
    expect(readNotation(body, "data.items.x")).toEqual({ found: false });
    expect(readNotation(body, "data.id.length")).toEqual({ found: false });
  });

  it("returns the whole body for the empty notation", () => {
    expect(readNotation(body, "")).toEqual({ found: true, value: body });
  });

  it("reads one key as a longer path would", () => {
    const list = [{ id: 1 }, { id: 2 }];
    for (const [root, notation] of [
      [body, "data"],
      [body, "missing"],
      [body, "toString"],
      [list, "1"],
      [list, "2"],
      [list, "01"],
      [list, "length"],
      ["text", "length"],
      [null, "x"],
      [{ nothing: null }, "nothing"],
    ] as const) {
      const longer = readNotation({ root }, `root.${notation}`);
      expect(readNotation(root, notation)).toEqual(longer);
    }
  });
});
