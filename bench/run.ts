// `npm run bench`: runs each part in a child process of its own, one after another, and prints a
// table. Ratios compare with a baseline measured in the same run; nothing here is an assertion.
// `npm run bench` runs it compiled (dist-bench/); `npx tsx bench/run.ts` runs the sources.
//   npm run bench                         every part
//   npm run bench -- --only=throughput    one part (throughput, memory, service)
//   npm run bench -- --json               the raw results as JSON after the table
import { availableParallelism, loadavg } from "node:os";
import { runChild } from "./child.ts";
import type { MemoryResult } from "./memory.ts";
import type { ServiceResult } from "./service.ts";
import { mb, round, table } from "./stats.ts";
import type { ThroughputResult } from "./throughput.ts";

const args = process.argv.slice(2);
const only = args.find((arg) => arg.startsWith("--only="))?.slice("--only=".length);
const wants = (part: string): boolean => only === undefined || only === part;

const load = (): string =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(" ");
const code = import.meta.url.endsWith(".ts") ? "sources through tsx" : "compiled JS";
console.log(
  `hirewire bench — ${new Date().toISOString()} — node ${process.version}, ${availableParallelism()} cores, load ${load()}, ${code}`,
);

const results: Record<string, unknown> = {};

if (wants("throughput")) {
  console.log("\n[1a] throughput: runManifest vs a plain undici loop sending the same requests …");
  const r = await runChild<ThroughputResult>("throughput.ts");
  results.throughput = r;
  console.log(
    `${r.runs} runs per round, concurrency ${r.concurrency}, ${r.requestsPerRun} requests per run (POST create + GET poll ×2), median of ${r.rounds} alternating rounds\n`,
  );
  console.log(
    table([
      ["", "runs/s (median)", "rounds", "client CPU µs/run"],
      [
        "runManifest",
        Math.round(r.manifest.medianRunsPerSec),
        r.manifest.runsPerSec.map(Math.round).join(" "),
        Math.round(r.manifest.medianCpuUsPerRun),
      ],
      [
        "runManifest, prepared manifest",
        Math.round(r.prepared.medianRunsPerSec),
        r.prepared.runsPerSec.map(Math.round).join(" "),
        Math.round(r.prepared.medianCpuUsPerRun),
      ],
      [
        "plain undici loop",
        Math.round(r.plain.medianRunsPerSec),
        r.plain.runsPerSec.map(Math.round).join(" "),
        Math.round(r.plain.medianCpuUsPerRun),
      ],
      ["ratio (goal ≥ 0.8)", r.ratio.toFixed(2), "", r.cpuRatio.toFixed(2)],
      ["ratio, prepared", r.preparedRatio.toFixed(2), "", r.preparedCpuRatio.toFixed(2)],
    ]),
  );
}

if (wants("memory")) {
  console.log(
    "\n[1b] memory: 2,000 runs polling at once (5 polls, 1 s apart), RSS sampled every 25 ms …",
  );
  const manifest = await runChild<MemoryResult>("memory.ts", ["manifest"]);
  const prepared = await runChild<MemoryResult>("memory.ts", ["prepared"]);
  const plain = await runChild<MemoryResult>("memory.ts", ["plain"]);
  results.memory = { manifest, prepared, plain };
  const row = (name: string, m: MemoryResult) => [
    name,
    mb(m.baselineRss),
    mb(m.peakRss),
    mb(m.peakRss - m.baselineRss),
    mb(m.peakHeapUsed),
    round(m.seconds),
  ];
  console.log(
    table([
      ["", "baseline RSS MB", "peak RSS MB (goal < 200)", "growth MB", "peak heap MB", "seconds"],
      row("runManifest", manifest),
      row("runManifest, prepared manifest", prepared),
      row("plain undici loop (reference)", plain),
    ]),
  );
}

if (wants("service")) {
  console.log(
    "\n[2] service: 1,000 runs triggered at once through POST /api/runs (SQLite store) …",
  );
  const r = await runChild<ServiceResult>("service.ts");
  results.service = r;
  console.log(
    `${r.succeeded}/${r.runs} succeeded in ${round(r.seconds)} s: ${round(r.runsPerSec)} runs/s (all 202s after ${round(r.triggerSeconds)} s)\n`,
  );
  const row = (name: string, l: ServiceResult["idle"]) => [
    name,
    l.samples,
    round(l.p50),
    round(l.p99),
    round(l.max),
  ];
  console.log(
    table([
      ["API latency (GET /api/runs/:id + /healthz)", "samples", "p50 ms", "p99 ms", "max ms"],
      row("idle", r.idle),
      row("while the 1,000 runs run", r.loaded),
      ["p99 ratio loaded / idle", "", "", round(r.loaded.p99 / r.idle.p99), ""],
    ]),
  );
  console.log("");
  console.log(
    table([
      ["service event-loop delay", "p50 ms", "p99 ms", "max ms"],
      ["idle", round(r.idleDelay.p50), round(r.idleDelay.p99), round(r.idleDelay.max)],
      [
        "while the 1,000 runs run",
        round(r.loadedDelay.p50),
        round(r.loadedDelay.p99),
        round(r.loadedDelay.max),
      ],
    ]),
  );
}

console.log(`\nload average at the end: ${load()}`);
if (args.includes("--json")) console.log(JSON.stringify(results, null, 2));
