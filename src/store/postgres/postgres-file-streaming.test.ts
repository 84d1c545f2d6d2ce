// Proves run files stream through PostgreSQL: a 50 MB download saved into the database and
// uploaded again from it must not grow the process's resident memory by anything near its size.
// A memory bound, not a timing one (the disk store's is in http/streaming-memory.test.ts).
import { randomBytes } from "node:crypto";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTargetServer, type TargetServer } from "../../../test/support/target-server.ts";
import type { AttemptOutcome, RequestSpec } from "../../exchange/types.ts";
import { sendAttempt } from "../../http/index.ts";
import { SecretCipher } from "../../secrets/index.ts";
import type { Store } from "../store.ts";
import { openPostgresStore } from "./open-postgres-store.ts";
import { createTestSchema, type TestSchema } from "./test-database.ts";

const SIZE = 50 * 1024 * 1024;
/**
 * A few chunks (256 KiB each) and the drivers' buffers: a store holding the file, or even a tenth
 * of it, on either side would exceed it. Measured: about 1 MiB.
 */
const MAX_GROWTH = 8 * 1024 * 1024;

let server: TargetServer;
let db: TestSchema;
let store: Store;

beforeAll(async () => {
  server = await startTargetServer();
  db = await createTestSchema();
  store = await openPostgresStore({
    url: db.url,
    schema: db.schema,
    cipher: new SecretCipher(randomBytes(32)),
    max: 4,
    settings: { synchronous_commit: "off" },
  });
});

afterAll(async () => {
  await store?.close();
  await server?.close();
  await db?.drop();
});

function response(outcome: AttemptOutcome) {
  if (outcome.type !== "response") throw new Error(outcome.error.message);
  return outcome.response;
}

/** Downloads `size` bytes into the database as a run file, then uploads it as multipart. */
async function transfer(size: number, runId: string, between?: () => void): Promise<void> {
  const options = { files: store.runFiles!, runId };
  const base: Omit<RequestSpec, "url"> = {
    method: "GET",
    headers: [],
    body: { kind: "none" },
    timeoutMs: 120_000,
    maxRedirects: 10,
  };
  try {
    const saved = response(
      await sendAttempt(
        { ...base, url: `${server.url}/bytes?size=${size}`, saveAs: "big.pdf" },
        options,
      ),
    );
    expect(saved.file?.size).toBe(size);
    between?.();
    const uploaded = response(
      await sendAttempt(
        {
          ...base,
          method: "POST",
          url: `${server.url}/upload`,
          body: {
            kind: "multipart",
            fields: [],
            files: [{ field: "document", file: saved.file! }],
          },
        },
        options,
      ),
    );
    expect(uploaded.json).toMatchObject({
      files: [{ field: "document", filename: "big.pdf", contentType: "application/pdf", size }],
    });
  } finally {
    await store.runFiles!.remove(runId);
  }
}

// Node frees a dead Buffer only when the collector runs, and V8 lets tens of MiB of them pile up
// first, whatever streams them (the disk store too); and the resident size does not shrink when
// they are collected (the allocator keeps the pages). So what is measured is what the process
// holds right after a full collection: the JavaScript heap plus every Buffer and ArrayBuffer —
// the transfer's live bytes, not garbage, and not pages the allocator kept.
setFlagsFromString("--expose-gc");
// V8 frees the backing stores of dead ArrayBuffers on a background thread after a collection, so
// right after gc() Node still counted some of them: the measure swung from 1 to 48 MiB between
// identical runs. Swept during the collection itself, it holds still.
setFlagsFromString("--no-concurrent-array-buffer-sweeping");
const collect = runInNewContext("gc") as () => void;

describe("run files in PostgreSQL", () => {
  it(
    "download into the database and upload from it, 50 MB, without holding it in memory",
    { timeout: 120_000 },
    async () => {
      // A first, small transfer loads and compiles the code on the way (driver, encoder, parser).
      await transfer(1024 * 1024, "run-warm");
      const held = (): number => {
        collect();
        const usage = process.memoryUsage();
        return usage.heapUsed + usage.arrayBuffers;
      };
      const baseline = held();
      let peak = baseline;
      const sample = () => {
        peak = Math.max(peak, held());
      };
      const sampler = setInterval(sample, 250);
      try {
        await transfer(SIZE, "run-big", sample);
      } finally {
        clearInterval(sampler);
      }
      console.log(`memory held for 50 MB: ${((peak - baseline) / 1048576).toFixed(1)} MiB more`);
      expect(peak - baseline).toBeLessThan(MAX_GROWTH);
    },
  );
});
