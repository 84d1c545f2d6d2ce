import { describe, expect, it } from "vitest";
import { safeSegment } from "./safe-name.ts";

describe("safeSegment", () => {
  it("keeps ordinary names as they are", () => {
    expect(safeSegment("contract.pdf")).toBe("contract.pdf");
    expect(safeSegment("Offer letter (final).docx")).toBe("Offer letter (final).docx");
  });

  it("cleans separators and dot names, adding a hash so names never collide", () => {
    const a = safeSegment("a/b");
    const b = safeSegment("a_b");
    expect(a).toMatch(/^a_b-[0-9a-f]{10}$/);
    expect(b).toBe("a_b");
    expect(safeSegment("..")).toMatch(/^_-[0-9a-f]{10}$/);
    expect(safeSegment("")).toMatch(/^_-[0-9a-f]{10}$/);
    expect(safeSegment("a\\b\u0000c")).not.toMatch(/[\\/\u0000]/);
  });

  it("shortens very long names", () => {
    const long = "é".repeat(300);
    const safe = safeSegment(long);
    expect(Buffer.byteLength(safe)).toBeLessThanOrEqual(200);
    expect(safe).not.toContain("\uFFFD");
  });
});
