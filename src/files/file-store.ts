// The storage contract for run files: bodies saved by `save_as_file` and sent again by `files`.
// The HTTP sender and the runner depend on this interface, never on a concrete store.
import type { FileRef } from "../exchange/types.ts";

/** Options for saving one run file. */
export interface SaveOptions {
  /** Kept in the FileRef so a later upload sends the type the file arrived with. */
  contentType: string;
  /** Saving aborts with HTTP_BODY_TOO_LARGE past this many bytes (the partial file is removed). */
  maxBytes: number;
}

/** A save that never finished: its process died mid-download and left the bytes behind. */
export interface PartialFile {
  /** The run whose folder holds it. */
  runId: string;
  /** Where it is, relative to the store (for removePartial and messages). */
  ref: string;
  size: number;
  /** Epoch milliseconds of its last write. */
  modifiedAt: number;
}

/** Where run files live. Implementations stream: no method holds a whole file in memory. */
export interface FileStore {
  /**
   * Streams `body` into a new file for run `runId` named `name` (replacing an earlier file of that
   * name); rejects with HirewireError HTTP_BODY_TOO_LARGE past `maxBytes`, removing the partial file.
   */
  save(
    runId: string,
    name: string,
    body: AsyncIterable<Uint8Array> | NodeJS.ReadableStream,
    options: SaveOptions,
  ): Promise<FileRef>;
  /** A Blob backed by the stored file, so uploads stream from storage instead of buffering. */
  openBlob(file: FileRef): Promise<Blob>;
  /** A stream of the stored file's bytes. */
  openRead(file: FileRef): NodeJS.ReadableStream;
  /** Removes one file (retention); a file already gone is not an error. */
  delete(file: FileRef): Promise<void>;
  /** Removes every file of a run; a run without files is not an error. */
  remove(runId: string): Promise<void>;
  /**
   * Saves that never finished, of one run or of all. A live save is listed too: the caller decides
   * (by the run's lease) which ones nobody is writing any more.
   */
  listPartials(runId?: string): Promise<PartialFile[]>;
  /** Removes one unfinished save; one already gone is not an error. */
  removePartial(partial: PartialFile): Promise<void>;
}
