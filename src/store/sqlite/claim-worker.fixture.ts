// Test fixture run as a separate OS process by multi-process.test.ts: opens the store (racing
// the other workers through migrations), waits for "go" on stdin, then drives runs to the end
// until none are due, and prints the ids it drove as one JSON line.
import { once } from "node:events";
import { SecretCipher } from "../../secrets/index.ts";
import { openSqliteStore } from "./open-sqlite-store.ts";

const [file, keyBase64, owner] = process.argv.slice(2) as [string, string, string];
const store = await openSqliteStore({
  file,
  cipher: new SecretCipher(Buffer.from(keyBase64, "base64")),
});
process.stdout.write("ready\n");
await once(process.stdin, "data");

const driven: string[] = [];
for (;;) {
  const claimed = await store.claimRuns({ owner, now: Date.now(), leaseMs: 60_000, limit: 5 });
  if (claimed.length === 0) break;
  for (const run of claimed) {
    await store.checkpoint({
      runId: run.id,
      owner,
      state: { ...run.state!, status: "succeeded" },
      status: "succeeded",
      wakeAt: null,
      error: null,
      attempt: { step: 0, attempt: 1, startedAt: Date.now(), durationMs: 1, record: { owner } },
      releaseLease: true,
    });
    driven.push(run.id);
  }
}
await store.close();
process.stdout.write(`${JSON.stringify(driven)}\n`);
