import { describe, expect, it } from "vitest";
import { formatPath } from "./path.ts";
import { suggestKey } from "./suggest-key.ts";

const STEP_KEYS = [
  "url",
  "method",
  "data",
  "headers",
  "store_data",
  "continue_if",
  "polling",
  "save_as_file",
  "files",
];

describe("suggestKey", () => {
  it("suggests on case, separators, typos and truncations", () => {
    expect(suggestKey("URL", STEP_KEYS)).toBe("url");
    expect(suggestKey("storeData", STEP_KEYS)).toBe("store_data");
    expect(suggestKey("continue-if", STEP_KEYS)).toBe("continue_if");
    expect(suggestKey("pollling", STEP_KEYS)).toBe("polling");
    expect(suggestKey("store", STEP_KEYS)).toBe("store_data");
    expect(suggestKey("save_as", STEP_KEYS)).toBe("save_as_file");
  });

  it("counts two swapped letters as one typo", () => {
    expect(suggestKey("emial", ["email", "first_name"])).toBe("email");
    expect(suggestKey("metohd", STEP_KEYS)).toBe("method");
    // Two swaps are two typos: too many for a short name.
    expect(suggestKey("mealia", ["email"])).toBeUndefined();
  });

  it("prefers a typo over a truncation", () => {
    expect(suggestKey("file", ["files", "file_name_long"])).toBe("files");
  });

  it("stays quiet when nothing is close", () => {
    expect(suggestKey("bogus", STEP_KEYS)).toBeUndefined();
    expect(suggestKey("x", STEP_KEYS)).toBeUndefined();
    expect(suggestKey("", STEP_KEYS)).toBeUndefined();
    expect(suggestKey("data_from", STEP_KEYS)).toBeUndefined();
  });
});

describe("formatPath", () => {
  it("dots identifiers, brackets indices and quotes other keys", () => {
    expect(formatPath([])).toBe("");
    expect(formatPath(["execute", 1, "polling", "amount"])).toBe("execute[1].polling.amount");
    expect(formatPath(["headers", "X-Api-Key"])).toBe('headers["X-Api-Key"]');
    expect(formatPath(["data", 'a "b"', 0])).toBe('data["a \\"b\\""][0]');
    expect(formatPath(["$schema"])).toBe("$schema");
  });
});
