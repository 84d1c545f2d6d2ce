import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { isHirewireError } from "../errors/index.ts";
import { SecretCipher } from "./cipher.ts";

describe("SecretCipher", () => {
  const cipher = new SecretCipher(randomBytes(32));

  it("round-trips text, including unicode and the empty string", () => {
    for (const text of ["hunter2", "", "ünïcødé ✓ 🔑", "x".repeat(10_000)]) {
      expect(cipher.decrypt(cipher.encrypt(text))).toBe(text);
    }
  });

  it("writes a versioned token that never contains the plaintext", () => {
    const token = cipher.encrypt("my-api-token");
    expect(token).toMatch(/^v1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]*$/);
    expect(token).not.toContain("my-api-token");
  });

  it("uses a fresh IV, so equal secrets give different tokens", () => {
    expect(cipher.encrypt("same")).not.toBe(cipher.encrypt("same"));
  });

  it("detects a tampered ciphertext, tag or IV, also of a token it decrypted before", () => {
    const original = cipher.encrypt("tamper me");
    // Decrypted (and so remembered) first: a copy altered afterwards is still checked.
    expect(cipher.decrypt(original)).toBe("tamper me");
    expect(cipher.decrypt(original)).toBe("tamper me");
    const [version, iv, tag, body] = original.split(":") as [string, string, string, string];
    const flip = (b64: string): string => {
      const bytes = Buffer.from(b64, "base64");
      bytes[0] = (bytes[0] ?? 0) ^ 1;
      return bytes.toString("base64");
    };
    for (const token of [
      [version, iv, tag, flip(body)],
      [version, iv, flip(tag), body],
      [version, flip(iv), tag, body],
    ]) {
      expect(() => cipher.decrypt(token.join(":"))).toThrowError(
        /altered or encrypted with a different key/,
      );
    }
  });

  it("refuses a token made with another key, even one this process decrypted with its own", () => {
    const other = new SecretCipher(randomBytes(32));
    const token = cipher.encrypt("secret");
    expect(cipher.decrypt(token)).toBe("secret");
    let caught: unknown;
    try {
      other.decrypt(token);
    } catch (error) {
      caught = error;
    }
    expect(isHirewireError(caught, "INTERNAL")).toBe(true);
  });

  it("refuses malformed tokens and keys of the wrong size", () => {
    expect(() => cipher.decrypt("plain text")).toThrowError(/not in the v1 format/);
    expect(() => cipher.decrypt("v2:a:b:c")).toThrowError(/not in the v1 format/);
    expect(() => cipher.decrypt("v1:AAAA:AAAA:AAAA")).toThrowError(/wrong length/);
    expect(() => new SecretCipher(randomBytes(16))).toThrowError(/32 bytes/);
  });
});
