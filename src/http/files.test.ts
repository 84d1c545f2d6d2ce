// Saving response bodies as run files and sending run files as multipart uploads.
import { createHash } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTargetServer, type TargetServer } from "../../test/support/target-server.ts";
import type { AttemptOutcome, RequestSpec } from "../exchange/types.ts";
import { DiskFileStore } from "../files/index.ts";
import { sendAttempt, type SendOptions } from "./send-attempt.ts";

let server: TargetServer;
let dir: string;
let store: DiskFileStore;
let options: SendOptions;

beforeAll(async () => {
  server = await startTargetServer();
  dir = await mkdtemp(path.join(tmpdir(), "hirewire-http-files-"));
  store = new DiskFileStore(dir);
  options = { files: store, runId: "run-files" };
});

afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

function spec(url: string, overrides: Partial<RequestSpec> = {}): RequestSpec {
  return {
    method: "GET",
    url,
    headers: [],
    body: { kind: "none" },
    timeoutMs: 10_000,
    maxRedirects: 10,
    ...overrides,
  };
}

function response(outcome: AttemptOutcome) {
  if (outcome.type !== "response") throw new Error(outcome.error.message);
  return outcome.response;
}

async function sha256(stream: NodeJS.ReadableStream): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of stream as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest("hex");
}

describe("files", () => {
  it("saves a 2xx body as a run file with its content type", async () => {
    const saved = response(
      await sendAttempt(
        spec(`${server.url}/bytes?size=200000`, { saveAs: "contract.pdf" }),
        options,
      ),
    );
    expect(saved.text).toBeUndefined();
    expect(saved.file).toMatchObject({
      name: "contract.pdf",
      size: 200_000,
      contentType: "application/pdf",
    });
  });

  it("defaults the content type to application/octet-stream", async () => {
    server.route("GET", "/untyped", (_req, res) => res.end("raw"));
    const saved = response(
      await sendAttempt(spec(`${server.url}/untyped`, { saveAs: "raw.bin" }), options),
    );
    expect(saved.file).toMatchObject({ size: 3, contentType: "application/octet-stream" });
  });

  it("reads a non-2xx body into memory even with saveAs", async () => {
    const failed = response(
      await sendAttempt(spec(`${server.url}/status/404`, { saveAs: "missing.pdf" }), options),
    );
    expect(failed.status).toBe(404);
    expect(failed.file).toBeUndefined();
    expect(failed.json).toEqual({ status: 404 });
  });

  it("fails past maxFileBytes and keeps no partial file", async () => {
    const outcome = await sendAttempt(
      spec(`${server.url}/bytes?size=300000`, { saveAs: "huge.pdf" }),
      {
        ...options,
        runId: "run-capped",
        maxFileBytes: 100_000,
      },
    );
    if (outcome.type !== "error") throw new Error("expected an error");
    expect(outcome.error.code).toBe("HTTP_BODY_TOO_LARGE");
    expect(outcome.response?.status).toBe(200);
    expect(await readdir(path.join(dir, "run-capped"))).toEqual([]);
  });

  it("uploads a saved file and text fields as multipart", async () => {
    const saved = response(
      await sendAttempt(spec(`${server.url}/bytes?size=123457`, { saveAs: "doc.pdf" }), options),
    );
    const file = saved.file!;
    const uploaded = response(
      await sendAttempt(
        spec(`${server.url}/upload`, {
          method: "POST",
          // A user-given multipart type has no boundary; the sender must replace it.
          headers: [
            ["Content-Type", "multipart/form-data"],
            ["X-Run", "1"],
          ],
          body: {
            kind: "multipart",
            fields: [{ name: "title", value: "Offer letter" }],
            files: [{ field: "document", file }],
          },
        }),
        options,
      ),
    );
    expect(uploaded.status).toBe(200);
    expect(uploaded.json).toEqual({
      fields: { title: "Offer letter" },
      files: [
        {
          field: "document",
          filename: "doc.pdf",
          contentType: "application/pdf",
          size: 123_457,
          sha256: await sha256(store.openRead(file)),
        },
      ],
    });
    const received = server.requests.at(-1)!;
    expect(received.headers["content-type"]).toMatch(/^multipart\/form-data; boundary=/);
    expect(received.headers["x-run"]).toBe("1");
  });

  it("re-sends a multipart body on a 307 redirect", async () => {
    const file = await store.save("run-files", "note.txt", Readable.from([Buffer.from("hello")]), {
      contentType: "text/plain",
      maxBytes: 100,
    });
    const uploaded = response(
      await sendAttempt(
        spec(`${server.url}/redirect-to?url=/upload&status=307`, {
          method: "POST",
          body: { kind: "multipart", fields: [], files: [{ field: "f", file }] },
        }),
        options,
      ),
    );
    expect(uploaded.json).toMatchObject({ files: [{ field: "f", filename: "note.txt", size: 5 }] });
  });

  it("reports a file missing from storage", async () => {
    const outcome = await sendAttempt(
      spec(`${server.url}/upload`, {
        method: "POST",
        body: {
          kind: "multipart",
          fields: [],
          files: [
            {
              field: "f",
              file: {
                name: "gone.pdf",
                ref: "run-files/gone.pdf",
                size: 1,
                contentType: "application/pdf",
              },
            },
          ],
        },
      }),
      options,
    );
    if (outcome.type !== "error") throw new Error("expected an error");
    expect(outcome.error).toMatchObject({
      code: "FILE_NOT_SAVED",
      message: "gone.pdf is no longer in run storage",
    });
  });
});
