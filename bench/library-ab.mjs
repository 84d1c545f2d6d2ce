// Two checkouts side by side in one process (not run by `npm run bench`): `runManifest` of the
// bench workload from checkout A and from checkout B, prepared and raw, and the plain undici loop,
// against one target, rounds interleaved so load changes hit every side alike. Build both
// (`npx tsc -p bench/tsconfig.json` in each), then:
//   node bench/library-ab.mjs ROOT_A ROOT_B [RUNS_PER_ROUND] [ROUNDS]
import { resolve } from "node:path";

const [a, b] = [resolve(process.argv[2]), resolve(process.argv[3])];
const runs = Number(process.argv[4] ?? 2000);
const rounds = Number(process.argv[5] ?? 7);
const { startTargetProcess } = await import(`${a}/dist-bench/bench/child.js`);
const workloadA = await import(`${a}/dist-bench/bench/workload.js`);
const workloadB = await import(`${b}/dist-bench/bench/workload.js`);
const target = await startTargetProcess();
const sides = {
  plain: workloadA.plainRunner(target.url, 2, 0.001),
  A: await workloadA.manifestRunner(target.url, 2, 0.001, true),
  B: await workloadB.manifestRunner(target.url, 2, 0.001, true),
  "A raw": await workloadA.manifestRunner(target.url, 2, 0.001, false),
  "B raw": await workloadB.manifestRunner(target.url, 2, 0.001, false),
};
const names = Object.keys(sides);
for (const side of Object.values(sides)) await workloadA.runPool(side, 1000, 50);
const results = Object.fromEntries(names.map((name) => [name, { cpu: [], rate: [] }]));
for (let round = 0; round < rounds; round++)
  for (let i = 0; i < names.length; i++) {
    const name = names[(i + round) % names.length];
    const timing = await workloadA.runPool(sides[name], runs, 50);
    results[name].cpu.push(timing.cpuUs / runs);
    results[name].rate.push((runs / timing.ms) * 1000);
  }
const median = (values) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)];
const plainCpu = median(results.plain.cpu);
const plainRate = median(results.plain.rate);
console.log(`A = ${a}\nB = ${b}`);
for (const name of names) {
  const cpu = median(results[name].cpu);
  const rate = median(results[name].rate);
  const versus =
    name === "plain"
      ? ""
      : `  extra CPU per request ${((cpu - plainCpu) / 3).toFixed(0)} µs, ratio runs/s ${(rate / plainRate).toFixed(2)}`;
  console.log(`${name.padEnd(6)} CPU ${cpu.toFixed(0)} µs/run, ${rate.toFixed(0)} runs/s${versus}`);
}
target.child.kill();
process.exit(0);
