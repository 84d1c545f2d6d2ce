// Child-process entry for Part 2: the hirewire service with its embedded SQLite store in the
// data dir given as argv[2], listening on a free port. Logs go to stdout at the default level
// (the parent discards them) so their cost is counted as in production.
import { monitorEventLoopDelay } from "node:perf_hooks";
import { startService } from "../src/service/serve.ts";
import type { ChildMessage } from "./child.ts";

const [dataDir, adminToken] = process.argv.slice(2);
if (dataDir === undefined || adminToken === undefined)
  throw new Error("usage: service-process.ts DATA_DIR ADMIN_TOKEN");
const service = await startService({
  dataDir,
  adminToken,
  host: "127.0.0.1",
  port: 0,
  logLevel: "info",
  sandbox: false,
  fileRetentionMs: 7 * 86_400_000,
  leaseMs: 60_000,
  concurrency: 100,
});
// The parent asks for the event-loop delay around the loaded phase: a stalled loop explains
// latency the API's own code does not.
const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
process.on("message", (message: { type: string }) => {
  if (message.type === "reset-delay") delay.reset();
  if (message.type === "get-delay") {
    const ms = (ns: number): number => ns / 1e6;
    process.send?.({
      type: "delay",
      delay: { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max) },
    } satisfies ChildMessage);
  }
});
process.send?.({ type: "ready", url: service.url } satisfies ChildMessage);
process.on("disconnect", () => {
  void service.close().then(() => process.exit(0));
});
