// Part 3 (child process of its own): the cold start of one `hirewire run` process. Spawns
// `node bin/hirewire.js run MANIFEST --hire … --secrets …` (one POST to the bench target) and a
// plain node script sending the same request with fetch, alternately, N times each, and reports
// the medians of wall time and CPU (user + system, read by a tiny --import hook at exit) and their
// ratio. An empty `node -e ""` is the floor both pay. bin/hirewire.js runs dist/: build it first.
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { reportToParent, startTargetProcess } from "./child.ts";
import { median } from "./stats.ts";

/** Medians of one side's spawns. */
export interface ColdSide {
  wallMs: number;
  cpuMs: number;
  wall: number[];
}

export interface ColdStartResult {
  spawns: number;
  hirewire: ColdSide;
  plain: ColdSide;
  empty: ColdSide;
  ratio: number;
  cpuRatio: number;
}

const SPAWNS = Number(process.env.BENCH_COLD_RUNS ?? 15);
// dist-bench/bench/cold-start.js and bench/cold-start.ts: the package root is two or one up.
const ROOT = fileURLToPath(
  new URL(import.meta.url.endsWith(".ts") ? "../" : "../../", import.meta.url),
);
const BIN = join(ROOT, "bin", "hirewire.js");

const CPU_HOOK = `process.on("exit", () => {
  const { user, system } = process.cpuUsage();
  process.stderr.write("\\ncpu-us " + (user + system) + "\\n");
});\n`;

/** The same request the manifest's one step sends, by hand. */
const plainScript = (url: string, token: string): string => `
const response = await fetch(${JSON.stringify(`${url}/jobs`)}, {
  method: "POST",
  headers: { authorization: ${JSON.stringify(`Bearer ${token}`)}, "content-type": "application/json" },
  body: JSON.stringify({ polls: 0, email: "ada@example.com" }),
});
if (response.status !== 201) throw new Error("status " + response.status);
console.log("JOB_ID", (await response.json()).id);
`;

/** Spawns one process; its wall time and the CPU it reported. Throws when it fails. */
function timed(args: string[]): Promise<{ wallMs: number; cpuMs: number }> {
  return new Promise((resolve, reject) => {
    const began = performance.now();
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: "1" },
    });
    let stderr = "";
    child.stdout.resume();
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("close", (code) => {
      const wallMs = performance.now() - began;
      const cpu = /cpu-us (\d+)/.exec(stderr);
      if (stderr.includes("dist/ is older than src/")) {
        reject(new Error("dist/ is older than src/: run `npm run build` first"));
      } else if (code !== 0 || cpu === null) {
        reject(new Error(`${args.join(" ")} exited with ${code}: ${stderr.trim()}`));
      } else resolve({ wallMs, cpuMs: Number(cpu[1]) / 1000 });
    });
  });
}

function side(samples: Array<{ wallMs: number; cpuMs: number }>): ColdSide {
  const wall = samples.map((s) => s.wallMs);
  return { wallMs: median(wall), cpuMs: median(samples.map((s) => s.cpuMs)), wall };
}

await reportToParent(async (): Promise<ColdStartResult> => {
  const target = await startTargetProcess();
  const dir = await mkdtemp(join(tmpdir(), "hirewire-bench-cold-"));
  try {
    const token = "bench_cold_token_4d3c2b1a";
    const hook = join(dir, "cpu-hook.mjs");
    const plain = join(dir, "plain.mjs");
    await writeFile(hook, CPU_HOOK);
    await writeFile(plain, plainScript(target.url, token));
    await writeFile(join(dir, "hire.json"), JSON.stringify({ email: "ada@example.com" }));
    await writeFile(join(dir, "secrets.env"), `TOKEN=${token}\nBASE_URL=${target.url}\n`);
    await writeFile(
      join(dir, "manifest.json"),
      JSON.stringify({
        form: [],
        execute: [
          {
            url: "{{ BASE_URL }}/jobs",
            method: "POST",
            data: { polls: 0, email: "{{ email }}" },
            headers: { Authorization: "Bearer {{ TOKEN }}", "Content-Type": "application/json" },
            status_code: [201],
            store_data: { JOB_ID: "id" },
          },
        ],
      }),
    );
    const run = [
      "--import",
      hook,
      BIN,
      "run",
      join(dir, "manifest.json"),
      "--hire",
      join(dir, "hire.json"),
      "--secrets",
      join(dir, "secrets.env"),
    ];
    const sides: Record<"hirewire" | "plain" | "empty", string[]> = {
      hirewire: run,
      plain: ["--import", hook, plain],
      empty: ["--import", hook, "-e", ""],
    };
    const names = Object.keys(sides) as Array<keyof typeof sides>;
    // One of each first, unmeasured: warms the disk cache the same way for everyone.
    for (const name of names) await timed(sides[name]);
    const samples = { hirewire: [], plain: [], empty: [] } as Record<
      keyof typeof sides,
      Array<{ wallMs: number; cpuMs: number }>
    >;
    for (let i = 0; i < SPAWNS; i++) {
      for (const name of names) samples[name].push(await timed(sides[name]));
    }
    const hirewire = side(samples.hirewire);
    const plainSide = side(samples.plain);
    return {
      spawns: SPAWNS,
      hirewire,
      plain: plainSide,
      empty: side(samples.empty),
      ratio: hirewire.wallMs / plainSide.wallMs,
      cpuRatio: hirewire.cpuMs / plainSide.cpuMs,
    };
  } finally {
    target.child.kill();
    await rm(dir, { recursive: true, force: true });
  }
});
