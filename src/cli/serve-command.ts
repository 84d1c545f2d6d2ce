// `hirewire serve` (= `npm start`): the service on the embedded store (or PostgreSQL), configured from the
// environment, stopped gracefully on SIGTERM/SIGINT (stop taking work, checkpoint, exit).
import { configFromEnv } from "../service/service-config.ts";
import { startService } from "../service/serve.ts";

export async function serveCommand(options: {
  port?: string;
  host?: string;
  data?: string;
  concurrency?: string;
  /** commander's `--no-worker`: false when given. */
  worker?: boolean;
}): Promise<void> {
  const env = { ...process.env };
  if (options.concurrency !== undefined) env.HIREWIRE_CONCURRENCY = options.concurrency;
  if (options.port !== undefined) env.PORT = options.port;
  if (options.host !== undefined) env.HOST = options.host;
  if (options.data !== undefined) env.HIREWIRE_DATA = options.data;
  const config = configFromEnv(env);
  if (options.worker === false) config.worker = false;
  const service = await startService(config);
  const role = config.worker === false ? ", API only: no runs driven here" : "";
  process.stdout.write(`hirewire is running at ${service.url}  (data: ${config.dataDir}${role})\n`);
  process.stdout.write(
    `  web UI: ${service.url}/   API: ${service.url}/api/   OpenAPI: ${service.url}/openapi.json\n`,
  );
  for (const warning of service.warnings) process.stderr.write(`\nWARNING: ${warning}\n\n`);
  // On stderr, apart from the JSON logs on stdout, so a log shipper never collects the token.
  if (service.createdAdminToken !== undefined) {
    // Without the sandbox there are no example integrations to try.
    const tryIt = config.sandbox ? "Try the sandbox" : "Try the API";
    process.stderr.write(
      `\nAdmin API token (shown once; store it now):\n  ${service.createdAdminToken}\n\n` +
        `${tryIt}:\n  curl -H "Authorization: Bearer ${service.createdAdminToken}" ${service.url}/api/integrations\n\n`,
    );
  }
  stopOnSignals(() => service.close());
}

/** SIGTERM/SIGINT: stop taking work, let in-flight runs reach a checkpoint, exit (forced after 30 s). */
export function stopOnSignals(close: () => Promise<void>): void {
  const stop = (signal: string) => {
    process.stdout.write(`\n${signal}: finishing in-flight work and checkpointing…\n`);
    const force = setTimeout(() => process.exit(1), 30_000);
    force.unref();
    void close().then(() => process.exit(0));
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
}
