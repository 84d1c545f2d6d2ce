// Starting and stopping the service: the embedded store, the run scheduler, the HTTP API, the web UI,
// the sandbox and the first-start set-up (admin token, secret key, example integrations).
import { mkdir } from "node:fs/promises";
import { isIP } from "node:net";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { serve, type ServerType } from "@hono/node-server";
import { Hono } from "hono";
import { pino, type Logger } from "pino";
import { DiskFileStore } from "../files/index.ts";
import type { EgressSettings } from "../runner/egress-policy.ts";
import { Scheduler } from "../runner/scheduler.ts";
import { openCipher } from "../secrets/index.ts";
import {
  describeDatabase,
  openPostgresStore,
  openSqliteStore,
  type Store,
} from "../store/index.ts";
import { applyAdminToken } from "./api-tokens.ts";
import { createApi } from "./api/index.ts";
import { sandboxApi } from "./sandbox/sandbox-api.ts";
import { sandboxCredential, seedSandbox } from "./sandbox/seed-sandbox.ts";
import { checkSecretKey, keyFileMissing } from "./key-check.ts";
import type { ServiceConfig } from "./service-config.ts";
import { SyncSchedule } from "./sync-schedule.ts";
import { uiRoutes } from "./ui/index.ts";

export interface RunningService {
  url: string;
  store: Store;
  scheduler: Scheduler;
  /** Problems found at start that the operator must act on (e.g. a lost secret key). */
  warnings: string[];
  /** The admin token created on this start because no token was left (shown once), if one was. */
  createdAdminToken?: string;
  close(): Promise<void>;
}

export async function startService(
  config: ServiceConfig,
  logger: Logger = pino({ level: config.logLevel }),
): Promise<RunningService> {
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const keyCreated = await keyFileMissing(config.dataDir, config.secretKey);
  const cipher = await openCipher(config.dataDir, config.secretKey);
  const { store, file } = await openStore(config, cipher, logger);
  const warnings: string[] = [];
  const keyWarning = await checkSecretKey({ store, cipher, file, keyCreated });
  if (keyWarning !== undefined) {
    warnings.push(keyWarning);
    logger.error({ dataDir: config.dataDir }, keyWarning);
  }
  const files = new DiskFileStore(join(config.dataDir, "files"));
  const admin = await applyAdminToken(store, config.adminToken);
  if (admin.envRevoked === true)
    logger.error(
      "HIREWIRE_ADMIN_TOKEN holds a token that was revoked; it is not accepted: set a new one",
    );

  let publicUrl = config.publicUrl ?? "";
  // Completed with the port once the server listens, before any run or API request is handled.
  const egress: EgressSettings = { blockPrivate: config.egressBlockPrivate === true };
  const scheduler = new Scheduler({
    store,
    files,
    egress,
    logger,
    fileRetentionMs: config.fileRetentionMs,
    attemptRetentionMs: config.attemptRetentionMs ?? null,
    leaseMs: config.leaseMs,
    ...(config.notify !== undefined ? { notify: config.notify } : {}),
    concurrency: config.concurrency,
    redirectUrlFor: (integrationId) => `${publicUrl}/oauth/${integrationId}/callback`,
  });

  const app = new Hono();
  // Cheap enough to poll: damage any query has seen, every table present and readable.
  app.get("/healthz", async (c) => {
    const health = await store.health();
    return health.ok ? c.json({ ok: true }) : c.json({ ok: false, reason: health.reason }, 503);
  });
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
  const sandbox = config.sandbox ? await sandboxCredential(store) : undefined;
  if (sandbox !== undefined) app.route("/sandbox/api", sandboxApi({ credential: sandbox, store }));
  app.route("/", uiRoutes({ onMissingBundle: (message) => logger.warn(message) }));
  app.route(
    "/",
    createApi({
      store,
      files,
      egress,
      notify: () => scheduler.notify(),
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
  if (sandbox !== undefined) await seedSandbox(store, `${url}/sandbox/api`, sandbox);
  // Runs made due by any process sharing the store (PostgreSQL: LISTEN/NOTIFY) wake this one.
  const stopWakeUps = store.onRunsDue(() => scheduler.notify());
  scheduler.start();
  const syncSchedule = new SyncSchedule({ store, notify: () => scheduler.notify(), logger });
  syncSchedule.start();
  logger.info(
    { url, dataDir: config.dataDir, store: config.databaseUrl ? "postgres" : "sqlite" },
    "hirewire is listening",
  );

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await syncSchedule.stop();
      stopWakeUps();
      await scheduler.stop();
      await store.close();
    })());
  const service: RunningService = { url, store, scheduler, warnings, close };
  if (admin.created !== undefined) service.createdAdminToken = admin.created;
  return service;
}

/**
 * The store the configuration names: PostgreSQL when HIREWIRE_DATABASE_URL is set, else the
 * SQLite file in the data directory. `file` names it in messages (never the URL's password).
 */
async function openStore(
  config: ServiceConfig,
  cipher: Awaited<ReturnType<typeof openCipher>>,
  logger: Logger,
): Promise<{ store: Store; file: string }> {
  if (config.databaseUrl === undefined) {
    const file = join(config.dataDir, "hirewire.sqlite");
    return { store: await openSqliteStore({ file, cipher }), file };
  }
  const store = await openPostgresStore({
    url: config.databaseUrl,
    cipher,
    max: config.databasePool ?? 10,
    onConnectionError: (error) =>
      logger.warn({ err: { message: (error as Error)?.message } }, "a database connection failed"),
  });
  return { store, file: describeDatabase(config.databaseUrl) };
}

/** This machine's addresses the service answers on, beyond loopback (all of them for 0.0.0.0 / ::). */
function ownAddresses(host: string): string[] {
  if (host !== "0.0.0.0" && host !== "::") return isIP(host) !== 0 ? [host] : [];
  return Object.values(networkInterfaces()).flatMap((list) =>
    (list ?? []).map((entry) => entry.address.split("%")[0]!),
  );
}

function listen(app: Hono, host: string, port: number): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: host, port }, () => resolve(server));
    server.once("error", reject);
  });
}
