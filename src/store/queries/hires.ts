// Hires (their stored fields are in stored-fields.ts). The email is copied into its own lower-cased column so that
// lookups by email use an index instead of parsing every props document.
import type { Selectable } from "kysely";
import type { JsonValue } from "../../manifest/types.ts";
import { newId, notFound, translateConstraint, write, type StoreContext } from "../context.ts";
import { newestFirst, pageLimit, toPage } from "../cursor.ts";
import { decodeJson, encodeJson, toMillis } from "../json-codec.ts";
import type { HireRecord, Page } from "../records.ts";
import type { HiresTable } from "../schema.ts";
import type { CreateHireInput, ListHiresInput } from "../store.ts";

function toHire(row: Selectable<HiresTable>): HireRecord {
  return {
    id: row.id,
    props: decodeJson<Record<string, JsonValue>>(row.props),
    createdAt: toMillis(row.created_at),
    updatedAt: toMillis(row.updated_at),
  };
}

function emailKey(email: unknown): string | null {
  return typeof email === "string" && email.trim() !== "" ? email.trim().toLowerCase() : null;
}

export async function createHire(ctx: StoreContext, input: CreateHireInput): Promise<HireRecord> {
  const now = ctx.now();
  const row = {
    id: input.id ?? newId("hire"),
    email: emailKey(input.props.email),
    props: encodeJson(input.props, "hire"),
    created_at: now,
    updated_at: now,
  };
  try {
    await write(ctx, (trx) => trx.insertInto("hires").values(row).execute());
  } catch (error) {
    throw translateConstraint(ctx, error, { unique: `A hire with id "${row.id}" already exists.` });
  }
  return toHire(row);
}

export async function getHire(ctx: StoreContext, id: string): Promise<HireRecord | undefined> {
  const row = await ctx.db.selectFrom("hires").selectAll().where("id", "=", id).executeTakeFirst();
  return row && toHire(row);
}

export async function findHireByEmail(
  ctx: StoreContext,
  email: string,
): Promise<HireRecord | undefined> {
  const key = emailKey(email);
  if (key === null) return undefined;
  const row = await ctx.db
    .selectFrom("hires")
    .selectAll()
    .where("email", "=", key)
    .orderBy("created_at")
    .orderBy("id")
    .limit(1)
    .executeTakeFirst();
  return row && toHire(row);
}

export async function listHires(
  ctx: StoreContext,
  input: ListHiresInput = {},
): Promise<Page<HireRecord>> {
  const limit = pageLimit(input.limit);
  let query = ctx.db.selectFrom("hires").selectAll();
  if (input.email !== undefined) query = query.where("email", "=", emailKey(input.email) ?? "");
  const rows = await newestFirst(query, input.cursor, limit).execute();
  return toPage(rows.map(toHire), limit);
}

export async function updateHire(
  ctx: StoreContext,
  id: string,
  props: Record<string, JsonValue>,
): Promise<HireRecord> {
  const changes = {
    email: emailKey(props.email),
    props: encodeJson(props, "hire"),
    updated_at: ctx.now(),
  };
  return write(ctx, async (trx) => {
    const row = await trx
      .updateTable("hires")
      .set(changes)
      .where("id", "=", id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw notFound("hire", id);
    return toHire(row);
  });
}

export async function deleteHire(ctx: StoreContext, id: string): Promise<void> {
  try {
    await write(ctx, async (trx) => {
      const result = await trx.deleteFrom("hires").where("id", "=", id).executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) throw notFound("hire", id);
    });
  } catch (error) {
    throw translateConstraint(ctx, error, {
      foreignKey: `The hire "${id}" has runs, so it cannot be deleted.`,
    });
  }
}
