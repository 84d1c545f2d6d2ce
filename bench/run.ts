// `npm run bench`: runs each part in a child process of its own, one after another, and prints a
// table. Ratios compare with a baseline measured in the same run; nothing here is an assertion.
// `npm run bench` runs it compiled (dist-bench/); `npx tsx bench/run.ts` runs the sources.
//   npm run bench                         every part
//   npm run bench -- --only=throughput    one part (throughput, memory, service, dbos, scale, cold)
//   npm run bench -- --json               the raw results as JSON after the table
import { availableParallelism, loadavg } from "node:os";
import { runChild } from "./child.ts";
import type { ColdStartResult } from "./cold-start.ts";
import type { DbosResult } from "./dbos.ts";
import type { MemoryResult } from "./memory.ts";
import type { ScaleOutResult } from "./scale-out.ts";
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
const env = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);

/** Prints one throughput variant's table. */
function printThroughput(r: ThroughputResult): void {
  const ceiling =
    r.latencyMs > 0
      ? `; one run alone takes ${round(r.soloRunMs)} ms, so at most ${Math.round(r.ceilingRunsPerSec)} runs/s`
      : "";
  console.log(
    `${r.runs} runs per round, concurrency ${r.concurrency}, ${r.requestsPerRun} requests per run (POST create + GET poll ×2), median of ${r.rounds} alternating rounds${ceiling}\n`,
  );
  const side = (name: string, m: ThroughputResult["plain"]) => [
    name,
    Math.round(m.medianRunsPerSec),
    m.runsPerSec.map(Math.round).join(" "),
    Math.round(m.medianCpuUsPerRun),
  ];
  console.log(
    table([
      ["", "runs/s (median)", "rounds", "client CPU µs/run"],
      side("runManifest", r.manifest),
      side("runManifest, prepared manifest", r.prepared),
      side("plain undici loop", r.plain),
      ["ratio (goal ≥ 0.8)", r.ratio.toFixed(2), "", r.cpuRatio.toFixed(2)],
      ["ratio, prepared", r.preparedRatio.toFixed(2), "", r.preparedCpuRatio.toFixed(2)],
    ]),
  );
}

if (wants("throughput")) {
  // Twice: against a target that answers at once (the ratio is then hirewire's CPU per request
  // against a near-free request), and against one that answers `BENCH_LATENCY_MS` late, as a real
  // SaaS API does, with enough runs in flight that the plain loop is bound by the latency.
  const variants = [
    {
      latencyMs: 0,
      runs: env("BENCH_RUNS", 2000),
      concurrency: env("BENCH_CONCURRENCY", 50),
      rounds: env("BENCH_ROUNDS", 5),
    },
    {
      latencyMs: env("BENCH_LATENCY_MS", 20),
      runs: env("BENCH_LATENCY_RUNS", 1000),
      concurrency: env("BENCH_LATENCY_CONCURRENCY", 100),
      rounds: env("BENCH_LATENCY_ROUNDS", 5),
    },
  ].filter((variant, index) => index === 0 || variant.latencyMs > 0);
  const measured: ThroughputResult[] = [];
  for (const v of variants) {
    console.log(
      `\n[1a] throughput, target latency ${v.latencyMs} ms: runManifest vs a plain undici loop sending the same requests …`,
    );
    const began = performance.now();
    const r = await runChild<ThroughputResult>("throughput.ts", [
      String(v.latencyMs),
      String(v.runs),
      String(v.concurrency),
      String(v.rounds),
    ]);
    measured.push(r);
    printThroughput(r);
    console.log(`(${round((performance.now() - began) / 1000)} s)`);
  }
  results.throughput = measured;
  if (measured.length > 1) {
    console.log(
      "\n[1a] side by side (ratio = runManifest ÷ plain loop; by CPU = plain ÷ runManifest)\n",
    );
    const row = (name: string, pick: (r: ThroughputResult) => string | number) => [
      name,
      ...measured.map(pick),
    ];
    console.log(
      table([
        ["", ...measured.map((r) => `${r.latencyMs} ms, c=${r.concurrency}`)],
        row("ratio runs/s", (r) => r.ratio.toFixed(2)),
        row("ratio runs/s, prepared", (r) => r.preparedRatio.toFixed(2)),
        row("ratio by CPU", (r) => r.cpuRatio.toFixed(2)),
        row("ratio by CPU, prepared", (r) => r.preparedCpuRatio.toFixed(2)),
        row("runManifest client CPU µs/run", (r) => Math.round(r.manifest.medianCpuUsPerRun)),
        row("prepared client CPU µs/run", (r) => Math.round(r.prepared.medianCpuUsPerRun)),
        row("plain loop client CPU µs/run", (r) => Math.round(r.plain.medianCpuUsPerRun)),
        row("plain loop, share of latency ceiling", (r) =>
          r.latencyMs > 0
            ? `${Math.round((100 * r.plain.medianRunsPerSec) / r.ceilingRunsPerSec)} %`
            : "",
        ),
      ]),
    );
  }
}

