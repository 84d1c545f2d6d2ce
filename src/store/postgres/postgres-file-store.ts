// Run files inside the shared database, so that whichever worker continues a run can upload what
// another one downloaded. A body is streamed into rows of at most CHUNK_BYTES (run_file_chunks,
// keyed by the byte position they start at) under a run_file_bodies row that stays incomplete
// until the last byte is in; reading fetches one chunk per query, when the reader asks for it.
// Neither direction ever holds more than about one chunk of a file in memory.
import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import type { Kysely } from "kysely";
import { hirewireError, type HirewireError } from "../../errors/index.ts";
import type { FileRef } from "../../exchange/types.ts";
import {
  safeSegment,
  type FileStore,
  type PartialFile,
  type SaveOptions,
} from "../../files/index.ts";
import type { DialectTraits } from "../dialect.ts";
import type { Database } from "../schema.ts";

/** Bytes per stored chunk: large enough that a 50 MB file is 200 rows, small enough to buffer. */
export const CHUNK_BYTES = 256 * 1024;

export interface PostgresFileStoreOptions {
  db: Kysely<Database>;
  traits: DialectTraits;
  now: () => number;
  /** The database, named (without password) in DISK_FULL messages. */
  location: string;
  /** Bytes per chunk (default CHUNK_BYTES); tests use smaller ones. */
  chunkBytes?: number;
}

/** A FileStore keeping run files in the store's own database (run_file_bodies/run_file_chunks). */
export class PostgresFileStore implements FileStore {
  readonly #db: Kysely<Database>;
  readonly #traits: DialectTraits;
  readonly #now: () => number;
  readonly #location: string;
  readonly #chunkBytes: number;

  constructor(options: PostgresFileStoreOptions) {
    this.#db = options.db;
    this.#traits = options.traits;
    this.#now = options.now;
    this.#location = options.location;
    this.#chunkBytes = options.chunkBytes ?? CHUNK_BYTES;
  }

