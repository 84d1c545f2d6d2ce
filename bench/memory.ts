// Part 1b (child process of its own, so earlier parts cannot inflate it): peak RSS while 2,000
// (or argv[3]) runs poll at once. Every run is started together; each polls 5 times, 1 s apart.
// argv[2] is "manifest" (runManifest on the raw JSON), "prepared" (runManifest on a
// prepareManifest result) or "plain" (the same requests by hand, as a reference).
import { setTimeout as sleep } from "node:timers/promises";
import { reportToParent, startTargetProcess } from "./child.ts";
import { manifestRunner, plainRunner } from "./workload.ts";

export interface MemoryResult {
  side: MemorySide;
  runs: number;
  polls: number;
  intervalSec: number;
  baselineRss: number;
  peakRss: number;
  peakHeapUsed: number;
  seconds: number;
}

const RUNS = Number(process.argv[3] ?? process.env.BENCH_MEMORY_RUNS ?? 2000);
const POLLS = 5;
const WAVE = 1000;
const INTERVAL = 1;
export type MemorySide = "manifest" | "prepared" | "plain";
const SIDE: MemorySide =
  process.argv[2] === "plain" || process.argv[2] === "prepared" ? process.argv[2] : "manifest";

await reportToParent(async (): Promise<MemoryResult> => {
  const target = await startTargetProcess();
  try {
    const runner = (polls: number, interval: number) =>
      SIDE === "plain"
        ? Promise.resolve(plainRunner(target.url, polls, interval))
        : manifestRunner(target.url, polls, interval, SIDE === "prepared");
    const one = await runner(POLLS, INTERVAL);
    // One short run first so the modules and the JIT's first tiers are in the baseline, not the peak.
    await (
      await runner(1, 0.001)
    )();
    const baselineRss = process.memoryUsage().rss;
    let peakRss = baselineRss;
    let peakHeapUsed = process.memoryUsage().heapUsed;
    const sample = (): void => {
      const usage = process.memoryUsage();
      peakRss = Math.max(peakRss, usage.rss);
      peakHeapUsed = Math.max(peakHeapUsed, usage.heapUsed);
    };
    const sampler = setInterval(sample, 25);
    const started = performance.now();
    // Started in waves of 1,000, 100 ms apart: all of them poll at once (a run takes over 4 s),
    // but the target's accept queue is not asked to take 10,000 connections in one go.
    const runs: Array<Promise<void>> = [];
    for (let i = 0; i < RUNS; i += WAVE) {
      if (i > 0) await sleep(100);
      for (let j = i; j < Math.min(RUNS, i + WAVE); j += 1) runs.push(one());
    }
    await Promise.all(runs);
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    sample();
    return {
      side: SIDE,
      runs: RUNS,
      polls: POLLS,
      intervalSec: INTERVAL,
      baselineRss,
      peakRss,
      peakHeapUsed,
      seconds,
    };
  } finally {
    target.child.kill();
  }
});
