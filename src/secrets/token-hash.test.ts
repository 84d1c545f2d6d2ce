import { describe, expect, it } from "vitest";
import { generateApiToken, hashApiToken } from "./token-hash.ts";

describe("API token hashing", () => {
  it("hashes with SHA-256 as lowercase hex", () => {
    expect(hashApiToken("abc")).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
  });

  it("generates distinct tokens whose hashes do not contain them", () => {
    const a = generateApiToken();
    const b = generateApiToken();
    expect(a).toMatch(/^hw_[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(hashApiToken(a)).not.toContain(a);
  });
});
