// Profiling aid, not part of `npm run bench`: runs only the manifest side of the throughput
// workload so a CPU profile shows hirewire's overhead alone. Usage:
//   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/profile.ts [runs]
import { startTargetProcess } from "./child.ts";
import { manifestRunner, runPool } from "./workload.ts";

const runs = Number(process.argv[2] ?? 6000);
const target = await startTargetProcess();
const one = await manifestRunner(target.url, 2, 0.001);
await runPool(one, 500, 50);
const { ms } = await runPool(one, runs, 50);
console.log(`${runs} runs in ${Math.round(ms)} ms: ${Math.round((runs / ms) * 1000)} runs/s`);
target.child.kill();
