// Integrations' shared rate limits: one row per integration holding its token bucket, read and
// written back in one write transaction (PostgreSQL: the row locked FOR UPDATE; SQLite: the
// transaction's write lock), so processes on the same database take turns on the same bucket.
import type { Kysely, Selectable } from "kysely";
import { write, type StoreContext } from "../context.ts";
import { decodeJson, encodeJson, toMillis, toMillisOrNull } from "../json-codec.ts";
import { returnSlot, takeSlot, type RateBucket, type RateTake } from "../rate-bucket.ts";
import type { RateLimitState } from "../records.ts";
import type { Database, RateLimitsTable } from "../schema.ts";
import type { AcquireRateSlotInput, RateSlotAnswer, ReleaseRateSlotInput } from "../store.ts";

function toBucket(row: Selectable<RateLimitsTable>): RateBucket {
  return {
    tokens: Number(row.tokens),
    refilledAt: toMillis(row.refilled_at),
    rate: row.rate === null ? null : Number(row.rate),
    pausedUntil: toMillisOrNull(row.paused_until),
    decreasedAt: toMillisOrNull(row.decreased_at),
    slots: decodeJson<Record<string, number>>(row.slots),
    throttled: Number(row.throttled),
  };
}

function toRow(integrationId: string, bucket: RateBucket, now: number) {
  return {
    integration_id: integrationId,
    tokens: bucket.tokens,
    refilled_at: Math.round(bucket.refilledAt),
    rate: bucket.rate,
    paused_until: bucket.pausedUntil,
    decreased_at: bucket.decreasedAt,
    slots: encodeJson(bucket.slots, "rate limit slots"),
    throttled: bucket.throttled,
    updated_at: now,
  };
}

/** The integration's bucket, locked until the transaction ends; undefined when it has none yet. */
async function lockedBucket(
  ctx: StoreContext,
  trx: Kysely<Database>,
  integrationId: string,
): Promise<RateBucket | undefined> {
  const select = trx
    .selectFrom("rate_limits")
    .selectAll()
    .where("integration_id", "=", integrationId);
  const row = await (ctx.traits.skipLocked ? select.forUpdate() : select).executeTakeFirst();
  return row === undefined ? undefined : toBucket(row);
}

async function saveBucket(
  trx: Kysely<Database>,
  integrationId: string,
  bucket: RateBucket,
  now: number,
  existed: boolean,
): Promise<void> {
  const row = toRow(integrationId, bucket, now);
  if (existed) {
    const { integration_id: _id, ...changes } = row;
    await trx
      .updateTable("rate_limits")
      .set(changes)
      .where("integration_id", "=", integrationId)
      .execute();
    return;
  }
  await trx.insertInto("rate_limits").values(row).execute();
}

export async function acquireRateSlot(
  ctx: StoreContext,
  input: AcquireRateSlotInput,
): Promise<RateSlotAnswer> {
  // A look without the lock first: a refusal needs no write (refilling and expiry are worked out
  // from the clock), so runs waiting in many processes do not queue for the write lock.
  const seen = await ctx.db
    .selectFrom("rate_limits")
    .selectAll()
    .where("integration_id", "=", input.integrationId)
    .executeTakeFirst();
  if (seen !== undefined) {
    const look = takeSlot(toBucket(seen), input.limit, input);
    if (!look.granted) return refusal(look);
  }
  const attempt = () =>
    write(ctx, async (trx) => {
      const stored = await lockedBucket(ctx, trx, input.integrationId);
      const take = takeSlot(stored, input.limit, input);
      if (!take.granted) return refusal(take);
      await saveBucket(trx, input.integrationId, take.bucket, input.now, stored !== undefined);
      return { granted: true as const };
    });
  try {
    return await attempt();
  } catch (error) {
    // Two processes making an integration's first row at once: the loser reads the winner's.
    if (!ctx.traits.isUniqueViolation(error)) throw error;
    return attempt();
  }
}

function refusal(take: Extract<RateTake, { granted: false }>): RateSlotAnswer {
  return { granted: false, retryAt: take.retryAt, reason: take.reason };
}

export async function releaseRateSlot(
  ctx: StoreContext,
  input: ReleaseRateSlotInput,
): Promise<void> {
  await write(ctx, async (trx) => {
    const stored = await lockedBucket(ctx, trx, input.integrationId);
    // No row: nothing was acquired here (or it was removed): nothing to give back.
    if (stored === undefined) return;
    const bucket = returnSlot(stored, input.limit, input);
    await saveBucket(trx, input.integrationId, bucket, input.now, true);
  });
}

export async function getRateLimitState(
  ctx: StoreContext,
  integrationId: string,
  now: number,
): Promise<RateLimitState | undefined> {
  const row = await ctx.db
    .selectFrom("rate_limits")
    .selectAll()
    .where("integration_id", "=", integrationId)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  const bucket = toBucket(row);
  const paused = bucket.pausedUntil !== null && bucket.pausedUntil > now;
  return {
    rate: bucket.rate,
    tokens: bucket.tokens,
    pausedUntil: paused ? bucket.pausedUntil : null,
    inFlight: Object.values(bucket.slots).filter((until) => until > now).length,
    throttled: bucket.throttled,
    updatedAt: toMillis(row.updated_at),
  };
}
