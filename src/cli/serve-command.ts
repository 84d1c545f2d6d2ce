// `hirewire serve` (= `npm start`): the service on the embedded store (or PostgreSQL), configured from the
// environment, stopped gracefully on SIGTERM/SIGINT (stop taking work, checkpoint, exit).
import { configFromEnv } from "../service/service-config.ts";
import { startService } from "../service/serve.ts";

export async function serveCommand(options: {
  port?: string;
  host?: string;
  data?: string;
}): Promise<void> {
  const env = { ...process.env };
  if (options.port !== undefined) env.PORT = options.port;
  if (options.host !== undefined) env.HOST = options.host;
  if (options.data !== undefined) env.HIREWIRE_DATA = options.data;
  const config = configFromEnv(env);
  const service = await startService(config);
  process.stdout.write(`hirewire is running at ${service.url}  (data: ${config.dataDir})\n`);
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
  const stop = (signal: string) => {
    process.stdout.write(`\n${signal}: finishing in-flight work and checkpointing…\n`);
    const force = setTimeout(() => process.exit(1), 30_000);
    force.unref();
    void service.close().then(() => process.exit(0));
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
}
