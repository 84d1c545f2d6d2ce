// The bench workload, twice: as a manifest for hirewire and as the same requests written by hand
// against undici. A run creates a job (POST, stores its id) and polls it (GET) until "done".
import { rmSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Agent } from "undici";
import { prepareManifest, runManifest, type RunOptions } from "../src/index.ts";

export const TOKEN = "sk_bench_Zx9Qa7Lm3Np5Qr8";
export const HIRE = {
  email: "ada.lovelace@example.com",
  first_name: "Ada",
  last_name: "Lovelace",
  position: "Analyst",
};

/** The manifest: `polls` GETs per run (the last answers "done"), `interval` seconds apart. */
export function benchManifest(polls: number, interval: number): unknown {
  return {
    headers: { Authorization: "Bearer {{ TOKEN }}", "Content-Type": "application/json" },
    execute: [
      {
        name: "create job",
        url: "{{ BASE_URL }}/jobs",
        method: "POST",
        data: {
          email: "{{ email|lower }}",
          name: "{{ first_name }} {{ last_name }}",
          position: "{{ position }}",
          polls,
        },
        status_code: [201],
        store_data: { JOB_ID: "id" },
      },
      {
        name: "wait for job",
        url: "{{ BASE_URL }}/jobs/{{ JOB_ID }}",
        method: "GET",
        continue_if: { response_notation: "status", value: "done" },
        polling: { interval, amount: polls + 3 },
      },
    ],
  };
}

/**
 * Runs the manifest once; throws unless it succeeded. `prepared` validates it once up front with
 * `prepareManifest` (as the service does per integration version); otherwise every run is given
 * the raw JSON and validates it.
 */
export function manifestRunner(
  baseUrl: string,
  polls: number,
  interval: number,
  prepared = false,
): Promise<() => Promise<void>> {
  const raw = benchManifest(polls, interval);
  const manifest = prepared ? prepareManifest(raw) : raw;
  // One shared files dir: without it every run would mkdtemp a folder of its own, which is
  // measured separately from the per-request overhead this bench is about.
  return mkdtemp(join(tmpdir(), "hirewire-bench-")).then((filesDir) => {
    process.once("exit", () => rmSync(filesDir, { recursive: true, force: true }));
    const options: RunOptions = {
      hire: HIRE,
      secrets: { TOKEN },
      params: { BASE_URL: baseUrl },
      filesDir,
    };
    return async () => {
      const result = await runManifest(manifest, options);
      if (result.status !== "succeeded")
        throw new Error(
          `bench run ${result.status}: ${JSON.stringify(result.error ?? result.problems)}`,
        );
    };
  });
}

/** The same requests by hand: same headers, body bytes, keep-alive Agent, JSON parsing and waits. */
export function plainRunner(baseUrl: string, polls: number, interval: number): () => Promise<void> {
  // hirewire's sender uses one default `new Agent()` per process; so does this loop.
  const agent = new Agent();
  const origin = new URL(baseUrl).origin;
  const headers = ["Authorization", `Bearer ${TOKEN}`, "Content-Type", "application/json"];
  return async () => {
    const body = JSON.stringify({
      email: HIRE.email.toLowerCase(),
      name: `${HIRE.first_name} ${HIRE.last_name}`,
      position: HIRE.position,
      polls,
    });
    const created = await agent.request({ origin, path: "/jobs", method: "POST", headers, body });
    if (created.statusCode !== 201) throw new Error(`create answered ${created.statusCode}`);
    const { id } = JSON.parse(await created.body.text()) as { id: string };
    for (let attempt = 1; attempt <= polls + 3; attempt += 1) {
      const answer = await agent.request({ origin, path: `/jobs/${id}`, method: "GET", headers });
      const { status } = JSON.parse(await answer.body.text()) as { status: string };
      if (answer.statusCode === 200 && status === "done") return;
      await sleep(interval * 1000);
    }
    throw new Error(`job ${id} never finished`);
  };
}

export interface PoolTiming {
  /** Wall-clock milliseconds for all runs. */
  ms: number;
  /** This process's CPU time (user + system) in microseconds: robust to the target competing for cores. */
  cpuUs: number;
}

/** Runs `total` runs of `one`, at most `concurrency` at a time. */
export async function runPool(
  one: () => Promise<void>,
  total: number,
  concurrency: number,
): Promise<PoolTiming> {
  let started = 0;
  const cpu = process.cpuUsage();
  const begin = performance.now();
  const worker = async (): Promise<void> => {
    while (started < total) {
      started += 1;
      await one();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  const ms = performance.now() - begin;
  const used = process.cpuUsage(cpu);
  return { ms, cpuUs: used.user + used.system };
}
