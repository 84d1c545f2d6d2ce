// The FileStore conformance suite: the behaviours every place run files can live must show (the
// local disk, PostgreSQL), run by each implementation's test file against real storage.
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { isHirewireError } from "../errors/index.ts";
import type { FileRef } from "../exchange/types.ts";
import type { FileStore } from "./file-store.ts";

export interface FileStoreHarness {
  /** An empty store for one test; `dispose` removes everything it kept. */
  create(): Promise<{ store: FileStore; dispose(): Promise<void> }>;
}

async function* chunks(...parts: Array<string | Buffer>): AsyncIterable<Uint8Array> {
  for (const part of parts) yield typeof part === "string" ? Buffer.from(part) : part;
}

async function bytes(stream: NodeJS.ReadableStream | ReadableStream<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Uint8Array>) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

async function text(stream: NodeJS.ReadableStream): Promise<string> {
  return (await bytes(stream)).toString("utf8");
}

/** `size` bytes of a pattern that tells any two positions apart within 251 bytes. */
function pattern(size: number, seed = 0): Buffer {
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = (i + seed) % 251;
  return out;
}

const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");

/** A body that yields `first`, then waits for `release()` before yielding `rest` and ending. */
function gated(first: string, rest: string) {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const body = (async function* () {
    yield Buffer.from(first);
    await gate;
    yield Buffer.from(rest);
  })();
  return { body, release };
}

