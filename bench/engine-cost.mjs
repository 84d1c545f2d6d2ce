// What the engine and the driver alone spend per run of the bench workload (not run by
// `npm run bench`): `prepareRun` + `driveRun` with a sender that answers from memory (201 with a
// job id, then "pending", then "done"), so no socket, parser or timer is measured — only
// hirewire's own work and the garbage it makes. Build first (`npx tsc -p bench/tsconfig.json`),
// then: node bench/engine-cost.mjs [ROOT] [RUNS]   (ROOT: a checkout whose dist-bench/ to load,
// default this one; CONC=50 runs that many at once, as the throughput part does).
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(process.argv[2] ?? fileURLToPath(new URL("..", import.meta.url)));
const runs = Number(process.argv[3] ?? 20000);
const concurrency = Number(process.env.CONC ?? 50);
const { prepareManifest } = await import(`${root}/dist-bench/src/index.js`);
const { prepareRun } = await import(`${root}/dist-bench/src/runner/lifecycle.js`);
const { driveRun } = await import(`${root}/dist-bench/src/runner/drive.js`);
const { benchManifest, HIRE, TOKEN } = await import(`${root}/dist-bench/bench/workload.js`);

const manifest = prepareManifest(benchManifest(2, 0.001));
const headers = {
  "content-type": "application/json",
  "content-length": "20",
  date: "Mon, 30 Nov 2026 01:00:00 GMT",
  connection: "keep-alive",
  "keep-alive": "timeout=5",
};
const polls = new Map();
let jobs = 0;
function answer(request) {
  const response = (status, text) => ({
    type: "response",
    response: { status, headers, text, json: JSON.parse(text), url: request.url },
    durationMs: 1,
    redirects: [],
  });
  if (request.method === "POST") return response(201, `{"id":"job-${++jobs}"}`);
  const id = request.url.slice(request.url.lastIndexOf("/") + 1);
  const seen = (polls.get(id) ?? 0) + 1;
  if (seen < 2) polls.set(id, seen);
  else polls.delete(id);
  return response(200, seen < 2 ? `{"status":"pending"}` : `{"status":"done"}`);
}

async function one(i) {
  const inputs = { hire: HIRE, secrets: { TOKEN }, params: { BASE_URL: "http://127.0.0.1:9/x" } };
  const prepared = prepareRun(manifest, inputs, { runId: `run-${i}` });
  if (prepared.problems.length > 0) throw new Error(JSON.stringify(prepared.problems));
  const hooks = {
    ctx: prepared.context,
    redactor: prepared.redactor,
    now: Date.now,
    send: async (request) => answer(request),
    checkpoint: async () => {},
    wait: async () => true,
  };
  const result = await driveRun(hooks, prepared.state, { type: "start", now: Date.now() });
  if (result.state.status !== "succeeded") throw new Error(`run ${result.state.status}`);
}

async function pool(total) {
  let next = 0;
  const worker = async () => {
    while (next < total) await one(next++);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

await pool(3000);
const trials = [];
for (let round = 0; round < 5; round++) {
  const cpu = process.cpuUsage();
  await pool(runs);
  const used = process.cpuUsage(cpu);
  trials.push((used.user + used.system) / runs);
}
trials.sort((a, b) => a - b);
console.log(
  `engine + driver CPU per run: median ${trials[2].toFixed(1)} µs (${trials.map((t) => t.toFixed(1)).join(" ")}), ${root}`,
);
