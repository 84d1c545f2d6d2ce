// The service's configuration, read from the environment at start-up (the only place hirewire
// reads environment variables for the service) and passed down as plain options.
import { resolve } from "node:path";
import { hirewireError } from "../errors/index.ts";
import { notifyConfigFromEnv, type NotifyConfig } from "../notify/index.ts";

export interface ServiceConfig {
  /** Where the SQLite file, the secret key and run files live (`./data`). */
  dataDir: string;
  /** A postgres:// URL: keep the store in PostgreSQL instead of the SQLite file (HIREWIRE_DATABASE_URL). */
  databaseUrl?: string;
  /** PostgreSQL connections this process keeps at most (HIREWIRE_DATABASE_POOL, 10). */
  databasePool?: number;
  /**
   * Keep run files in this folder (HIREWIRE_FILES_DIR), e.g. one every worker mounts. Absent: in
   * PostgreSQL when the store is there, else in DATA/files.
   */
  filesDir?: string;
  host: string;
  port: number;
  /** A fixed admin API token instead of a generated one. */
  adminToken?: string;
  /** Base64 AES-256 key for secrets instead of the key file. */
  secretKey?: string;
  logLevel: string;
  /** Mount the sandbox API and seed example integrations on first start. */
  sandbox: boolean;
  /** How long run files are kept, in ms (7 days); null keeps them. */
  fileRetentionMs: number | null;
  /** How long a finished run's personal details are kept, in ms (HIREWIRE_ATTEMPT_RETENTION_DAYS); null keeps them. */
  attemptRetentionMs?: number | null;
  /** The URL this service is reached at, for OAuth callbacks (`http://HOST:PORT`). */
  publicUrl?: string;
  /** How long a run stays leased to a process that stopped renewing it (60 s): the recovery delay after a crash. */
  leaseMs: number;
  /** Runs driven at once by this process (HIREWIRE_CONCURRENCY, 100). */
  concurrency: number;
  /** Drive runs in this process beside the API (`hirewire serve`); false: API only (`--no-worker`). */
  worker?: boolean;
  /** `hirewire worker`: serve /metrics and /healthz on this port (HIREWIRE_METRICS_PORT; 0 picks one). */
  metricsPort?: number;
  /** Refuse loopback, private and unique-local addresses to integrations (HIREWIRE_EGRESS_BLOCK_PRIVATE). */
  egressBlockPrivate?: boolean;
  /** SMTP and text-message settings for post_execute_notification (HIREWIRE_SMTP_*, HIREWIRE_TWILIO_*). */
  notify?: NotifyConfig;
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  const config: ServiceConfig = {
    dataDir: resolve(env.HIREWIRE_DATA ?? "data"),
    databasePool: integer(env.HIREWIRE_DATABASE_POOL ?? "10", "HIREWIRE_DATABASE_POOL", 1, 1_000),
    host: env.HOST ?? "127.0.0.1",
    port: integer(env.PORT ?? "8787", "PORT", 0, 65_535),
    logLevel: env.LOG_LEVEL ?? "info",
    leaseMs: integer(env.HIREWIRE_LEASE_MS ?? "60000", "HIREWIRE_LEASE_MS", 1_000, 3_600_000),
    concurrency: integer(env.HIREWIRE_CONCURRENCY ?? "100", "HIREWIRE_CONCURRENCY", 1, 10_000),
    notify: notifyConfigFromEnv(env),
    sandbox: env.HIREWIRE_SANDBOX !== "off",
    egressBlockPrivate: onOff(env.HIREWIRE_EGRESS_BLOCK_PRIVATE, "HIREWIRE_EGRESS_BLOCK_PRIVATE"),
    attemptRetentionMs: days(
      env.HIREWIRE_ATTEMPT_RETENTION_DAYS,
      "HIREWIRE_ATTEMPT_RETENTION_DAYS",
      "forever",
    ),
    fileRetentionMs:
      env.HIREWIRE_FILE_RETENTION_DAYS === "forever"
        ? null
        : integer(
            env.HIREWIRE_FILE_RETENTION_DAYS ?? "7",
            "HIREWIRE_FILE_RETENTION_DAYS",
            0,
            36_500,
          ) * 86_400_000,
  };
  if (env.HIREWIRE_DATABASE_URL !== undefined && env.HIREWIRE_DATABASE_URL !== "")
    config.databaseUrl = databaseUrl(env.HIREWIRE_DATABASE_URL);
  if (env.HIREWIRE_FILES_DIR !== undefined && env.HIREWIRE_FILES_DIR !== "")
    config.filesDir = resolve(env.HIREWIRE_FILES_DIR);
  if (env.HIREWIRE_METRICS_PORT !== undefined && env.HIREWIRE_METRICS_PORT !== "")
    config.metricsPort = integer(env.HIREWIRE_METRICS_PORT, "HIREWIRE_METRICS_PORT", 0, 65_535);
  if (env.HIREWIRE_ADMIN_TOKEN !== undefined && env.HIREWIRE_ADMIN_TOKEN !== "")
    config.adminToken = env.HIREWIRE_ADMIN_TOKEN;
  if (env.HIREWIRE_SECRET_KEY !== undefined && env.HIREWIRE_SECRET_KEY !== "")
    config.secretKey = env.HIREWIRE_SECRET_KEY;
  if (env.HIREWIRE_PUBLIC_URL !== undefined && env.HIREWIRE_PUBLIC_URL !== "")
    config.publicUrl = env.HIREWIRE_PUBLIC_URL.replace(/\/+$/, "");
  return config;
}

/** A number of days as ms ("forever", the default here when `fallback` is "forever": null). */
function days(text: string | undefined, name: string, fallback: string): number | null {
  const value = text === undefined || text === "" ? fallback : text;
  return value === "forever" ? null : integer(value, name, 0, 36_500) * 86_400_000;
}

function databaseUrl(text: string): string {
  let protocol: string | undefined;
  try {
    protocol = new URL(text).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol !== "postgres:" && protocol !== "postgresql:") {
    // The value is not echoed: a mistyped URL may still carry the password.
    const name = "HIREWIRE_DATABASE_URL";
    throw hirewireError("INPUT_INVALID", "notPostgresUrl", { name }, { path: name });
  }
  return text;
}

function onOff(text: string | undefined, name: string): boolean {
  if (text === undefined || text === "" || text === "off" || text === "false") return false;
  if (text === "on" || text === "true") return true;
  throw hirewireError(
    "INPUT_INVALID",
    "setting",
    { name, rule: "on or off", got: text },
    { path: name },
  );
}

function integer(text: string, name: string, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw hirewireError(
      "INPUT_INVALID",
      "setting",
      { name, rule: `an integer from ${min} to ${max}`, got: text },
      { path: name },
    );
  }
  return value;
}
