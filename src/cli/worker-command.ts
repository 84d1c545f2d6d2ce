// `hirewire worker`: drives runs from the shared store (PostgreSQL, or the SQLite data dir) with
// no HTTP API, configured from the environment like `serve`, stopped gracefully on SIGTERM/SIGINT.
import { configFromEnv } from "../service/service-config.ts";
import { startWorker } from "../service/worker.ts";
import { stopOnSignals } from "./serve-command.ts";

export async function workerCommand(options: {
  data?: string;
  concurrency?: string;
  metricsPort?: string;
}): Promise<void> {
  const env = { ...process.env };
  if (options.data !== undefined) env.HIREWIRE_DATA = options.data;
  if (options.concurrency !== undefined) env.HIREWIRE_CONCURRENCY = options.concurrency;
  if (options.metricsPort !== undefined) env.HIREWIRE_METRICS_PORT = options.metricsPort;
  const config = configFromEnv(env);
  const worker = await startWorker(config);
  const where = config.databaseUrl !== undefined ? "PostgreSQL" : `data: ${config.dataDir}`;
  process.stdout.write(
    `hirewire worker is running (${where}, concurrency ${config.concurrency})` +
      (worker.metricsUrl !== undefined ? `  metrics: ${worker.metricsUrl}` : "") +
      "\n",
  );
  for (const warning of worker.warnings) process.stderr.write(`\nWARNING: ${warning}\n\n`);
  stopOnSignals(() => worker.close());
}