  async save(
    runId: string,
    name: string,
    body: AsyncIterable<Uint8Array> | NodeJS.ReadableStream,
    options: SaveOptions,
  ): Promise<FileRef> {
    const ref = `${safeSegment(runId)}/${safeSegment(name)}`;
    const id = randomUUID();
    const startedAt = this.#now();
    // Bytes received so far, and bytes written to chunks (at most one chunk behind).
    let received = 0;
    let size = 0;
    try {
      // Committed on its own: if this process dies mid-save the row stays, incomplete, and is
      // listed by listPartials until the janitor removes it.
      await this.#db
        .insertInto("run_file_bodies")
        .values({
          id,
          run_id: runId,
          ref,
          size: 0,
          complete: 0,
          created_at: startedAt,
          updated_at: startedAt,
        })
        .execute();
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      for await (const part of body as AsyncIterable<Uint8Array | string>) {
        const chunk = typeof part === "string" ? Buffer.from(part) : part;
        received += chunk.byteLength;
        if (received > options.maxBytes) {
          throw hirewireError(
            "HTTP_BODY_TOO_LARGE",
            "runFile",
            { file: name, maxBytes: options.maxBytes },
            { details: { file: name, maxBytes: options.maxBytes } },
          );
        }
        pending.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        pendingBytes += chunk.byteLength;
        if (pendingBytes >= this.#chunkBytes) {
          const joined = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
          let at = 0;
          for (; joined.byteLength - at >= this.#chunkBytes; at += this.#chunkBytes) {
            await this.#writeChunk(id, size, joined.subarray(at, at + this.#chunkBytes));
            size += this.#chunkBytes;
          }
          // A copy, so the rest does not keep the whole joined buffer alive.
          pending = at < joined.byteLength ? [Buffer.from(joined.subarray(at))] : [];
          pendingBytes = joined.byteLength - at;
        }
      }
      if (pendingBytes > 0) {
        await this.#writeChunk(id, size, Buffer.concat(pending, pendingBytes));
        size += pendingBytes;
      }
      await this.#complete(id, ref, name, size);
    } catch (error) {
      await this.#db
        .deleteFrom("run_file_bodies")
        .where("id", "=", id)
        .execute()
        .catch(() => undefined);
      if (this.#traits.isDiskFull(error)) {
        throw hirewireError(
          "DISK_FULL",
          "runFileInDatabase",
          { file: name, location: this.#location },
          { details: { file: name }, cause: error },
        );
      }
      throw error;
    }
    return { name, ref, size, contentType: options.contentType };
  }

  async openBlob(file: FileRef): Promise<Blob> {
    const body = await this.#findBody(file);
    return new StoredFile(file.name, file.contentType, body.size, (start, end) =>
      this.#chunks(file, body.id, start, end),
    );
  }

  openRead(file: FileRef): NodeJS.ReadableStream {
    return Readable.from(this.#whole(file), { objectMode: false });
  }

  async delete(file: FileRef): Promise<void> {
    await this.#db
      .deleteFrom("run_file_bodies")
      .where("ref", "=", file.ref)
      .where("complete", "=", 1)
      .execute();
  }

  async remove(runId: string): Promise<void> {
    await this.#db.deleteFrom("run_file_bodies").where("run_id", "=", runId).execute();
  }

  async listPartials(runId?: string): Promise<PartialFile[]> {
    let query = this.#db
      .selectFrom("run_file_bodies")
      .select(["id", "run_id", "ref", "size", "updated_at"])
      .where("complete", "=", 0);
    if (runId !== undefined) query = query.where("run_id", "=", runId);
    const rows = await query.orderBy("updated_at").orderBy("id").execute();
    return rows.map((row) => ({
      runId: row.run_id,
      ref: partialRef(row.ref, row.id),
      size: Number(row.size),
      modifiedAt: Number(row.updated_at),
    }));
  }

  async removePartial(partial: PartialFile): Promise<void> {
    const id = PARTIAL_REF.exec(partial.ref)?.[1];
    if (id === undefined) return;
    await this.#db
      .deleteFrom("run_file_bodies")
      .where("id", "=", id)
      .where("complete", "=", 0)
      .execute();
  }

  /**
   * `fn` in a transaction of its own, or in the one this store was given (`hirewire migrate`
   * imports disk files inside its copy transaction).
   */
  async #atomically<T>(fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
    if (this.#db.isTransaction) return fn(this.#db);
    return this.#db.transaction().execute(fn);
  }

  /** One chunk and the body's new size and write time, in one transaction. */
  async #writeChunk(id: string, position: number, bytes: Buffer): Promise<void> {
    await this.#atomically(async (trx) => {
      await trx.insertInto("run_file_chunks").values({ body_id: id, position, bytes }).execute();
      await trx
        .updateTable("run_file_bodies")
        .set({ size: position + bytes.byteLength, updated_at: this.#now() })
        .where("id", "=", id)
        .execute();
    });
  }

  /** Marks the body whole and drops the earlier body of the same ref, as one step. */
  async #complete(id: string, ref: string, name: string, size: number): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#atomically(async (trx) => {
          await trx
            .deleteFrom("run_file_bodies")
            .where("ref", "=", ref)
            .where("complete", "=", 1)
            .execute();
          const updated = await trx
            .updateTable("run_file_bodies")
            .set({ complete: 1, size, updated_at: this.#now() })
            .where("id", "=", id)
            .where("complete", "=", 0)
            .executeTakeFirst();
          // Removed as a leftover partial meanwhile (its run was taken over): nothing was saved.
          if (Number(updated.numUpdatedRows) === 0) throw removedWhileSaving(name);
        });
        return;
      } catch (error) {
        // Another save of the same name completed between our delete and update: go again.
        if (attempt >= 3 || this.#db.isTransaction || !this.#traits.isUniqueViolation(error))
          throw error;
      }
    }
  }

  async #findBody(file: FileRef): Promise<{ id: string; size: number }> {
    const row = await this.#db
      .selectFrom("run_file_bodies")
      .select(["id", "size"])
      .where("ref", "=", file.ref)
      .where("complete", "=", 1)
      .executeTakeFirst();
    if (row === undefined) throw missing(file);
    return { id: row.id, size: Number(row.size) };
  }

  /** Every byte of the file a ref names; FILE_NOT_SAVED when there is none. */
  async *#whole(file: FileRef): AsyncGenerator<Buffer> {
    const body = await this.#findBody(file);
    yield* this.#chunks(file, body.id, 0, body.size);
  }

  /**
   * The bytes [start, end) of a body, one chunk per query, each fetched only when the consumer
   * asks for the next. A chunk found missing (the file was deleted meanwhile) fails the stream.
   */
  async *#chunks(
    file: FileRef,
    bodyId: string,
    start: number,
    end: number,
  ): AsyncGenerator<Buffer> {
    if (start >= end) return;
    // The chunk holding `start`: the last one beginning at or before it.
    const first = await this.#db
      .selectFrom("run_file_chunks")
      .select("position")
      .where("body_id", "=", bodyId)
      .where("position", "<=", start)
      .orderBy("position", "desc")
      .limit(1)
      .executeTakeFirst();
    if (first === undefined) throw missing(file);
    let position = Number(first.position);
    while (position < end) {
      const chunk = await this.#db
        .selectFrom("run_file_chunks")
        .select("bytes")
        .where("body_id", "=", bodyId)
        .where("position", "=", position)
        .executeTakeFirst();
      if (chunk === undefined || chunk.bytes.byteLength === 0) throw missing(file);
      const bytes = Buffer.from(chunk.bytes.buffer, chunk.bytes.byteOffset, chunk.bytes.byteLength);
      const from = Math.max(0, start - position);
      const to = Math.min(bytes.byteLength, end - position);
      if (to > from) yield from === 0 && to === bytes.byteLength ? bytes : bytes.subarray(from, to);
      position += bytes.byteLength;
    }
  }
}

