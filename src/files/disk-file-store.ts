// Run files on the local disk: rootDir/<run id>/<safe name>. Saving streams through a temporary
// file that is renamed into place, so a reader never sees a half-written file and a failed save
// leaves nothing behind.
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { createReadStream, openAsBlob, type WriteStream } from "node:fs";
import { mkdir, open, readdir, rm, stat, unlink, rename } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import type { HirewireError } from "../errors/index.ts";
import { hirewireError } from "../errors/index.ts";
import type { FileRef } from "../exchange/types.ts";
import type { FileStore, PartialFile, SaveOptions } from "./file-store.ts";
import { safeSegment } from "./safe-name.ts";

/** A FileStore keeping each run's files in its own folder under `rootDir`. */
export class DiskFileStore implements FileStore {
  readonly rootDir: string;

  constructor(rootDir: string) {
    this.rootDir = path.resolve(rootDir);
  }

  async save(
    runId: string,
    name: string,
    body: AsyncIterable<Uint8Array> | NodeJS.ReadableStream,
    options: SaveOptions,
  ): Promise<FileRef> {
    const runDir = safeSegment(runId);
    const fileName = safeSegment(name);
    const dir = path.join(this.rootDir, runDir);
    await mkdir(dir, { recursive: true });
    const finalPath = path.join(dir, fileName);
    const partialPath = path.join(dir, `.${fileName}.${randomUUID()}${PARTIAL_SUFFIX}`);
    let size = 0;
    const { maxBytes } = options;
    const limit = async function* (source: AsyncIterable<Uint8Array>) {
      for await (const chunk of source) {
        size += chunk.byteLength;
        if (size > maxBytes) {
          throw hirewireError(
            "HTTP_BODY_TOO_LARGE",
            "runFile",
            { file: name, maxBytes },
            { details: { file: name, maxBytes } },
          );
        }
        yield chunk;
      }
    };
    // The file is opened before the body is read: a write stream opening it on its own could
    // finish opening (creating the file) after a body that had already failed made the save give
    // up and remove it, leaving an empty partial file behind.
    let out: WriteStream | undefined;
    try {
      out = (await open(partialPath, "wx")).createWriteStream();
      await pipeline(body as AsyncIterable<Uint8Array>, limit, out);
      await rename(partialPath, finalPath);
    } catch (error) {
      if (out !== undefined && !out.closed) await once(out, "close").catch(() => undefined);
      await unlink(partialPath).catch(() => undefined);
      if (isDiskFull(error)) {
        throw hirewireError(
          "DISK_FULL",
          "runFile",
          { file: name, dir: this.rootDir },
          { details: { file: name, cause: (error as NodeJS.ErrnoException).code }, cause: error },
        );
      }
      throw error;
    }
    return { name, ref: `${runDir}/${fileName}`, size, contentType: options.contentType };
  }

  async openBlob(file: FileRef): Promise<Blob> {
    const filePath = this.pathOf(file);
    try {
      return await openAsBlob(filePath, { type: file.contentType });
    } catch (error) {
      throw missing(file, error);
    }
  }

  openRead(file: FileRef): NodeJS.ReadableStream {
    return createReadStream(this.pathOf(file));
  }

  async delete(file: FileRef): Promise<void> {
    await rm(this.pathOf(file), { force: true });
  }

  async remove(runId: string): Promise<void> {
    await rm(path.join(this.rootDir, safeSegment(runId)), { recursive: true, force: true });
  }

  async listPartials(runId?: string): Promise<PartialFile[]> {
    const runDirs = runId !== undefined ? [safeSegment(runId)] : await names(this.rootDir);
    const found: PartialFile[] = [];
    for (const runDir of runDirs) {
      for (const name of await names(path.join(this.rootDir, runDir))) {
        if (!name.endsWith(PARTIAL_SUFFIX)) continue;
        const ref = `${runDir}/${name}`;
        // Gone between readdir and stat: its save finished or failed meanwhile.
        const info = await stat(path.join(this.rootDir, ref)).catch(() => undefined);
        if (info === undefined) continue;
        found.push({ runId: runDir, ref, size: info.size, modifiedAt: info.mtimeMs });
      }
    }
    return found.sort((a, b) => a.modifiedAt - b.modifiedAt);
  }

  async removePartial(partial: PartialFile): Promise<void> {
    if (!partial.ref.endsWith(PARTIAL_SUFFIX)) return;
    await rm(this.pathOf({ name: partial.ref, ref: partial.ref, size: 0, contentType: "" }), {
      force: true,
    });
  }

  /** The absolute path of a stored file; a ref pointing outside the root is refused. */
  private pathOf(file: FileRef): string {
    const resolved = path.resolve(this.rootDir, file.ref);
    if (!resolved.startsWith(this.rootDir + path.sep)) {
      throw hirewireError(
        "FILE_NOT_SAVED",
        "badReference",
        { name: file.name },
        { details: { ref: file.ref } },
      );
    }
    return resolved;
  }
}

const PARTIAL_SUFFIX = ".partial";

/** The entries of a folder; none when it does not exist (a run that never saved a file). */
async function names(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return [];
    throw error;
  }
}

/** ENOSPC: no space left; EDQUOT: the user's quota is used up. Both mean "free some space". */
function isDiskFull(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === "ENOSPC" || code === "EDQUOT";
}

function missing(file: FileRef, error: unknown): HirewireError {
  return hirewireError(
    "FILE_NOT_SAVED",
    "gone",
    { name: file.name },
    { details: { ref: file.ref, cause: (error as NodeJS.ErrnoException).code }, cause: error },
  );
}
