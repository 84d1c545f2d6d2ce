// The shared deadlines with real timers: each item expires once, between its deadline and one
// resolution after it; a disarmed one never does; nothing stays armed afterwards.
import { describe, expect, it } from "vitest";
import { Deadlines, RESOLUTION_MS, type Expiring } from "./deadlines.ts";

function item(log: Array<{ name: string; at: number }>, name: string): Expiring {
  return {
    deadlineBucket: -1,
    deadlineIndex: 0,
    expireDeadline: () => log.push({ name, at: performance.now() }),
  };
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("Deadlines", () => {
  it("expires each item once, no earlier than its deadline and at most a resolution later", async () => {
    const deadlines = new Deadlines();
    const log: Array<{ name: string; at: number }> = [];
    const start = performance.now();
    const late = item(log, "late");
    const early = item(log, "early");
    const gone = item(log, "gone");
    const same = item(log, "same");
    deadlines.arm(late, 450);
    deadlines.arm(early, 120);
    deadlines.arm(gone, 120);
    deadlines.arm(same, 125);
    expect(deadlines.pending).toBe(4);
    deadlines.disarm(gone);
    deadlines.disarm(gone);
    expect(deadlines.pending).toBe(3);
    await settle(700);
    expect(log.map((entry) => entry.name).sort()).toEqual(["early", "late", "same"]);
    const waited = (name: string) => log.find((entry) => entry.name === name)!.at - start;
    for (const [name, ms] of [
      ["early", 120],
      ["same", 125],
      ["late", 450],
    ] as const) {
      expect(waited(name)).toBeGreaterThanOrEqual(ms - 1);
      expect(waited(name)).toBeLessThan(ms + RESOLUTION_MS + 60);
    }
    expect(deadlines.pending).toBe(0);
    // Disarming after expiry changes nothing.
    deadlines.disarm(early);
    expect(deadlines.pending).toBe(0);
  });

  it("keeps the right items when many are disarmed out of order (a swap takes each place)", async () => {
    const deadlines = new Deadlines();
    const log: Array<{ name: string; at: number }> = [];
    const items = Array.from({ length: 200 }, (_, i) => item(log, String(i)));
    for (const each of items) deadlines.arm(each, 150);
    // Every item whose number is not a multiple of 7 ends before its deadline.
    for (let i = items.length - 1; i >= 0; i -= 2) if (i % 7 !== 0) deadlines.disarm(items[i]!);
    for (let i = 0; i < items.length; i += 2) if (i % 7 !== 0) deadlines.disarm(items[i]!);
    await settle(400);
    const expected = items.map((_, i) => i).filter((i) => i % 7 === 0);
    expect(log.map((entry) => Number(entry.name)).sort((a, b) => a - b)).toEqual(expected);
    expect(deadlines.pending).toBe(0);
  });

  it("fires for a deadline armed earlier than the one the timer waits for", async () => {
    const deadlines = new Deadlines();
    const log: Array<{ name: string; at: number }> = [];
    const start = performance.now();
    deadlines.arm(item(log, "long"), 600);
    deadlines.arm(item(log, "short"), 100);
    await settle(300);
    expect(log.map((entry) => entry.name)).toEqual(["short"]);
    expect(log[0]!.at - start).toBeLessThan(100 + RESOLUTION_MS + 60);
    await settle(500);
    expect(log.map((entry) => entry.name)).toEqual(["short", "long"]);
  });

  it("waits for a deadline beyond a Node timer's longest delay without firing early", async () => {
    const deadlines = new Deadlines();
    const log: Array<{ name: string; at: number }> = [];
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on("warning", onWarning);
    try {
      const far = item(log, "far");
      deadlines.arm(far, 40 * 24 * 3600 * 1000);
      await settle(150);
      expect(log).toEqual([]);
      expect(deadlines.pending).toBe(1);
      deadlines.disarm(far);
      expect(deadlines.pending).toBe(0);
      expect(warnings).not.toContain("TimeoutOverflowWarning");
    } finally {
      process.off("warning", onWarning);
    }
  });
});