/**
 * A File whose bytes stay in the database until read: `stream()`, `bytes()`, `text()`,
 * `arrayBuffer()` and `slice()` fetch chunks on demand, and `size` is the stored size. undici's FormData encoder reads
 * a File entry through exactly `name`, `type`, `size` and `stream()`, so a multipart upload streams
 * from the database. Never wrap it in a new native Blob or File (`new File([it])`): those copy
 * from the native handle, which is empty here; request-body.ts appends it as it is.
 */
export class StoredFile extends File {
  readonly #read: (start: number, end: number) => AsyncGenerator<Uint8Array>;
  readonly #start: number;
  readonly #end: number;

  constructor(
    name: string,
    type: string,
    size: number,
    read: (start: number, end: number) => AsyncGenerator<Uint8Array>,
    range: { start: number; end: number } = { start: 0, end: size },
  ) {
    super([], name, { type });
    this.#read = read;
    this.#start = range.start;
    this.#end = range.end;
    // Blob's `size` is a prototype getter over the (empty) native handle: shadow it.
    Object.defineProperty(this, "size", { value: range.end - range.start, enumerable: true });
  }

  override stream(): ReadableStream<Uint8Array> {
    const chunks = this.#read(this.#start, this.#end);
    return new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          const next = await chunks.next();
          if (next.done === true) controller.close();
          else controller.enqueue(next.value);
        },
        async cancel() {
          await chunks.return(undefined);
        },
      },
      // Nothing is fetched ahead of the reader.
      { highWaterMark: 0 },
    );
  }

  override async bytes(): Promise<Uint8Array> {
    const whole = new Uint8Array(this.size);
    let at = 0;
    for await (const chunk of this.#read(this.#start, this.#end)) {
      whole.set(chunk, at);
      at += chunk.byteLength;
    }
    return whole;
  }

  override async arrayBuffer(): Promise<ArrayBuffer> {
    return (await this.bytes()).buffer as ArrayBuffer;
  }

  override async text(): Promise<string> {
    return new TextDecoder().decode(await this.bytes());
  }

  override slice(start?: number, end?: number, contentType?: string): StoredFile {
    const size = this.size;
    const from = relative(start ?? 0, size);
    const to = Math.max(from, relative(end ?? size, size));
    return new StoredFile(this.name, contentType ?? this.type, to - from, this.#read, {
      start: this.#start + from,
      end: this.#start + to,
    });
  }
}

/** A Blob.slice index: negative counts from the end; clamped to [0, size]. */
function relative(index: number, size: number): number {
  return index < 0 ? Math.max(size + index, 0) : Math.min(index, size);
}

/** `<run>/.<name>.<body id>.partial`: the same shape as a partial file on disk. */
function partialRef(ref: string, id: string): string {
  const slash = ref.indexOf("/");
  return `${ref.slice(0, slash + 1)}.${ref.slice(slash + 1)}.${id}.partial`;
}

const PARTIAL_REF = /\.([0-9a-f-]{36})\.partial$/;

function removedWhileSaving(name: string): HirewireError {
  return hirewireError(
    "FILE_NOT_SAVED",
    "removedWhileSaving",
    { name },
    { details: { file: name } },
  );
}

function missing(file: FileRef): HirewireError {
  return hirewireError(
    "FILE_NOT_SAVED",
    "gone",
    { name: file.name },
    { details: { ref: file.ref } },
  );
}
