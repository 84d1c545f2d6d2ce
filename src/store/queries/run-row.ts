// Conversion between run rows and RunRecords. The state's `generated` map holds values made for
// the hire (initial passwords…), so it is split off and kept encrypted in its own column.
import type { Selectable } from "kysely";
import type { RunState, RunStatus } from "../../engine/index.ts";
import type { ErrorInfo } from "../../errors/index.ts";
import type { JsonValue } from "../../manifest/types.ts";
import type { StoreContext } from "../context.ts";
import {
  decodeJson,
  decodeJsonOrNull,
  encodeJson,
  toMillis,
  toMillisOrNull,
} from "../json-codec.ts";
import type { RunBlock, RunRecord, RunRequest } from "../records.ts";
import type { RunsTable } from "../schema.ts";

export type RunRow = Selectable<RunsTable>;

/** The two columns a RunState is written to. */
export interface EncodedState {
  state: string | null;
  generated_enc: string | null;
}

export function encodeState(ctx: StoreContext, state: RunState | null | undefined): EncodedState {
  if (state === null || state === undefined) return { state: null, generated_enc: null };
  const { generated, ...rest } = state;
  return {
    state: encodeJson(rest, "run state"),
    generated_enc: ctx.cipher.encrypt(encodeJson(generated ?? {}, "generated values")),
  };
}

function decodeState(ctx: StoreContext, row: RunRow): RunState | null {
  const rest = decodeJsonOrNull<Omit<RunState, "generated">>(row.state);
  if (rest === null) return null;
  const generated =
    row.generated_enc === null
      ? {}
      : decodeJson<Record<string, string>>(ctx.cipher.decrypt(row.generated_enc));
  return { ...rest, generated };
}

export function toRun(ctx: StoreContext, row: RunRow): RunRecord {
  return {
    id: row.id,
    integrationId: row.integration_id,
    hireId: row.hire_id,
    block: row.block as RunBlock,
    status: row.status as RunStatus,
    params: decodeJson<Record<string, JsonValue>>(row.params),
    state: decodeState(ctx, row),
    error: decodeJsonOrNull<ErrorInfo>(row.error),
    idempotencyKey: row.idempotency_key,
    wakeAt: toMillisOrNull(row.wake_at),
    leaseOwner: row.lease_owner,
    leaseExpiresAt: toMillisOrNull(row.lease_expires_at),
    request: row.request as RunRequest | null,
    createdAt: toMillis(row.created_at),
    updatedAt: toMillis(row.updated_at),
    finishedAt: toMillisOrNull(row.finished_at),
  };
}