if (wants("memory")) {
  // Twice: the usual 2,000 runs, and 10,000 (BENCH_MEMORY_LARGE_RUNS; 0 skips it).
  const sizes = [env("BENCH_MEMORY_RUNS", 2000), env("BENCH_MEMORY_LARGE_RUNS", 10000)].filter(
    (runs) => runs > 0,
  );
  const measured: Record<
    string,
    { manifest: MemoryResult; prepared: MemoryResult; plain: MemoryResult }
  > = {};
  for (const [index, runs] of sizes.entries()) {
    const goal = index === 0 ? 190 : 450;
    console.log(
      `\n[1b] memory: ${runs.toLocaleString("en")} runs polling at once (5 polls, 1 s apart), RSS sampled every 25 ms …`,
    );
    const manifest = await runChild<MemoryResult>("memory.ts", ["manifest", String(runs)]);
    const prepared = await runChild<MemoryResult>("memory.ts", ["prepared", String(runs)]);
    const plain = await runChild<MemoryResult>("memory.ts", ["plain", String(runs)]);
    measured[String(runs)] = { manifest, prepared, plain };
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
        [
          "",
          "baseline RSS MB",
          `peak RSS MB (goal < ${goal})`,
          "growth MB",
          "peak heap MB",
          "seconds",
        ],
        row("runManifest", manifest),
        row("runManifest, prepared manifest", prepared),
        row("plain undici loop (reference)", plain),
      ]),
    );
  }
  results.memory = measured;
}

