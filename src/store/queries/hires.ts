// Hires and their stored fields. The email is copied into its own lower-cased column so that
// lookups by email use an index instead of parsing every props document.
import type { Selectable } from "kysely";
import type { JsonValue } from "../../manifest/types.ts";
import { newId, notFound, translateConstraint, write, type StoreContext } from "../context.ts";
import { newestFirst, pageLimit, toPage } from "../cursor.ts";
import { decodeJson, encodeJson, toMillis } from "../json-codec.ts";
import type { HireRecord, Page, StoredFieldRecord } from "../records.ts";
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

export async function getStoredFields(
  ctx: StoreContext,
  hireId: string,
): Promise<Record<string, StoredFieldRecord>> {
  const rows = await ctx.db
    .selectFrom("stored_fields")
    .select(["name", "value", "run_id", "updated_at"])
    .where("hire_id", "=", hireId)
    .orderBy("name")
    .execute();
  const fields: Record<string, StoredFieldRecord> = {};
  for (const row of rows) {
    fields[row.name] = {
      value: decodeJson<JsonValue>(row.value),
      updatedAt: toMillis(row.updated_at),
      runId: row.run_id,
    };
  }
  return fields;
}

export async function setStoredField(
  ctx: StoreContext,
  hireId: string,
  name: string,
  value: JsonValue,
): Promise<StoredFieldRecord> {
  const now = ctx.now();
  const encoded = encodeJson(value, `stored field "${name}"`);
  await write(ctx, async (trx) => {
    const exists = await trx
      .selectFrom("hires")
      .select("id")
      .where("id", "=", hireId)
      .executeTakeFirst();
    if (!exists) throw notFound("hire", hireId);
    await trx
      .insertInto("stored_fields")
      .values({ hire_id: hireId, name, value: encoded, run_id: null, updated_at: now })
      .onConflict((oc) =>
        oc
          .columns(["hire_id", "name"])
          .doUpdateSet({ value: encoded, run_id: null, updated_at: now }),
      )
      .execute();
  });
  return { value: decodeJson<JsonValue>(encoded), updatedAt: now, runId: null };
}

export async function deleteStoredField(
  ctx: StoreContext,
  hireId: string,
  name: string,
): Promise<boolean> {
  const result = await write(ctx, (trx) =>
    trx
      .deleteFrom("stored_fields")
      .where("hire_id", "=", hireId)
      .where("name", "=", name)
      .executeTakeFirst(),
  );
  return Number(result.numDeletedRows) > 0;
}
