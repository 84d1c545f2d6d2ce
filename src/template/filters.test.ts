import { describe, expect, it } from "vitest";
import { applyFilters, FilterFailure, FILTER_NAMES, isGuarded, MISSING } from "./filters.ts";
import { capitalizeFirst, slugify, titleCase, urlEncode } from "./text-filters.ts";

const run = (value: unknown, name: string, arg?: string | number): unknown =>
  applyFilters(value, [arg === undefined ? { name } : { name, arg }]);

describe("filters", () => {
  it("offers at least the filters docs/manifest.md names", () => {
    expect(FILTER_NAMES).toEqual(
      expect.arrayContaining(["lower", "upper", "title", "capfirst", "default", "default_if_none"]),
    );
    expect(FILTER_NAMES).toEqual(
      expect.arrayContaining(["urlencode", "slugify", "date", "length", "join", "first", "last"]),
    );
  });

  it("lower, upper, capfirst and title change case like Django", () => {
    expect(run("ÉLan", "lower")).toBe("élan");
    expect(run("straße", "upper")).toBe("STRASSE");
    expect(run("élan vital", "capfirst")).toBe("Élan vital");
    expect(run("", "capfirst")).toBe("");
    expect(run("they're o'brien", "title")).toBe("They're O'Brien");
    expect(titleCase("1st place")).toBe("1st Place");
    expect(titleCase("hELLO wORLD-foo")).toBe("Hello World-Foo");
    expect(capitalizeFirst("𝒶bc")).toBe("𝒶bc");
  });

  it("text filters read other values as their rendered text", () => {
    expect(run(true, "upper")).toBe("TRUE");
    expect(run(null, "upper")).toBe("");
    expect(run({ A: 1 }, "lower")).toBe('{"a":1}');
  });

  it("default replaces unknown and Django-false values only", () => {
    for (const empty of [MISSING, "", null, false, 0, [], {}]) {
      expect(run(empty, "default", "x")).toBe("x");
    }
    for (const kept of ["0", " ", true, 1, [0], { a: null }]) {
      expect(run(kept, "default", "x")).toBe(kept);
    }
    expect(run(MISSING, "default", 5)).toBe("5");
  });

  it("default_if_none replaces unknown and null only", () => {
    expect(run(MISSING, "default_if_none", "x")).toBe("x");
    expect(run(null, "default_if_none", "x")).toBe("x");
    expect(run("", "default_if_none", "x")).toBe("");
    expect(run(false, "default_if_none", "x")).toBe(false);
  });

  it("urlencode encodes all but unreserved characters and / (or the safe argument)", () => {
    expect(run("a b/c?d=é&~*'()", "urlencode")).toBe("a%20b/c%3Fd%3D%C3%A9%26~%2A%27%28%29");
    expect(run("a/b", "urlencode", "")).toBe("a%2Fb");
    expect(urlEncode("a/b:c", ":")).toBe("a%2Fb:c");
    expect(run(12, "urlencode")).toBe("12");
  });

  it("slugify follows Django (NFKD, ASCII only, dashes)", () => {
    expect(run("Jöhn  O'Brien -- Ŝmith_", "slugify")).toBe("john-obrien-smith");
    expect(slugify(" _Hello, World!_ ")).toBe("hello-world");
    expect(slugify("a\x1cb")).toBe("a-b");
    expect(slugify("ﬁle № 5")).toBe("file-no-5");
  });

  it("length counts characters, items and keys, 0 for the rest", () => {
    expect(run("héllo😀", "length")).toBe(6);
    expect(run([1, 2, 3], "length")).toBe(3);
    expect(run({ a: 1, b: 2 }, "length")).toBe(2);
    expect(run(null, "length")).toBe(0);
    expect(run(42, "length")).toBe(0);
  });

  it("join joins list items as text, string characters and object keys", () => {
    expect(run(["a", 1, null, { b: true }], "join", ", ")).toBe('a, 1, , {"b":true}');
    expect(run("abc", "join", "-")).toBe("a-b-c");
    expect(run({ x: 1, y: 2 }, "join", "+")).toBe("x+y");
    expect(run(7, "join", ",")).toBe(7);
  });

  it("first and last take an element, keeping its type, or '' when there is none", () => {
    expect(run([{ id: 1 }, { id: 2 }], "first")).toEqual({ id: 1 });
    expect(run([{ id: 1 }, { id: 2 }], "last")).toEqual({ id: 2 });
    expect(run("héllo", "first")).toBe("h");
    expect(run("héllo", "last")).toBe("o");
    expect(run([], "first")).toBe("");
    expect(run(5, "last")).toBe("");
  });

  it("date formats ISO dates and fails on anything else", () => {
    expect(run("2024-03-01", "date", "Y-m-d l")).toBe("2024-03-01 Friday");
    expect(run("2024-03-01", "date")).toBe("March 1, 2024");
    expect(() => run("next monday", "date", "Y")).toThrow(FilterFailure);
    expect(() => run(5, "date", "Y")).toThrow(FilterFailure);
  });

  it("chains left to right, keeping lists until rendered", () => {
    const chain = [{ name: "first" }, { name: "upper" }];
    expect(applyFilters(["ann", "bob"], chain)).toBe("ANN");
    expect(applyFilters(["b", "a"], [{ name: "last" }, { name: "length" }])).toBe(1);
  });

  it("passes an unknown variable through non-default filters until a default", () => {
    expect(applyFilters(MISSING, [{ name: "lower" }])).toBe(MISSING);
    expect(applyFilters(MISSING, [{ name: "lower" }, { name: "default", arg: "Y" }])).toBe("Y");
    expect(applyFilters(MISSING, [{ name: "default", arg: "Y" }, { name: "lower" }])).toBe("y");
    expect(isGuarded([{ name: "lower" }, { name: "default_if_none" }])).toBe(true);
    expect(isGuarded([{ name: "lower" }])).toBe(false);
  });
});
