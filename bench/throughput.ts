// Part 1a (child process): runs/s of `runManifest` against a plain undici loop sending the same
// requests, both in this process against the target in another. Warm-up first, then rounds that
// alternate which side goes first; medians are reported, with client CPU time per run.
import { reportToParent, startTargetProcess } from "./child.ts";
import { median } from "./stats.ts";
import { manifestRunner, plainRunner, runPool } from "./workload.ts";

export interface SideResult {
  /** Runs per second, one per round. */
  runsPerSec: number[];
  /** Client CPU microseconds per run, one per round. */
  cpuUsPerRun: number[];
  medianRunsPerSec: number;
  medianCpuUsPerRun: number;
}

export interface ThroughputResult {
  runs: number;
  concurrency: number;
  requestsPerRun: number;
  rounds: number;
  manifest: SideResult;
  plain: SideResult;
  /** Median manifest runs/s over median plain runs/s. */
  ratio: number;
  /** Median plain CPU per run over median manifest CPU per run (the same ratio, by CPU). */
  cpuRatio: number;
}

const env = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const RUNS = env("BENCH_RUNS", 2000);
const CONCURRENCY = env("BENCH_CONCURRENCY", 50);
const ROUNDS = env("BENCH_ROUNDS", 5);
const POLLS = 2;
const INTERVAL = 0.001;

await reportToParent(async (): Promise<ThroughputResult> => {
  const target = await startTargetProcess();
  try {
    const sides = {
      manifest: await manifestRunner(target.url, POLLS, INTERVAL),
      plain: plainRunner(target.url, POLLS, INTERVAL),
    };
    // Warm-up: JIT, connection pools and the target's sockets, at full concurrency.
    await runPool(sides.plain, RUNS / 2, CONCURRENCY);
    await runPool(sides.manifest, RUNS / 2, CONCURRENCY);
    const rates = { manifest: [] as number[], plain: [] as number[] };
    const cpu = { manifest: [] as number[], plain: [] as number[] };
    for (let round = 0; round < ROUNDS; round += 1) {
      const order =
        round % 2 === 0 ? (["manifest", "plain"] as const) : (["plain", "manifest"] as const);
      for (const side of order) {
        const timing = await runPool(sides[side], RUNS, CONCURRENCY);
        rates[side].push((RUNS / timing.ms) * 1000);
        cpu[side].push(timing.cpuUs / RUNS);
      }
    }
    const summary = (side: "manifest" | "plain"): SideResult => ({
      runsPerSec: rates[side],
      cpuUsPerRun: cpu[side],
      medianRunsPerSec: median(rates[side]),
      medianCpuUsPerRun: median(cpu[side]),
    });
    const manifest = summary("manifest");
    const plain = summary("plain");
    return {
      runs: RUNS,
      concurrency: CONCURRENCY,
      requestsPerRun: 1 + POLLS,
      rounds: ROUNDS,
      manifest,
      plain,
      ratio: manifest.medianRunsPerSec / plain.medianRunsPerSec,
      cpuRatio: plain.medianCpuUsPerRun / manifest.medianCpuUsPerRun,
    };
  } finally {
    target.child.kill();
  }
});