let service: ServiceResult | undefined;
/** Part 2 again with the triggers sent through a pool of keep-alive connections. */
let pooled: ServiceResult | undefined;
if (wants("service") || wants("dbos")) {
  console.log(
    "\n[2] service: 1,000 runs triggered at once through POST /api/runs (SQLite store), a connection per trigger …",
  );
  const r = await runChild<ServiceResult>("service.ts");
  results.service = r;
  service = r;
  console.log(
    `${r.succeeded}/${r.runs} succeeded in ${round(r.seconds)} s: ${round(r.runsPerSec)} runs/s (all 202s after ${round(r.triggerSeconds)} s, the client's CPU meanwhile ${Math.round(r.clientTriggerCpuMs)} ms); time to finish p50 ${Math.round(r.finishP50)} ms, p99 ${Math.round(r.finishP99)} ms\n`,
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
  const pool = env("BENCH_SERVICE_POOL", 64);
  if (pool > 0) {
    console.log(
      `\n[2b] service: the same burst through a pool of ${pool} keep-alive connections (as Part 5's client) …`,
    );
    const p = await runChild<ServiceResult>("service.ts", [String(pool)]);
    results.servicePooled = p;
    pooled = p;
    console.log(
      `${p.succeeded}/${p.runs} succeeded in ${round(p.seconds)} s: ${round(p.runsPerSec)} runs/s (all 202s after ${round(p.triggerSeconds)} s, the client's CPU meanwhile ${Math.round(p.clientTriggerCpuMs)} ms); time to finish p50 ${Math.round(p.finishP50)} ms, p99 ${Math.round(p.finishP99)} ms; API p99 while loaded ${round(p.loaded.p99)} ms`,
    );
  }
}

if (wants("dbos") && service !== undefined) {
  // The same burst as Part 2, as a DBOS Transact workflow of three checkpointed HTTP steps on
  // PostgreSQL. It runs after Part 2, so the two are measured under the same load.
  const runs = env("BENCH_SERVICE_RUNS", 1000);
  console.log(
    `\n[4] DBOS Transact: ${runs.toLocaleString("en")} workflows (POST + GET ×2, each a step; durable 1 ms sleep between polls) started at once, PostgreSQL …`,
  );
  try {
    const d = await runChild<DbosResult>("dbos.ts");
    results.dbos = d;
    const s = service;
    console.log(`@dbos-inc/dbos-sdk ${d.version}; ${d.succeeded}/${d.runs} succeeded\n`);
    console.log(
      table([
        ["", "runs/s", "all accepted after s", "finish p50 ms", "finish p99 ms"],
        ...[
          ["hirewire service (SQLite), a connection per trigger", s] as const,
          ...(pooled !== undefined
            ? [
                [
                  `hirewire service (SQLite), ${String(pooled.connections)} connections`,
                  pooled,
                ] as const,
              ]
            : []),
        ].map(([name, r]) => [
          name,
          round(r.runsPerSec),
          round(r.triggerSeconds, 2),
          Math.round(r.finishP50),
          Math.round(r.finishP99),
        ]),
        [
          "DBOS Transact (PostgreSQL)",
          round(d.runsPerSec),
          round(d.triggerSeconds, 2),
          Math.round(d.finishP50),
          Math.round(d.finishP99),
        ],
        ...[
          ["ratio ÷ DBOS, a connection per trigger (goal runs/s ≥ 2)", s] as const,
          ...(pooled !== undefined
            ? [[`ratio ÷ DBOS, ${String(pooled.connections)} connections`, pooled] as const]
            : []),
        ].map(([name, r]) => [
          name,
          (r.runsPerSec / d.runsPerSec).toFixed(2),
          (r.triggerSeconds / d.triggerSeconds).toFixed(2),
          (r.finishP50 / d.finishP50).toFixed(2),
          (r.finishP99 / d.finishP99).toFixed(2),
        ]),
      ]),
    );
  } catch (error) {
    // No PostgreSQL, or DBOS would not start: say why and go on with the other parts.
    const message = error instanceof Error ? error.message : String(error);
    console.log(`DBOS part skipped: ${message.split("\n")[0]}`);
    results.dbos = { error: message };
  }
}

if (wants("scale")) {
  // Real `hirewire` processes as an operator runs them: SQLite, then PostgreSQL with 1, 2 and 4
  // worker processes, beside DBOS Transact on the same PostgreSQL (Part 4's figure when it ran in
  // this invocation, else measured here).
  const runs = env("BENCH_SCALE_RUNS", 1000);
  console.log(
    `\n[5] scale-out: ${runs.toLocaleString("en")} runs triggered at once through the API of real hirewire processes (SQLite; PostgreSQL with 1, 2, 4 workers) …`,
  );
  try {
    const r = await runChild<ScaleOutResult>("scale-out.ts");
    results.scale = r;
    let dbos = results.dbos as DbosResult | { error: string } | undefined;
    if (dbos === undefined) {
      try {
        // Its run count is BENCH_SERVICE_RUNS (1,000, as BENCH_SCALE_RUNS).
        dbos = await runChild<DbosResult>("dbos.ts");
      } catch (error) {
        dbos = { error: error instanceof Error ? error.message : String(error) };
      }
      results.dbos = dbos;
    }
    const reference = dbos !== undefined && "runsPerSec" in dbos ? dbos.runsPerSec : undefined;
    const rows = r.setups.map((setup) => [
      setup.name,
      `${setup.succeeded}/${setup.runs}`,
      round(setup.runsPerSec),
      round(setup.triggerSeconds, 2),
      Math.round(setup.finishP50),
      Math.round(setup.finishP99),
      `${Math.round(setup.machineBusy * 100)} %`,
      reference !== undefined ? (setup.runsPerSec / reference).toFixed(2) : "",
    ]);
    if (dbos !== undefined && "runsPerSec" in dbos)
      rows.push([
        `DBOS Transact ${dbos.version} (PostgreSQL)`,
        `${dbos.succeeded}/${dbos.runs}`,
        round(dbos.runsPerSec),
        round(dbos.triggerSeconds, 2),
        Math.round(dbos.finishP50),
        Math.round(dbos.finishP99),
        dbos.machineBusy !== undefined ? `${Math.round(dbos.machineBusy * 100)} %` : "",
        "1.00",
      ]);
    console.log(
      table([
        [
          "",
          "succeeded",
          "runs/s",
          "all accepted after s",
          "finish p50 ms",
          "finish p99 ms",
          "CPU busy (all cores)",
          "÷ DBOS runs/s",
        ],
        ...rows,
      ]),
    );
    if (dbos !== undefined && "error" in dbos)
      console.log(`DBOS not measured: ${dbos.error.split("\n")[0]}`);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.log(`scale-out part skipped: ${message.split("\n")[0]}`);
    results.scale = { error: message };
  }
}

if (wants("cold")) {
  console.log(
    "\n[3] cold start: `hirewire run` (one POST) vs a plain node script doing the same fetch, one process each …",
  );
  const r = await runChild<ColdStartResult>("cold-start.ts");
  results.cold = r;
  const row = (name: string, m: ColdStartResult["plain"]) => [
    name,
    Math.round(m.wallMs),
    Math.round(m.cpuMs),
    `${Math.round(Math.min(...m.wall))}–${Math.round(Math.max(...m.wall))}`,
  ];
  console.log(`median of ${r.spawns} spawns each, alternating\n`);
  console.log(
    table([
      ["", "wall ms (median)", "CPU ms (median)", "wall range"],
      row("hirewire run", r.hirewire),
      row("plain node script (fetch)", r.plain),
      row("node -e '' (the floor)", r.empty),
      ["ratio (goal ≤ 1.5)", r.ratio.toFixed(2), r.cpuRatio.toFixed(2), ""],
    ]),
  );
}

console.log(`\nload average at the end: ${load()}`);
if (args.includes("--json")) console.log(JSON.stringify(results, null, 2));
