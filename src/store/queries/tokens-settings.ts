// API tokens (stored as SHA-256 digests only) and the small settings table.
import type { Selectable } from "kysely";
import { problem } from "../../errors/index.ts";
import type { JsonValue } from "../../manifest/types.ts";
import { newId, translateConstraint, write, type StoreContext } from "../context.ts";
import { decodeJson, encodeJson, toMillis } from "../json-codec.ts";
import type { ApiTokenRecord, ApiTokenSource } from "../records.ts";
import type { ApiTokensTable } from "../schema.ts";

function toToken(row: Selectable<ApiTokensTable>): ApiTokenRecord {
  return {
    id: row.id,
    name: row.name,
    tokenHash: row.token_hash,
    source: row.source as ApiTokenSource,
    createdAt: toMillis(row.created_at),
    lastUsedAt: row.last_used_at === null ? null : toMillis(row.last_used_at),
  };
}

export async function createApiToken(
  ctx: StoreContext,
  input: { name: string; tokenHash: string; source?: ApiTokenSource },
): Promise<ApiTokenRecord> {
  const row = {
    id: newId("tok"),
    name: input.name,
    token_hash: input.tokenHash,
    source: input.source ?? "created",
    created_at: ctx.now(),
    last_used_at: null,
  };
  try {
    await write(ctx, (trx) => trx.insertInto("api_tokens").values(row).execute());
  } catch (error) {
    throw translateConstraint(ctx, error, {
      unique: problem("CONFLICT", "tokenRegistered", {}),
    });
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

export async function getApiToken(
  ctx: StoreContext,
  id: string,
): Promise<ApiTokenRecord | undefined> {
  const row = await ctx.db
    .selectFrom("api_tokens")
    .selectAll()
    .where("id", "=", id)
    .executeTakeFirst();
  return row && toToken(row);
}

export async function touchApiToken(ctx: StoreContext, id: string, now: number): Promise<void> {
  await write(ctx, (trx) =>
    trx.updateTable("api_tokens").set({ last_used_at: now }).where("id", "=", id).execute(),
  );
}

export async function replaceEnvApiToken(
  ctx: StoreContext,
  tokenHash: string | null,
  name: string,
): Promise<void> {
  await write(ctx, async (trx) => {
    let stale = trx.deleteFrom("api_tokens").where("source", "=", "env");
    if (tokenHash !== null) stale = stale.where("token_hash", "!=", tokenHash);
    await stale.execute();
    if (tokenHash === null) return;
    const existing = await trx
      .selectFrom("api_tokens")
      .select("id")
      .where("token_hash", "=", tokenHash)
      .executeTakeFirst();
    if (existing !== undefined) return;
    await trx
      .insertInto("api_tokens")
      .values({
        id: newId("tok"),
        name,
        token_hash: tokenHash,
        source: "env",
        created_at: ctx.now(),
        last_used_at: null,
      })
      // Two processes starting at once with the same HIREWIRE_ADMIN_TOKEN: one row, no error.
      .onConflict((oc) => oc.column("token_hash").doNothing())
      .execute();
  });
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
