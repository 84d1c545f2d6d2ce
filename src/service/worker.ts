// `hirewire worker`: a process that only drives runs (and starts scheduled syncs) on the shared
// store, with no API. With HIREWIRE_METRICS_PORT it also answers /metrics and /healthz there.
import type { ServerType } from "@hono/node-server";
import { Hono } from "hono";
import type { Logger } from "pino";
import { serviceLogger } from "./service-logger.ts";
import type { EgressSettings } from "../runner/egress-policy.ts";
import type { Scheduler } from "../runner/scheduler.ts";
import type { Store } from "../store/index.ts";
import { ServiceMetrics } from "./metrics.ts";
import { openConfiguredStore } from "./open-store.ts";
import { createRunWorker } from "./run-worker.ts";
import { listen } from "./serve.ts";
import type { ServiceConfig } from "./service-config.ts";

export interface RunningWorker {
  store: Store;
  scheduler: Scheduler;
  /** Where /metrics is served, when HIREWIRE_METRICS_PORT was given. */
  metricsUrl?: string;
  warnings: string[];
  /** Stops claiming, lets every run being driven reach its checkpoint, closes the store. */
  close(): Promise<void>;
}

export async function startWorker(
  config: ServiceConfig,
  logger: Logger = serviceLogger(config.logLevel),
): Promise<RunningWorker> {
  const { store, files, warnings } = await openConfiguredStore(config, logger);
  const metrics = new ServiceMetrics({ store, role: "worker" });
  const egress: EgressSettings = { blockPrivate: config.egressBlockPrivate === true };
  const publicUrl = config.publicUrl ?? "";
  const worker = createRunWorker({
    config,
    store,
    files,
    egress,
    logger,
    metrics,
    // The API's address: only HIREWIRE_PUBLIC_URL can tell a worker (OAuth `{{ redirect_url }}`).
    redirectUrlFor: (integrationId) => `${publicUrl}/oauth/${integrationId}/callback`,
  });

  let server: ServerType | undefined;
  let metricsUrl: string | undefined;
  if (config.metricsPort !== undefined) {
    const app = new Hono();
    app.get("/healthz", async (c) => {
      const health = await store.health();
      return health.ok ? c.json({ ok: true }) : c.json({ ok: false, reason: health.reason }, 503);
    });
    app.get("/metrics", async (c) => {
      const { body, contentType } = await metrics.render();
      return c.body(body, 200, { "content-type": contentType });
    });
    server = await listen(app, config.host, config.metricsPort);
    const address = server.address();
    const port =
      typeof address === "object" && address !== null ? address.port : config.metricsPort;
    metricsUrl = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}/metrics`;
  }
  worker.start();
  logger.info(
    {
      dataDir: config.dataDir,
      store: config.databaseUrl ? "postgres" : "sqlite",
      concurrency: config.concurrency,
      metricsUrl,
    },
    "hirewire worker is running",
  );

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      if (server !== undefined) {
        const listening = server;
        await new Promise<void>((resolve) => listening.close(() => resolve()));
      }
      await worker.stop();
      await store.close();
    })());
  const running: RunningWorker = { store, scheduler: worker.scheduler, warnings, close };
  if (metricsUrl !== undefined) running.metricsUrl = metricsUrl;
  return running;
}
