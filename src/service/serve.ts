// Starting and stopping the service: the embedded store, the run scheduler, the HTTP API, the web UI,
// the sandbox and the first-start set-up (admin token, secret key, example integrations).
import { isIP } from "node:net";
import { networkInterfaces } from "node:os";
import { createAdaptorServer, type ServerType } from "@hono/node-server";
import { Hono } from "hono";
import type { Logger } from "pino";
import { serviceLogger } from "./service-logger.ts";
import type { EgressSettings } from "../runner/egress-policy.ts";
import type { Scheduler } from "../runner/scheduler.ts";
import type { Store } from "../store/index.ts";
import { createApi } from "./api/index.ts";
import { setUpStart } from "./first-start.ts";
import { ServiceMetrics } from "./metrics.ts";
import { openConfiguredStore } from "./open-store.ts";
import { createRunWorker } from "./run-worker.ts";
import { sandboxApi } from "./sandbox/sandbox-api.ts";
import { pointSandboxAt } from "./sandbox/seed-sandbox.ts";
import type { ServiceConfig } from "./service-config.ts";
import { uiRoutes } from "./ui/index.ts";

export interface RunningService {
  url: string;
  store: Store;
  /** Absent on an API-only process (`--no-worker`). */
  scheduler?: Scheduler;
  /** Problems found at start that the operator must act on (e.g. a lost secret key). */
  warnings: string[];
  /** The admin token created on this start because no token was left (shown once), if one was. */
  createdAdminToken?: string;
  close(): Promise<void>;
}

export async function startService(
  config: ServiceConfig,
  logger: Logger = serviceLogger(config.logLevel),
): Promise<RunningService> {
  const { store, files, warnings } = await openConfiguredStore(config, logger);
  const withWorker = config.worker !== false;
  const metrics = new ServiceMetrics({ store, role: withWorker ? "all" : "api" });
  const { admin, sandbox } = await setUpStart(store, {
    sandbox: config.sandbox,
    ...(config.adminToken !== undefined ? { adminToken: config.adminToken } : {}),
  });
  if (admin.envRevoked === true)
    logger.error(
      "HIREWIRE_ADMIN_TOKEN holds a token that was revoked; it is not accepted: set a new one",
    );

  let publicUrl = config.publicUrl ?? "";
  // Completed with the port once the server listens, before any run or API request is handled.
  const egress: EgressSettings = { blockPrivate: config.egressBlockPrivate === true };
  const worker = withWorker
    ? createRunWorker({
        config,
        store,
        files,
        egress,
        logger,
        metrics,
        redirectUrlFor: (integrationId) => `${publicUrl}/oauth/${integrationId}/callback`,
      })
    : undefined;

  const app = new Hono();
  // Cheap enough to poll: damage any query has seen, every table present and readable.
  app.get("/healthz", async (c) => {
    const health = await store.health();
    return health.ok ? c.json({ ok: true }) : c.json({ ok: false, reason: health.reason }, 503);
  });
  // No token: only counts by status, outcome and route pattern (see metrics.ts).
  app.get("/metrics", async (c) => {
    const { body, contentType } = await metrics.render();
    return c.body(body, 200, { "content-type": contentType });
  });
  app.use("*", metrics.httpMiddleware());
  app.use("*", async (c, next) => {
    const started = performance.now();
    await next();
    // Method, path and status only: bodies and headers may carry secrets.
    logger.info(
      {
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round(performance.now() - started),
      },
      "request",
    );
  });
  if (sandbox !== undefined) app.route("/sandbox/api", sandboxApi({ credential: sandbox, store }));
  app.route("/", uiRoutes({ onMissingBundle: (message) => logger.warn(message) }));
  app.route(
    "/",
    createApi({
      store,
      files,
      egress,
      notify: () => worker?.scheduler.notify(),
      oauthCallbackUrl: (integrationId) => `${publicUrl}/oauth/${integrationId}/callback`,
      logError: (error) => logger.error({ err: error }, "unexpected API error"),
      logWarn: (details, message) => logger.warn(details, message),
    }),
  );

  const server = await listen(app, config.host, config.port);
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : config.port;
  const url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`;
  if (publicUrl === "") publicUrl = url;
  egress.ownPort = port;
  egress.ownAddresses = ownAddresses(config.host);
  if (sandbox !== undefined) await pointSandboxAt(store, `${url}/sandbox/api`);
  worker?.start();
  logger.info(
    {
      url,
      dataDir: config.dataDir,
      store: config.databaseUrl ? "postgres" : "sqlite",
      worker: withWorker,
    },
    "hirewire is listening",
  );

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await worker?.stop();
      await store.close();
    })());
  const service: RunningService = { url, store, warnings, close };
  if (worker !== undefined) service.scheduler = worker.scheduler;
  if (admin.created !== undefined) service.createdAdminToken = admin.created;
  return service;
}

/** This machine's addresses the service answers on, beyond loopback (all of them for 0.0.0.0 / ::). */
function ownAddresses(host: string): string[] {
  if (host !== "0.0.0.0" && host !== "::") return isIP(host) !== 0 ? [host] : [];
  return Object.values(networkInterfaces()).flatMap((list) =>
    (list ?? []).map((entry) => entry.address.split("%")[0]!),
  );
}

// The queue of connections the kernel has accepted and the process has not yet taken. Node's
// default (511) overflowed when 1,000 clients connected at once while the service was busy: the
// kernel dropped their SYNs, and each such client waited a second (then two) before its retry.
// Linux caps this at net.core.somaxconn (4,096 on current kernels).
const LISTEN_BACKLOG = 4_096;

export function listen(app: Hono, host: string, port: number): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = createAdaptorServer({ fetch: app.fetch, hostname: host });
    server.once("error", reject);
    server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => resolve(server));
  });
}
