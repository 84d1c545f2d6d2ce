// Run files: where each saved response body lives, and when retention may delete it.
import type { Selectable } from "kysely";
import { newId, notFound, write, type StoreContext } from "../context.ts";
import { toMillis, toMillisOrNull } from "../json-codec.ts";
import type { FileRecord } from "../records.ts";
import type { FilesTable } from "../schema.ts";
import type { AddFileInput } from "../store.ts";

/** A files row as a FileRecord. */
export function toFile(row: Selectable<FilesTable>): FileRecord {
  return {
    id: row.id,
    runId: row.run_id,
    name: row.name,
    ref: row.ref,
    size: Number(row.size),
    contentType: row.content_type,
    createdAt: toMillis(row.created_at),
    expiresAt: toMillisOrNull(row.expires_at),
  };
}

export async function addFile(ctx: StoreContext, input: AddFileInput): Promise<FileRecord> {
  const row = {
    id: newId("file"),
    run_id: input.runId,
    name: input.file.name,
    ref: input.file.ref,
    size: input.file.size,
    content_type: input.file.contentType,
    created_at: ctx.now(),
    expires_at: input.expiresAt ?? null,
  };
  await write(ctx, async (trx) => {
    const run = await trx
      .selectFrom("runs")
      .select("id")
      .where("id", "=", input.runId)
      .executeTakeFirst();
    if (!run) throw notFound("run", input.runId);
    await trx.insertInto("files").values(row).execute();
  });
  return toFile(row);
}

export async function listFiles(ctx: StoreContext, runId: string): Promise<FileRecord[]> {
  const rows = await ctx.db
    .selectFrom("files")
    .selectAll()
    .where("run_id", "=", runId)
    .orderBy("created_at")
    .orderBy("id")
    .execute();
  return rows.map(toFile);
}

export async function expiredFiles(
  ctx: StoreContext,
  now: number,
  limit = 500,
): Promise<FileRecord[]> {
  const rows = await ctx.db
    .selectFrom("files")
    .selectAll()
    .where("expires_at", "is not", null)
    .where("expires_at", "<=", now)
    .orderBy("expires_at")
    .orderBy("id")
    .limit(limit)
    .execute();
  return rows.map(toFile);
}

export async function deleteFile(ctx: StoreContext, id: string): Promise<boolean> {
  const result = await write(ctx, (trx) =>
    trx.deleteFrom("files").where("id", "=", id).executeTakeFirst(),
  );
  return Number(result.numDeletedRows) > 0;
}
