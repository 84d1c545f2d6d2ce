// A real, tiny filesystem for disk-full tests: a tmpfs of a few hundred KiB mounted on a temp
// folder, so writes fail with the kernel's own ENOSPC (SQLite sees SQLITE_FULL) — no fake streams.
// Mounting needs root (as on the CI machine); the error says so instead of skipping.
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface TinyDisk {
  /** The mount point. */
  dir: string;
  /** Takes every free byte of the disk with a filler file. */
  fill(): Promise<void>;
  /** Removes the filler again. */
  free(): Promise<void>;
  unmount(): Promise<void>;
}

/** Mounts a tmpfs of `kib` KiB on a new temp folder. */
export async function mountTinyDisk(kib: number): Promise<TinyDisk> {
  const dir = await mkdtemp(join(tmpdir(), "hirewire-tiny-disk-"));
  try {
    await run("mount", ["-t", "tmpfs", "-o", `size=${kib}k`, "tmpfs", dir]);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(
      `disk-full tests mount a ${kib} KiB tmpfs and need root (mount -t tmpfs): ${String(error)}`,
    );
  }
  const filler = join(dir, "filler.bin");
  return {
    dir,
    async fill() {
      // Grow the filler in small pieces until the kernel refuses: whatever is left is < 4 KiB.
      const piece = Buffer.alloc(4096, 1);
      for (;;) {
        try {
          await writeFile(filler, piece, { flag: "a" });
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === "ENOSPC") return;
          throw error;
        }
      }
    },
    async free() {
      await rm(filler, { force: true });
    },
    async unmount() {
      await run("umount", ["-l", dir]).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
