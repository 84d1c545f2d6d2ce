// Part 1a (child process): runs/s of `runManifest` (given the raw manifest, and a prepared one)
// against a plain undici loop sending the same requests, all in this process against the target
// in another. Warm-up first, then rounds that rotate which side goes first; medians are
// reported, with client CPU time per run. Arguments (the parent resolves the BENCH_* knobs):
// target latency ms, runs per round, concurrency, rounds.
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
  /** The target's delay before every answer, in ms (0: answers at once). */
  latencyMs: number;
  runs: number;
  concurrency: number;
  requestsPerRun: number;
  rounds: number;
  /** Median wall-clock ms of one plain run with nothing else in flight. */
  soloRunMs: number;
  /**
   * `concurrency` runs per `soloRunMs`: the most runs/s the pool could reach if the target's
   * latency were the only limit. A side near it is latency-bound; far below it, CPU-bound.
   */
  ceilingRunsPerSec: number;
  manifest: SideResult;
  /** The same, with the manifest validated once by `prepareManifest`. */
  prepared: SideResult;
  plain: SideResult;
  /** Median manifest runs/s over median plain runs/s. */
  ratio: number;
  /** Median plain CPU per run over median manifest CPU per run (the same ratio, by CPU). */
  cpuRatio: number;
  preparedRatio: number;
  preparedCpuRatio: number;
}

type Side = "manifest" | "prepared" | "plain";

const arg = (index: number, fallback: number): number =>
  Number(process.argv[2 + index] ?? fallback);
const LATENCY_MS = arg(0, 0);
const RUNS = arg(1, 2000);
const CONCURRENCY = arg(2, 50);
const ROUNDS = arg(3, 5);
const SOLO_RUNS = 15;
const POLLS = 2;
const INTERVAL = 0.001;

await reportToParent(async (): Promise<ThroughputResult> => {
  const target = await startTargetProcess(LATENCY_MS);
  try {
    const sides: Record<Side, () => Promise<void>> = {
      manifest: await manifestRunner(target.url, POLLS, INTERVAL),
      prepared: await manifestRunner(target.url, POLLS, INTERVAL, true),
      plain: plainRunner(target.url, POLLS, INTERVAL),
    };
    // Warm-up: JIT, connection pools and the target's sockets, at full concurrency.
    await runPool(sides.plain, RUNS / 2, CONCURRENCY);
    await runPool(sides.manifest, RUNS / 2, CONCURRENCY);
    await runPool(sides.prepared, RUNS / 2, CONCURRENCY);
    // Measured rather than computed from the latency: timers fire late and loopback is not free.
    const solo: number[] = [];
    for (let run = 0; run < SOLO_RUNS; run += 1) solo.push((await runPool(sides.plain, 1, 1)).ms);
    const soloRunMs = median(solo);
    const rates: Record<Side, number[]> = { manifest: [], prepared: [], plain: [] };
    const cpu: Record<Side, number[]> = { manifest: [], prepared: [], plain: [] };
    const orders: Side[][] = [
      ["manifest", "prepared", "plain"],
      ["plain", "prepared", "manifest"],
      ["prepared", "plain", "manifest"],
    ];
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const side of orders[round % orders.length]!) {
        const timing = await runPool(sides[side], RUNS, CONCURRENCY);
        rates[side].push((RUNS / timing.ms) * 1000);
        cpu[side].push(timing.cpuUs / RUNS);
      }
    }
    const summary = (side: Side): SideResult => ({
      runsPerSec: rates[side],
      cpuUsPerRun: cpu[side],
      medianRunsPerSec: median(rates[side]),
      medianCpuUsPerRun: median(cpu[side]),
    });
    const manifest = summary("manifest");
    const prepared = summary("prepared");
    const plain = summary("plain");
    return {
      latencyMs: LATENCY_MS,
      runs: RUNS,
      concurrency: CONCURRENCY,
      requestsPerRun: 1 + POLLS,
      rounds: ROUNDS,
      soloRunMs,
      ceilingRunsPerSec: (CONCURRENCY * 1000) / soloRunMs,
      manifest,
      prepared,
      plain,
      ratio: manifest.medianRunsPerSec / plain.medianRunsPerSec,
      cpuRatio: plain.medianCpuUsPerRun / manifest.medianCpuUsPerRun,
      preparedRatio: prepared.medianRunsPerSec / plain.medianRunsPerSec,
      preparedCpuRatio: plain.medianCpuUsPerRun / prepared.medianCpuUsPerRun,
    };
  } finally {
    target.child.kill();
  }
});
