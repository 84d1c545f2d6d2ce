// PostgresFileStore on a real PostgreSQL schema: the shared FileStore conformance (with small
// chunks, so files cross many chunk boundaries), plus what only a shared database shows: a file
// saved by one process is read by another, a save whose process died stays listed as a partial,
// and a multipart upload streams straight from the database.
import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { Kysely, PostgresDialect } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTargetServer, type TargetServer } from "../../../test/support/target-server.ts";
import type { AttemptOutcome } from "../../exchange/types.ts";
import { describeFileStoreConformance } from "../../files/file-store-conformance.ts";
import { sendAttempt } from "../../http/index.ts";
import { SecretCipher } from "../../secrets/index.ts";
import type { Database } from "../schema.ts";
import type { Store } from "../store.ts";
import { openPostgresStore } from "./open-postgres-store.ts";
import { createPool, postgresTraits } from "./postgres-dialect.ts";
import { PostgresFileStore } from "./postgres-file-store.ts";
import { createTestSchema, type TestSchema } from "./test-database.ts";

const cipher = new SecretCipher(randomBytes(32));

async function openStore(db: TestSchema): Promise<Store> {
  return openPostgresStore({
    url: db.url,
    schema: db.schema,
    cipher,
    max: 4,
    settings: { synchronous_commit: "off" },
  });
}

describeFileStoreConformance("postgres", {
  async create() {
    const db = await createTestSchema();
    // Opening the store migrates the schema; the file store under test gets its own handle.
    const opened = await openStore(db);
    const kysely = new Kysely<Database>({
      dialect: new PostgresDialect({
        pool: createPool({ url: db.url, schema: db.schema, max: 4 }),
      }),
    });
    const store = new PostgresFileStore({
      db: kysely,
      traits: postgresTraits,
      now: Date.now,
      location: "test database",
      chunkBytes: 4096,
    });
    return {
      store,
      async dispose() {
        await kysely.destroy();
        await opened.close();
        await db.drop();
      },
    };
  },
});

describe("run files in PostgreSQL", () => {
  let db: TestSchema;
  let target: TargetServer;
  beforeAll(async () => {
    db = await createTestSchema();
    target = await startTargetServer();
  });
  afterAll(async () => {
    await target?.close();
    await db?.drop();
  });

  it("are kept by the store itself, and read by another process", async () => {
    const writer = await openStore(db);
    const reader = await openStore(db);
    try {
      expect(writer.runFiles).toBeInstanceOf(PostgresFileStore);
      const data = randomBytes(600 * 1024);
      const file = await writer.runFiles!.save("run-a", "scan.pdf", Readable.from([data]), {
        contentType: "application/pdf",
        maxBytes: 1024 * 1024,
      });
      const blob = await reader.runFiles!.openBlob(file);
      expect(blob.size).toBe(data.length);
      expect(Buffer.from(await blob.arrayBuffer()).equals(data)).toBe(true);
    } finally {
      await writer.close();
      await reader.close();
    }
  });

  it("leave an unfinished save listed as a partial when its process dies mid-save", async () => {
    const dying = await openStore(db);
    const survivor = await openStore(db);
    try {
      let wrote: () => void = () => undefined;
      const written = new Promise<void>((resolve) => (wrote = resolve));
      const saving = dying.runFiles!.save(
        "run-dead",
        "big.pdf",
        (async function* () {
          yield randomBytes(300 * 1024);
          wrote();
          await new Promise(() => undefined); // the download never finishes
        })(),
        { contentType: "application/pdf", maxBytes: 10 * 1024 * 1024 },
      );
      saving.catch(() => undefined);
      await written;
      // Its connections go away as if the process were killed: nothing cleans up behind it.
      await dying.close();
      let partials = await survivor.runFiles!.listPartials();
      for (let i = 0; i < 100 && (partials[0]?.size ?? 0) < 256 * 1024; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        partials = await survivor.runFiles!.listPartials();
      }
      expect(partials).toHaveLength(1);
      expect(partials[0]).toMatchObject({ runId: "run-dead", size: 256 * 1024 });
      expect(partials[0]!.ref).toMatch(/^run-dead\/\.big\.pdf\..+\.partial$/);
      await survivor.runFiles!.removePartial(partials[0]!);
      expect(await survivor.runFiles!.listPartials()).toEqual([]);
    } finally {
      await survivor.close();
    }
  });

  it("upload as multipart straight from the database, byte for byte", async () => {
    const store = await openStore(db);
    try {
      const options = { files: store.runFiles!, runId: "run-up" };
      const size = 3 * 1024 * 1024 + 17;
      const downloaded = response(
        await sendAttempt(
          {
            method: "GET",
            url: `${target.url}/bytes?size=${size}`,
            headers: [],
            body: { kind: "none" },
            timeoutMs: 30_000,
            maxRedirects: 0,
            saveAs: "doc.pdf",
          },
          options,
        ),
      );
      const file = downloaded.file!;
      expect(file.size).toBe(size);
      const stored = createHash("sha256");
      for await (const chunk of store.runFiles!.openRead(file)) stored.update(chunk as Buffer);
      const uploaded = response(
        await sendAttempt(
          {
            method: "POST",
            url: `${target.url}/upload`,
            headers: [["Content-Type", "text/plain"]],
            body: {
              kind: "multipart",
              fields: [{ name: "note", value: "signed" }],
              files: [{ field: "document", file }],
            },
            timeoutMs: 30_000,
            maxRedirects: 0,
          },
          options,
        ),
      );
      expect(uploaded.json).toMatchObject({
        fields: { note: "signed" },
        files: [
          {
            field: "document",
            filename: "doc.pdf",
            contentType: file.contentType,
            size,
            sha256: stored.digest("hex"),
          },
        ],
      });
    } finally {
      await store.close();
    }
  });
});

function response(outcome: AttemptOutcome) {
  if (outcome.type !== "response") throw new Error(outcome.error.message);
  return outcome.response;
}
