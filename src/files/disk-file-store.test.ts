// DiskFileStore on a real temp folder: save, read back, limits, cleanup and unsafe names.
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mountTinyDisk } from "../../test/support/tiny-disk.ts";
import { isHirewireError } from "../errors/index.ts";
import { DiskFileStore } from "./disk-file-store.ts";

let root: string;
let store: DiskFileStore;

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), "hirewire-files-"));
  store = new DiskFileStore(root);
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function* chunks(...parts: string[]): AsyncIterable<Uint8Array> {
  for (const part of parts) yield Buffer.from(part);
}

async function text(stream: NodeJS.ReadableStream): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) parts.push(chunk);
  return Buffer.concat(parts).toString("utf8");
}

describe("DiskFileStore", () => {
  it("saves a stream and reads it back as a stream and a blob", async () => {
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
  });

  it("accepts a node Readable and replaces an earlier file of the same name", async () => {
    await store.save("run-1", "a.txt", Readable.from(["old"]), {
      contentType: "text/plain",
      maxBytes: 10,
    });
    const file = await store.save("run-1", "a.txt", Readable.from(["new!"]), {
      contentType: "text/plain",
      maxBytes: 10,
    });
    expect(await readFile(path.join(root, file.ref), "utf8")).toBe("new!");
    expect(await readdir(path.join(root, "run-1"))).toEqual(["a.txt"]);
  });

  it("refuses a body over the limit and leaves no partial file", async () => {
    const saving = store.save("run-1", "big.bin", chunks("12345", "67890", "x"), {
      contentType: "application/octet-stream",
      maxBytes: 10,
    });
    await expect(saving).rejects.toSatisfy((error) =>
      isHirewireError(error, "HTTP_BODY_TOO_LARGE"),
    );
    await expect(saving).rejects.toThrow("big.bin is larger than the 10 bytes limit for run files");
    expect(await readdir(path.join(root, "run-1"))).toEqual([]);
  });

  it("reports a full disk as DISK_FULL naming the file and the folder, leaving no partial file", async () => {
    const disk = await mountTinyDisk(256);
    try {
      const small = new DiskFileStore(disk.dir);
      const big = "x".repeat(64 * 1024);
      const saving = small.save("run-1", "contract.pdf", chunks(...Array(8).fill(big)), {
        contentType: "application/pdf",
        maxBytes: 10 * 1024 * 1024,
      });
      await expect(saving).rejects.toSatisfy((error) => isHirewireError(error, "DISK_FULL"));
      await expect(saving).rejects.toThrow(
        `could not save contract.pdf: the disk holding run files (${disk.dir}) is full`,
      );
      expect(await readdir(path.join(disk.dir, "run-1"))).toEqual([]);
    } finally {
      await disk.unmount();
    }
  });

  it("keeps unsafe names inside the run folder", async () => {
    const file = await store.save("run-1", "../../etc/passwd", chunks("x"), {
      contentType: "text/plain",
      maxBytes: 10,
    });
    expect(file.name).toBe("../../etc/passwd");
    expect(file.ref.startsWith("run-1/")).toBe(true);
    expect(file.ref.split("/")).toHaveLength(2);
    expect(await text(store.openRead(file))).toBe("x");
  });

  it("refuses a reference pointing outside the root and reports missing files", async () => {
    const outside = { name: "x", ref: "../outside", size: 1, contentType: "text/plain" };
    await expect(store.openBlob(outside)).rejects.toSatisfy((e) =>
      isHirewireError(e, "FILE_NOT_SAVED"),
    );
    const gone = { name: "gone.pdf", ref: "run-1/gone.pdf", size: 1, contentType: "text/plain" };
    await expect(store.openBlob(gone)).rejects.toThrow("gone.pdf is no longer in run storage");
  });

  it("removes all files of a run, and a run without files", async () => {
    await store.save("run-1", "a", chunks("a"), { contentType: "text/plain", maxBytes: 10 });
    await store.save("run-2", "b", chunks("b"), { contentType: "text/plain", maxBytes: 10 });
    await store.remove("run-1");
    await store.remove("never-ran");
    expect(await readdir(root)).toEqual(["run-2"]);
  });
});
