// Profiling aid, not part of `npm run bench`: runs only the manifest side of the throughput
// workload so a CPU profile shows hirewire's overhead alone. Usage (after `npm run bench` or
// `npx tsc -p bench/tsconfig.json` compiled it):
//   node --cpu-prof --cpu-prof-dir=/tmp/prof dist-bench/bench/profile.js [runs] [prepared]
// `prepared` validates the manifest once with prepareManifest instead of on every run.
import { startTargetProcess } from "./child.ts";
import { manifestRunner, runPool } from "./workload.ts";

const runs = Number(process.argv[2] ?? 6000);
const prepared = process.argv[3] === "prepared";
const target = await startTargetProcess();
const one = await manifestRunner(target.url, 2, 0.001, prepared);
await runPool(one, 500, 50);
const { ms } = await runPool(one, runs, 50);
console.log(`${runs} runs in ${Math.round(ms)} ms: ${Math.round((runs / ms) * 1000)} runs/s`);
target.child.kill();
