// Part 1b (child process of its own, so earlier parts cannot inflate it): peak RSS while 2,000
// (or argv[3]) runs poll at once. Every run is started together; each polls 5 times, 1 s apart.
// argv[2] is "manifest" (runManifest on the raw JSON), "prepared" (runManifest on a
// prepareManifest result) or "plain" (the same requests by hand, as a reference).
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
    await Promise.all(Array.from({ length: RUNS }, () => one()));
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
