// The claim loop against a real SQLite store: a burst of notifies is one look at the store, taken
// settleMs after the first of them, and stop() ends the loop at once.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SecretCipher } from "../secrets/index.ts";
import { seed } from "../store/conformance/harness.ts";
import { openSqliteStore } from "../store/sqlite/open-sqlite-store.ts";
import type { ClaimedRun, Store } from "../store/index.ts";
import { ClaimLoop } from "./claim-loop.ts";

let dir: string;
let store: Store;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "hirewire-claims-"));
  store = await openSqliteStore({
    file: join(dir, "hirewire.sqlite"),
    cipher: new SecretCipher(randomBytes(32)),
  });
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

/** A loop that drives nothing (it records what it was given) and logs errors into `errors`. */
function loop(settleMs: number, driven: Array<{ run: ClaimedRun; at: number }>) {
  const errors: unknown[] = [];
  const claims = new ClaimLoop({
    store,
    owner: "test",
    leaseMs: 60_000,
    concurrency: 100,
    idleMs: 60_000,
    settleMs,
    now: Date.now,
    logger: { error: (object) => errors.push(object) },
    active: () => 0,
    drive: (run) => driven.push({ run, at: performance.now() }),
    afterClaim: async () => undefined,
  });
  return { claims, errors };
}

describe("ClaimLoop", () => {
  it("takes a burst of runs, each announced by a notify, in one look settleMs after the first", async () => {
    const { integration } = await seed(store);
    const driven: Array<{ run: ClaimedRun; at: number }> = [];
    const { claims, errors } = loop(80, driven);
    claims.start();
    // The first look (at start) finds nothing; the loop then sleeps for idleMs.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const first = performance.now();
    for (let i = 0; i < 20; i += 1) {
      await store.createRun({ integrationId: integration.id, block: "sync" });
      claims.notify();
    }
    while (driven.length < 20) await new Promise((resolve) => setTimeout(resolve, 5));
    await claims.stop();
    expect(errors).toEqual([]);
    // One look: every run has the lease of the same claim, and it came after the settle time.
    expect(new Set(driven.map(({ run }) => run.leaseExpiresAt)).size).toBe(1);
    expect(Math.min(...driven.map(({ at }) => at)) - first).toBeGreaterThanOrEqual(75);
  });

  it("stops at once, without waiting for the settle time or the idle sleep", async () => {
    const { claims } = loop(10_000, []);
    claims.start();
    await new Promise((resolve) => setTimeout(resolve, 20));
    claims.notify();
    const started = performance.now();
    await claims.stop();
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});
