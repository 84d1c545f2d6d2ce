// Child-process entry for the bench target: starts it, tells the parent its URL, and exits when
// the parent disconnects or kills it. Its first argument is the per-request latency in ms (0).
import type { ChildMessage } from "./child.ts";
import { startBenchTarget } from "./target-server.ts";

const target = await startBenchTarget(Number(process.argv[2] ?? 0));
process.send?.({ type: "ready", url: target.url } satisfies ChildMessage);
process.on("disconnect", () => {
  void target.close().then(() => process.exit(0));
});
