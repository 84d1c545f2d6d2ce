// Proves large files stream: a 300 MB download saved to disk and uploaded again must not grow
// the process's resident memory by anything near the file size. A memory bound, not a timing one.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTargetServer, type TargetServer } from "../../test/support/target-server.ts";
import type { AttemptOutcome, RequestSpec } from "../exchange/types.ts";
import { DiskFileStore } from "../files/index.ts";
import { sendAttempt } from "./send-attempt.ts";

const SIZE = 300 * 1024 * 1024;
const MAX_GROWTH = 150 * 1024 * 1024;

let server: TargetServer;
let dir: string;

beforeAll(async () => {
  server = await startTargetServer();
  dir = await mkdtemp(path.join(tmpdir(), "hirewire-stream-"));
});

afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

function response(outcome: AttemptOutcome) {
  if (outcome.type !== "response") throw new Error(outcome.error.message);
  return outcome.response;
}

describe("streaming large files", () => {
  it("downloads and re-uploads 300 MB without holding it in memory", async () => {
    const store = new DiskFileStore(dir);
    const options = { files: store, runId: "run-big" };
    const base: Omit<RequestSpec, "url"> = {
      method: "GET",
      headers: [],
      body: { kind: "none" },
      timeoutMs: 120_000,
      maxRedirects: 10,
    };
    const baseline = process.memoryUsage.rss();
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10);
    try {
      const saved = response(
        await sendAttempt(
          { ...base, url: `${server.url}/bytes?size=${SIZE}`, saveAs: "big.pdf" },
          options,
        ),
      );
      expect(saved.file?.size).toBe(SIZE);
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
        files: [
          { field: "document", filename: "big.pdf", contentType: "application/pdf", size: SIZE },
        ],
      });
    } finally {
      clearInterval(sampler);
      await store.remove("run-big");
    }
    peak = Math.max(peak, process.memoryUsage.rss());
    expect(peak - baseline).toBeLessThan(MAX_GROWTH);
  });
});
