// A full disk, for real: run files and the SQLite store on a tiny tmpfs that the test fills up.
// A download that cannot be saved fails once with DISK_FULL (never retried as a network error),
// a store write that cannot be saved leaves the previous state intact and says "disk full", and
// the API answers 507 with a sentence instead of a raw 500.
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isHirewireError } from "../src/errors/index.ts";
import { runManifest } from "../src/runner/index.ts";
import { SecretCipher } from "../src/secrets/index.ts";
import { openSqliteStore } from "../src/store/index.ts";
import { startInProcessService } from "./support/in-process-service.ts";
import { startTargetServer, type TargetServer } from "./support/target-server.ts";
import { mountTinyDisk, type TinyDisk } from "./support/tiny-disk.ts";

let target: TargetServer;
let disk: TinyDisk;

beforeAll(async () => {
  target = await startTargetServer();
  // Room for the three tests' stores (each SQLite file and its log hold every table and index
  // of the schema) before `fill()` takes the rest.
  disk = await mountTinyDisk(1024);
});
afterAll(async () => {
  await target.close();
  await disk.unmount();
});

async function caught(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("disk full", () => {
  it("fails a save_as_file download once with DISK_FULL naming the file, without retrying it", async () => {
    const before = target.requestCount("GET", "/bytes");
    const result = await runManifest(
      {
        execute: [
          { url: `${target.url}/bytes?size=2000000`, method: "GET", save_as_file: "contract.pdf" },
        ],
      },
      { hire: { email: "ada@example.com" }, filesDir: join(disk.dir, "run-files") },
    );
    expect(result.status).toBe("failed");
    expect(result.error?.code).toBe("DISK_FULL");
    expect(result.error?.message).toContain("contract.pdf");
    expect(result.error?.message).toContain("disk");
    expect(target.requestCount("GET", "/bytes") - before).toBe(1);
    expect(result.steps[0]?.attempts).toHaveLength(1);
  });

  it("keeps the store's last good state when a checkpoint cannot be written, and says the disk is full", async () => {
    const file = join(disk.dir, "store.sqlite");
    const store = await openSqliteStore({ file, cipher: new SecretCipher(randomBytes(32)) });
    try {
      const integration = await store.createIntegration({
        name: "Directory",
        manifest: { execute: [{ url: "https://example.test/users" }] },
        options: { idempotencyKeys: false },
      });
      const hire = await store.createHire({ props: { email: "ada@example.test" } });
      await store.createRun({ integrationId: integration.id, hireId: hire.id, block: "execute" });
      const [run] = await store.claimRuns({
        owner: "driver-1",
        now: Date.now(),
        leaseMs: 60_000,
        limit: 1,
      });
      const before = await store.getRun(run!.id);
      await disk.fill();
      const error = await caught(() =>
        store.checkpoint({
          runId: run!.id,
          owner: "driver-1",
          state: { ...before!.state!, step: 1, responses: [{ big: "x".repeat(300_000) }] },
          status: "running",
          wakeAt: null,
          error: null,
          attempt: {
            step: 0,
            attempt: 1,
            startedAt: Date.now(),
            durationMs: 5,
            record: { response: { body: "y".repeat(300_000) } },
          },
          storedFields: { hireId: hire.id, fields: { USER_ID: "u_1" } },
        }),
      );
      expect(isHirewireError(error, "DISK_FULL"), String(error)).toBe(true);
      expect((error as Error).message).toContain(file);
      expect((error as Error).message).not.toContain("no transaction is active");
      await disk.free();
      expect(await store.getRun(run!.id)).toEqual(before);
      expect(await store.listAttempts(run!.id)).toEqual([]);
      expect(await store.getStoredFields(hire.id)).toEqual({});
      // Once space is back the same write goes through.
      await store.createHire({ props: { email: "grace@example.test" } });
    } finally {
      await disk.free();
      await store.close();
    }
  });

  it("answers 507 with a sentence while the data disk is full, and works again once space is freed", async () => {
    const svc = await startInProcessService({
      HIREWIRE_DATA: join(disk.dir, "data"),
      HIREWIRE_SANDBOX: "off",
    });
    try {
      await disk.fill();
      const full = await svc.api("POST", "/api/hires", {
        email: "ada@example.com",
        first_name: "Ada",
        notes: "n".repeat(300_000),
      });
      expect(full.status, full.text).toBe(507);
      expect(full.body.code).toBe("DISK_FULL");
      expect(full.body.message).toMatch(/disk .*full/);
      expect(full.text).not.toContain("rollback");
      await disk.free();
      const ok = await svc.api("POST", "/api/hires", {
        email: "ada@example.com",
        first_name: "Ada",
      });
      expect(ok.status, ok.text).toBe(201);
    } finally {
      await disk.free();
      await svc.close();
    }
  });
});
