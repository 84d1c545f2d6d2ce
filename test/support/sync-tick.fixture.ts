// Test fixture run as a separate OS process by sync-schedule-processes.test.ts: opens the
// PostgreSQL store, then for each minute read on stdin (an ISO time) runs one SyncSchedule tick
// at that minute, racing the other processes, and prints what it started as one JSON line.
import { createInterface } from "node:readline";
import { SecretCipher } from "../../src/secrets/index.ts";
import { openPostgresStore } from "../../src/store/index.ts";
import { SyncSchedule } from "../../src/runner/sync-schedule.ts";

const [url, keyBase64] = process.argv.slice(2) as [string, string];
const store = await openPostgresStore({
  url,
  cipher: new SecretCipher(Buffer.from(keyBase64, "base64")),
  max: 2,
});
const schedule = new SyncSchedule({ store, notify() {} });
process.stdout.write("ready\n");
for await (const line of createInterface({ input: process.stdin })) {
  if (line === "end") break;
  const tick = await schedule.tick(new Date(line));
  process.stdout.write(`${JSON.stringify(tick.started.map((s) => s.integrationId))}\n`);
}
await store.close();
