// Starting and stopping the service: the embedded store, the run scheduler, the HTTP API, the web UI,
// the sandbox and the first-start set-up (admin token, secret key, example integrations).
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { serve, type ServerType } from "@hono/node-server";
import { Hono } from "hono";
import { pino, type Logger } from "pino";
import { DiskFileStore } from "../files/index.ts";
import { Scheduler } from "../runner/scheduler.ts";
import { generateApiToken, hashApiToken, openCipher } from "../secrets/index.ts";
import { openSqliteStore, type Store } from "../store/index.ts";
import { createApi } from "./api/index.ts";
import { sandboxApi } from "./sandbox/sandbox-api.ts";
import { seedSandbox, sandboxToken } from "./sandbox/seed-sandbox.ts";
import type { ServiceConfig } from "./service-config.ts";
import { SyncSchedule } from "./sync-schedule.ts";
import { uiRoutes } from "./ui/index.ts";

export interface RunningService {
  url: string;
  store: Store;
  scheduler: Scheduler;
  /** The admin token created on this first start (shown once), if one was. */
  createdAdminToken?: string;
  close(): Promise<void>;
}

export async function startService(
  config: ServiceConfig,
  logger: Logger = pino({ level: config.logLevel }),
): Promise<RunningService> {
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const cipher = await openCipher(config.dataDir, config.secretKey);
  const store = await openSqliteStore({ file: join(config.dataDir, "hirewire.sqlite"), cipher });
  const files = new DiskFileStore(join(config.dataDir, "files"));
  const createdAdminToken = await ensureAdminToken(store, config.adminToken);

  let publicUrl = config.publicUrl ?? "";
  const scheduler = new Scheduler({
    store,
    files,
    logger,
    fileRetentionMs: config.fileRetentionMs,
    leaseMs: config.leaseMs,
    ...(config.notify !== undefined ? { notify: config.notify } : {}),
    concurrency: config.concurrency,
    redirectUrlFor: (integrationId) => `${publicUrl}/oauth/${integrationId}/callback`,
  });

  const app = new Hono();
  app.get("/healthz", (c) => c.json({ ok: true }));
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
  if (config.sandbox) app.route("/sandbox/api", sandboxApi({ token: await sandboxToken(store) }));
  app.route("/", uiRoutes({ onMissingBundle: (message) => logger.warn(message) }));
  app.route(
    "/",
    createApi({
      store,
      files,
      notify: () => scheduler.notify(),
      oauthCallbackUrl: (integrationId) => `${publicUrl}/oauth/${integrationId}/callback`,
      logError: (error) => logger.error({ err: error }, "unexpected API error"),
    }),
  );

  const server = await listen(app, config.host, config.port);
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : config.port;
  const url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`;
  if (publicUrl === "") publicUrl = url;
  if (config.sandbox) await seedSandbox(store, `${url}/sandbox/api`);
  scheduler.start();
  const syncSchedule = new SyncSchedule({ store, notify: () => scheduler.notify(), logger });
  syncSchedule.start();
  logger.info({ url, dataDir: config.dataDir }, "hirewire is listening");

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await syncSchedule.stop();
      await scheduler.stop();
      await store.close();
    })());
  const service: RunningService = { url, store, scheduler, close };
  if (createdAdminToken !== undefined) service.createdAdminToken = createdAdminToken;
  return service;
}

/** First start: create an admin token (returned so it can be shown once) unless one is configured. */
async function ensureAdminToken(
  store: Store,
  configured: string | undefined,
): Promise<string | undefined> {
  if (configured !== undefined) {
    const hash = hashApiToken(configured);
    if ((await store.findApiTokenByHash(hash)) === undefined)
      await store.createApiToken({ name: "admin (HIREWIRE_ADMIN_TOKEN)", tokenHash: hash });
    return undefined;
  }
  if ((await store.countApiTokens()) > 0) return undefined;
  const token = generateApiToken();
  await store.createApiToken({ name: "admin", tokenHash: hashApiToken(token) });
  return token;
}

function listen(app: Hono, host: string, port: number): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: host, port }, () => resolve(server));
    server.once("error", reject);
  });
}
