// Test fixture run as a separate OS process by apply-sync-processes.test.ts: opens the store (a
// SQLite file or a PostgreSQL URL), says "ready", and on "go" applies the sync run, racing the
// other processes, then prints the outcome as one JSON line.
import { createInterface } from "node:readline";
import { SecretCipher } from "../secrets/index.ts";
import { openPostgresStore, openSqliteStore } from "../store/index.ts";
import { applySyncRun } from "./apply-sync.ts";

const [where, keyBase64, runId] = process.argv.slice(2) as [string, string, string];
const cipher = new SecretCipher(Buffer.from(keyBase64, "base64"));
const store = where.startsWith("postgres")
  ? await openPostgresStore({ url: where, cipher, max: 2 })
  : await openSqliteStore({ file: where, cipher });
process.stdout.write("ready\n");
for await (const line of createInterface({ input: process.stdin })) {
  if (line !== "go") break;
  const outcome = await applySyncRun(store, runId);
  process.stdout.write(
    `${JSON.stringify({ alreadyApplied: outcome.alreadyApplied, created: outcome.applied.created })}\n`,
  );
  break;
}
await store.close();
