// DiskFileStore on a real temp folder: the shared FileStore conformance, plus what only the disk
// shows (the folder layout, a full disk).
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mountTinyDisk } from "../../test/support/tiny-disk.ts";
import { isHirewireError } from "../errors/index.ts";
import { DiskFileStore } from "./disk-file-store.ts";
import { describeFileStoreConformance } from "./file-store-conformance.ts";

describeFileStoreConformance("disk", {
  async create() {
    const dir = await mkdtemp(path.join(tmpdir(), "hirewire-files-"));
    return {
      store: new DiskFileStore(dir),
      dispose: () => rm(dir, { recursive: true, force: true }),
    };
  },
});

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

describe("DiskFileStore", () => {
  it("keeps a run's files in its own folder, one file per name", async () => {
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

  it("leaves no partial file in the folder when a body is over the limit", async () => {
    const saving = store.save("run-1", "big.bin", chunks("12345", "67890", "x"), {
      contentType: "application/octet-stream",
      maxBytes: 10,
    });
    await expect(saving).rejects.toSatisfy((error) =>
      isHirewireError(error, "HTTP_BODY_TOO_LARGE"),
    );
    expect(await readdir(path.join(root, "run-1"))).toEqual([]);
  });

  it("leaves no partial file when the body failed before the save began", async () => {
    // As a download's body whose connection died while the store got ready: some bytes were
    // buffered, then the stream was destroyed with the error. Whether the file's opening or its
    // removal came first was a race (the threads of libuv's pool), hence many tries: with the
    // file opened by a write stream on its own, 200 left a partial file in two runs out of three.
    for (let i = 0; i < 200; i += 1) {
      const body = new Readable({ read() {} });
      body.on("error", () => undefined);
      body.push(Buffer.alloc(1000, 0x25));
      body.destroy(new Error("other side closed"));
      await new Promise((resolve) => setImmediate(resolve));
      await expect(
        store.save("run-1", `cut-${i}.pdf`, body, {
          contentType: "application/pdf",
          maxBytes: 100_000,
        }),
      ).rejects.toThrow("other side closed");
    }
    // A write stream still opening its file when the save gave up has had the time to finish.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await store.listPartials("run-1")).toEqual([]);
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

  it("removes a run's folder, and a run without files", async () => {
    await store.save("run-1", "a", chunks("a"), { contentType: "text/plain", maxBytes: 10 });
    await store.save("run-2", "b", chunks("b"), { contentType: "text/plain", maxBytes: 10 });
    await store.remove("run-1");
    await store.remove("never-ran");
    expect(await readdir(root)).toEqual(["run-2"]);
  });
});
