// Part 4 (child process): the same workload as a DBOS Transact workflow, for comparison with the
// service (Part 2). A run is one workflow of three checkpointed HTTP steps against the bench
// target: POST /jobs, then GET /jobs/:id until "done" (twice), with a durable 1 ms sleep between
// polls, as hirewire checkpoints its poll wait. `BENCH_SERVICE_RUNS` (1,000) workflows are
// started at once; DBOS keeps its system database in PostgreSQL (BENCH_DBOS_DATABASE_URL, default
// postgres://postgres@127.0.0.1:5432), in a database this part creates and drops.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import pg from "pg";
import { Agent } from "undici";
import { reportToParent, startTargetProcess } from "./child.ts";
import { machineBusy, machineCpu, percentile } from "./stats.ts";
import { HIRE, TOKEN } from "./workload.ts";

export interface DbosResult {
  runs: number;
  /** Seconds from the first start until the last workflow had finished. */
  seconds: number;
  runsPerSec: number;
  /** Seconds until every `startWorkflow` had returned its handle (the run is recorded). */
  triggerSeconds: number;
  succeeded: number;
  /** Time from the burst's start until each run finished, ms. */
  finishP50: number;
  finishP99: number;
  /** Share of the machine's CPU time (all cores) that was busy during the burst. */
  machineBusy?: number;
  version: string;
}

const RUNS = Number(process.env.BENCH_SERVICE_RUNS ?? 1000);
/** Workflows run before the measured burst: as many as the scale part's warm-up of hirewire. */
const WARM_UP = Number(process.env.BENCH_SCALE_WARMUP ?? 300);
const POLLS = 2;
const SERVER = process.env.BENCH_DBOS_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432";

/** The installed version of a package (its package.json is not among its exports). */
function packageVersion(name: string): string {
  // <package>/dist/src/index.js → <package>/package.json
  const main = createRequire(import.meta.url).resolve(name);
  const file = join(dirname(main), "..", "..", "package.json");
  return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
}

/** A database URL on the same server, for `database`. */
function databaseUrl(database: string): string {
  const url = new URL(SERVER);
  url.pathname = `/${database}`;
  return url.href;
}

await reportToParent(async (): Promise<DbosResult> => {
  const database = `hirewire_bench_dbos_${process.pid}`;
  const admin = new pg.Client({ connectionString: databaseUrl("postgres") });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  const target = await startTargetProcess();
  const agent = new Agent();
  // Imported here: a missing or broken package fails this part with its own message.
  const { DBOS } = await import("@dbos-inc/dbos-sdk");
  const dbosVersion = packageVersion("@dbos-inc/dbos-sdk");
  try {
    const origin = new URL(target.url).origin;
    const headers = ["Authorization", `Bearer ${TOKEN}`, "Content-Type", "application/json"];
    const send = async (
      method: "GET" | "POST",
      path: string,
      body?: string,
    ): Promise<{ status: number; json: { id?: string; status?: string } }> => {
      const answer = await agent.request({
        origin,
        path,
        method,
        headers,
        ...(body !== undefined ? { body } : {}),
      });
      return {
        status: answer.statusCode,
        json: JSON.parse(await answer.body.text()) as { id?: string; status?: string },
      };
    };
    const benchRun = DBOS.registerWorkflow(
      async (email: string): Promise<string> => {
        const body = JSON.stringify({
          email: email.toLowerCase(),
          name: `${HIRE.first_name} ${HIRE.last_name}`,
          position: HIRE.position,
          polls: POLLS,
        });
        const created = await DBOS.runStep(() => send("POST", "/jobs", body), {
          name: "create job",
        });
        if (created.status !== 201) throw new Error(`create answered ${created.status}`);
        const id = created.json.id!;
        for (let attempt = 1; attempt <= POLLS + 3; attempt += 1) {
          const polled = await DBOS.runStep(() => send("GET", `/jobs/${id}`), {
            name: "wait for job",
          });
          if (polled.status === 200 && polled.json.status === "done") return id;
          await DBOS.sleep(1);
        }
        throw new Error(`job ${id} never finished`);
      },
      { name: "benchRun" },
    );
    DBOS.setConfig({
      name: "hirewire-bench",
      systemDatabaseUrl: databaseUrl(database),
      logLevel: "error",
    });
    await DBOS.launch();
    try {
      // Warm-up, as the service part does: a few runs through every path.
      await Promise.all(
        Array.from({ length: WARM_UP }, async (_, i) =>
          (await DBOS.startWorkflow(benchRun)(`warm${i}@example.com`)).getResult(),
        ),
      );
      const started = performance.now();
      const cpuBefore = await machineCpu();
      const finishedAt: number[] = [];
      let succeeded = 0;
      let triggered = 0;
      let triggerSeconds = 0;
      await Promise.all(
        Array.from({ length: RUNS }, async (_, i) => {
          const handle = await DBOS.startWorkflow(benchRun)(`hire${i}@example.com`);
          triggered += 1;
          if (triggered === RUNS) triggerSeconds = (performance.now() - started) / 1000;
          await handle.getResult();
          succeeded += 1;
          finishedAt.push(performance.now() - started);
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      const cpuAfter = await machineCpu();
      return {
        runs: RUNS,
        seconds,
        runsPerSec: RUNS / seconds,
        triggerSeconds,
        succeeded,
        finishP50: percentile(finishedAt, 50),
        finishP99: percentile(finishedAt, 99),
        machineBusy: machineBusy(cpuBefore, cpuAfter),
        version: dbosVersion,
      };
    } finally {
      await DBOS.shutdown();
    }
  } finally {
    target.child.kill();
    await agent.close();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  }
});
