// API tokens (stored as SHA-256 digests only) and the small settings table.
import type { Selectable } from "kysely";
import type { JsonValue } from "../../manifest/types.ts";
import { newId, translateConstraint, write, type StoreContext } from "../context.ts";
import { decodeJson, encodeJson, toMillis } from "../json-codec.ts";
import type { ApiTokenRecord } from "../records.ts";
import type { ApiTokensTable } from "../schema.ts";

function toToken(row: Selectable<ApiTokensTable>): ApiTokenRecord {
  return {
    id: row.id,
    name: row.name,
    tokenHash: row.token_hash,
    createdAt: toMillis(row.created_at),
  };
}

export async function createApiToken(
  ctx: StoreContext,
  input: { name: string; tokenHash: string },
): Promise<ApiTokenRecord> {
  const row = {
    id: newId("tok"),
    name: input.name,
    token_hash: input.tokenHash,
    created_at: ctx.now(),
  };
  try {
    await write(ctx, (trx) => trx.insertInto("api_tokens").values(row).execute());
  } catch (error) {
    throw translateConstraint(ctx, error, { unique: "This API token is already registered." });
  }
  return toToken(row);
}

export async function findApiTokenByHash(
  ctx: StoreContext,
  tokenHash: string,
): Promise<ApiTokenRecord | undefined> {
  const row = await ctx.db
    .selectFrom("api_tokens")
    .selectAll()
    .where("token_hash", "=", tokenHash)
    .executeTakeFirst();
  return row && toToken(row);
}

export async function listApiTokens(ctx: StoreContext): Promise<ApiTokenRecord[]> {
  const rows = await ctx.db
    .selectFrom("api_tokens")
    .selectAll()
    .orderBy("created_at")
    .orderBy("id")
    .execute();
  return rows.map(toToken);
}

export async function countApiTokens(ctx: StoreContext): Promise<number> {
  const row = await ctx.db
    .selectFrom("api_tokens")
    .select((eb) => eb.fn.countAll().as("n"))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

export async function deleteApiToken(ctx: StoreContext, id: string): Promise<boolean> {
  const result = await write(ctx, (trx) =>
    trx.deleteFrom("api_tokens").where("id", "=", id).executeTakeFirst(),
  );
  return Number(result.numDeletedRows) > 0;
}

export async function getSetting(ctx: StoreContext, key: string): Promise<JsonValue | undefined> {
  const row = await ctx.db
    .selectFrom("settings")
    .select("value")
    .where("key", "=", key)
    .executeTakeFirst();
  return row && decodeJson<JsonValue>(row.value);
}

export async function setSetting(ctx: StoreContext, key: string, value: JsonValue): Promise<void> {
  const now = ctx.now();
  const encoded = encodeJson(value, `setting "${key}"`);
  await write(ctx, (trx) =>
    trx
      .insertInto("settings")
      .values({ key, value: encoded, updated_at: now })
      .onConflict((oc) => oc.column("key").doUpdateSet({ value: encoded, updated_at: now }))
      .execute(),
  );
}