async function waitForPartials(store: FileStore, runId: string) {
  for (let i = 0; i < 200; i++) {
    const partials = await store.listPartials(runId);
    if (partials.length > 0) return partials;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return store.listPartials(runId);
}

const plain = (maxBytes: number) => ({ contentType: "text/plain", maxBytes });

/**
 * Registers the conformance tests for one FileStore. `harness.create()` is called once per test.
 * Large cases save a few hundred KiB in uneven pieces, so an implementation that splits files into
 * chunks should be given small chunks by its harness to cross many boundaries.
 */
export function describeFileStoreConformance(name: string, harness: FileStoreHarness): void {
  describe(`FileStore conformance: ${name}`, () => {
    async function withStore(fn: (store: FileStore) => Promise<void>): Promise<void> {
      const { store, dispose } = await harness.create();
      try {
        await fn(store);
      } finally {
        await dispose();
      }
    }

    it("saves a stream and reads it back as a stream and a blob", () =>
      withStore(async (store) => {
        const file = await store.save("run-1", "contract.pdf", chunks("hello ", "world"), {
          contentType: "application/pdf",
          maxBytes: 100,
        });
        expect(file).toEqual({
          name: "contract.pdf",
          ref: "run-1/contract.pdf",
          size: 11,
          contentType: "application/pdf",
        });
        expect(await text(store.openRead(file))).toBe("hello world");
        const blob = await store.openBlob(file);
        expect(blob.size).toBe(11);
        expect(blob.type).toBe("application/pdf");
        expect(await blob.text()).toBe("hello world");
        expect((await bytes(blob.stream())).toString()).toBe("hello world");
        expect(await store.listPartials()).toEqual([]);
      }));

    it("keeps a file of many uneven pieces byte for byte, and an empty one", () =>
      withStore(async (store) => {
        const data = pattern(300_000);
        const pieces: Buffer[] = [];
        for (let at = 0, step = 1; at < data.length; at += step, step = (step * 7 + 3) % 40_000)
          pieces.push(data.subarray(at, at + step));
        const file = await store.save("run-1", "big.bin", chunks(...pieces), plain(data.length));
        expect(file.size).toBe(data.length);
        expect(sha256(await bytes(store.openRead(file)))).toBe(sha256(data));
        const blob = await store.openBlob(file);
        expect(blob.size).toBe(data.length);
        expect(sha256(await bytes(blob.stream()))).toBe(sha256(data));
        expect(sha256(new Uint8Array(await blob.arrayBuffer()))).toBe(sha256(data));
        expect(sha256(await blob.bytes())).toBe(sha256(data));
        // Slices across chunk boundaries, negative indexes, and past the end.
        for (const [start, end] of [
          [0, 10],
          [4_095, 70_001],
          [123_457, 299_999],
          [-1_000, undefined],
          [299_990, 400_000],
          [10, 5],
        ] as Array<[number, number | undefined]>) {
          const slice = blob.slice(start, end);
          const expected = data.subarray(start, end);
          expect(slice.size).toBe(expected.length);
          expect(Buffer.from(await slice.arrayBuffer()).equals(expected)).toBe(true);
          expect((await bytes(slice.stream())).equals(expected)).toBe(true);
        }

        const empty = await store.save("run-1", "empty.txt", chunks(), plain(10));
        expect(empty.size).toBe(0);
        expect(await text(store.openRead(empty))).toBe("");
        expect(await (await store.openBlob(empty)).text()).toBe("");
      }));

    it("accepts a node Readable and replaces an earlier file of the same name", () =>
      withStore(async (store) => {
        const old = await store.save("run-1", "a.txt", Readable.from(["old"]), plain(10));
        const file = await store.save("run-1", "a.txt", Readable.from(["new", "!"]), plain(10));
        expect(file.ref).toBe(old.ref);
        expect(await text(store.openRead(file))).toBe("new!");
        expect(await (await store.openBlob(old)).text()).toBe("new!");
        expect(await store.listPartials("run-1")).toEqual([]);
      }));

    it("refuses a body over the limit and leaves nothing behind", () =>
      withStore(async (store) => {
        const saving = store.save("run-1", "big.bin", chunks("12345", "67890", "x"), plain(10));
        await expect(saving).rejects.toSatisfy((error) =>
          isHirewireError(error, "HTTP_BODY_TOO_LARGE"),
        );
        await expect(saving).rejects.toThrow(
          "big.bin is larger than the 10 bytes limit for run files",
        );
        const ref: FileRef = { name: "big.bin", ref: "run-1/big.bin", size: 0, contentType: "" };
        await expect(store.openBlob(ref)).rejects.toSatisfy((e) =>
          isHirewireError(e, "FILE_NOT_SAVED"),
        );
        expect(await store.listPartials()).toEqual([]);
        // The limit holds across many chunks too.
        const large = store.save("run-1", "large.bin", chunks(...Array(40).fill(pattern(10_000))), {
          contentType: "application/octet-stream",
          maxBytes: 250_000,
        });
        await expect(large).rejects.toSatisfy((e) => isHirewireError(e, "HTTP_BODY_TOO_LARGE"));
        expect(await store.listPartials()).toEqual([]);
      }));

    it("keeps unsafe names inside the run", () =>
      withStore(async (store) => {
        const file = await store.save("run-1", "../../etc/passwd", chunks("x"), plain(10));
        expect(file.name).toBe("../../etc/passwd");
        expect(file.ref.startsWith("run-1/")).toBe(true);
        expect(file.ref.split("/")).toHaveLength(2);
        expect(await text(store.openRead(file))).toBe("x");
      }));

    it("reports missing files and references outside the store as FILE_NOT_SAVED", () =>
      withStore(async (store) => {
        const outside = { name: "x", ref: "../outside", size: 1, contentType: "text/plain" };
        await expect(store.openBlob(outside)).rejects.toSatisfy((e) =>
          isHirewireError(e, "FILE_NOT_SAVED"),
        );
        const gone = { name: "gone.pdf", ref: "run-1/gone.pdf", size: 1, contentType: "text/pdf" };
        await expect(store.openBlob(gone)).rejects.toThrow("gone.pdf is no longer in run storage");
        await expect(text(store.openRead(gone))).rejects.toThrow();
      }));

    it("deletes one file (twice is no error) and removes all files of a run", () =>
      withStore(async (store) => {
        const a = await store.save("run-1", "a", chunks("a"), plain(10));
        const b = await store.save("run-1", "b", chunks("b"), plain(10));
        const c = await store.save("run-2", "c", chunks("c"), plain(10));
        await store.delete(a);
        await store.delete(a);
        await expect(store.openBlob(a)).rejects.toSatisfy((e) =>
          isHirewireError(e, "FILE_NOT_SAVED"),
        );
        expect(await text(store.openRead(b))).toBe("b");

        await store.remove("run-1");
        await store.remove("never-ran");
        await expect(store.openBlob(b)).rejects.toSatisfy((e) =>
          isHirewireError(e, "FILE_NOT_SAVED"),
        );
        expect(await text(store.openRead(c))).toBe("c");
      }));

    it("lists a save in progress as a partial of its run until it completes", () =>
      withStore(async (store) => {
        const { body, release } = gated("first half", ", second half");
        const saving = store.save("run_live", "big.pdf", body, plain(100));
        const [live] = await waitForPartials(store, "run_live");
        expect(live?.runId).toBe("run_live");
        expect(live?.ref).toMatch(/^run_live\/\.big\.pdf\..+\.partial$/);
        expect(live?.modifiedAt).toBeGreaterThan(0);
        expect(await store.listPartials("other")).toEqual([]);
        expect((await store.listPartials()).map((p) => p.ref)).toEqual([live?.ref]);
        release();
        const file = await saving;
        expect(file.size).toBe("first half, second half".length);
        expect(await text(store.openRead(file))).toBe("first half, second half");
        expect(await store.listPartials()).toEqual([]);
      }));

    it("removes an unfinished save, and a remove of one already gone is no error", () =>
      withStore(async (store) => {
        const { body, release } = gated("x".repeat(1000), "y");
        const saving = store.save("run-1", "stuck.pdf", body, plain(10_000));
        saving.catch(() => undefined);
        const [partial] = await waitForPartials(store, "run-1");
        expect(partial).toBeDefined();
        await store.removePartial(partial!);
        await store.removePartial(partial!);
        expect(await store.listPartials()).toEqual([]);
        // The writer finds its file gone: its save fails rather than claiming a file nobody has.
        release();
        await expect(saving).rejects.toBeDefined();
        const ref = { name: "stuck.pdf", ref: "run-1/stuck.pdf", size: 0, contentType: "" };
        await expect(store.openBlob(ref)).rejects.toSatisfy((e) =>
          isHirewireError(e, "FILE_NOT_SAVED"),
        );
      }));
  });
}
