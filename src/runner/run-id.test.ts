import { describe, expect, it } from "vitest";
import { newRunId } from "./run-id.ts";

describe("newRunId", () => {
  it("makes version-4 UUIDs, all different, across many pool refills", () => {
    const ids = Array.from({ length: 5000 }, newRunId);
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("spreads its hex digits evenly (random, not a counter)", () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 2000; i += 1)
      for (const digit of newRunId().replaceAll("-", "").slice(13))
        // after the version digit
        counts.set(digit, (counts.get(digit) ?? 0) + 1);
    expect(counts.size).toBe(16);
    // 2000 ids × 19 digits: about 2375 each (the variant digit skews four of them a little).
    for (const count of counts.values()) expect(count).toBeGreaterThan(1700);
  });
});
