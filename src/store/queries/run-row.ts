// Conversion between run rows and RunRecords. The state's `generated` map holds values made for
// the hire (initial passwords…), so it is split off and kept encrypted in its own column. A row is
// never trusted: params and state are checked on the way out, and a row that fails reads as a
// failed run with a sentence instead of throwing (one bad row must not break listings or claims).
import type { Selectable } from "kysely";
import {
  FINAL_STATUSES,
  RUN_BLOCKS,
  RUN_STATUSES,
  type RunState,
  type RunStatus,
} from "../../engine/index.ts";
import { describeRunStateProblem, parseRunState } from "../../engine/parse-run-state.ts";
import { type ErrorInfo, problem } from "../../errors/index.ts";
import type { JsonValue } from "../../manifest/types.ts";
import type { StoreContext } from "../context.ts";
import { decodeJsonOrNull, encodeJson, toMillis, toMillisOrNull } from "../json-codec.ts";
import type { RunBlock, RunRecord, RunRequest } from "../records.ts";
import type { RunsTable } from "../schema.ts";

export type RunRow = Selectable<RunsTable>;

/** The two columns a RunState is written to. */
export interface EncodedState {
  state: string | null;
  generated_enc: string | null;
}

/**
 * The ciphertext of each run's generated values as last written by this process, by the object
 * that holds them: a run's states share one `generated` object (states are never mutated), so its
 * checkpoints write the same bytes again instead of encrypting them again for each transition.
 */
const sealed = new WeakMap<object, { cipher: StoreContext["cipher"]; text: string }>();

function encodeGenerated(ctx: StoreContext, generated: RunState["generated"] | undefined) {
  // No generated values read back as {} from a NULL column: nothing to encrypt.
  if (generated === undefined || Object.keys(generated).length === 0) return null;
  const known = sealed.get(generated);
  if (known !== undefined && known.cipher === ctx.cipher) return known.text;
  const text = ctx.cipher.encrypt(encodeJson(generated, "generated values"));
  sealed.set(generated, { cipher: ctx.cipher, text });
  return text;
}

export function encodeState(ctx: StoreContext, state: RunState | null | undefined): EncodedState {
  if (state === null || state === undefined) return { state: null, generated_enc: null };
  const { generated, ...rest } = state;
  return { state: encodeJson(rest, "run state"), generated_enc: encodeGenerated(ctx, generated) };
}

/** A column that could not be used, as the phrase that ends up in the run's error. */
class RowFault extends Error {}

function parseColumn(raw: unknown, what: string): unknown {
  try {
    return decodeJsonOrNull<unknown>(raw);
  } catch {
    throw new RowFault(`its ${what} is not valid JSON`);
  }
}

function decodeParams(row: RunRow): Record<string, JsonValue> {
  const params = parseColumn(row.params, "params");
  if (typeof params !== "object" || params === null || Array.isArray(params))
    throw new RowFault("its params are not a JSON object");
  return params as Record<string, JsonValue>;
}

function decodeGenerated(ctx: StoreContext, row: RunRow): unknown {
  if (row.generated_enc === null) return {};
  let text: string;
  try {
    text = ctx.cipher.decrypt(row.generated_enc);
  } catch {
    // A finished run never sends again, so it reads fine without them; an unfinished one would
    // send different values than it already sent.
    if (FINAL_STATUSES.has(row.status as RunStatus)) return {};
    throw new RowFault(
      "its generated values cannot be decrypted (the secret key changed or was lost)",
    );
  }
  return parseColumn(text, "generated values");
}

function decodeState(ctx: StoreContext, row: RunRow): RunState | null {
  const rest = parseColumn(row.state, "state");
  if (rest === null) return null;
  if (typeof rest !== "object" || Array.isArray(rest))
    throw new RowFault("its state is not a JSON object");
  const checked = parseRunState({ ...rest, generated: decodeGenerated(ctx, row) });
  if (!checked.ok) throw new RowFault(describeRunStateProblem(checked, "its state"));
  if (checked.state.runId !== row.id)
    throw new RowFault(`its state belongs to another run ("${checked.state.runId}")`);
  return checked.state;
}

/** The error a run row that cannot be trusted reads as (and is failed with when claimed). */
function rowFault(runId: string, reason: string): ErrorInfo {
  return problem("STATE_INVALID", "runRow", { runId, reason });
}

/** Reads a run row; a row that cannot be trusted reads as `failed` with `fault` set, never throws. */
export function toRun(ctx: StoreContext, row: RunRow): RunRecord {
  const base = {
    id: row.id,
    integrationId: row.integration_id,
    hireId: row.hire_id,
    block: row.block as RunBlock,
    idempotencyKey: row.idempotency_key,
    wakeAt: toMillisOrNull(row.wake_at),
    leaseOwner: row.lease_owner,
    leaseExpiresAt: toMillisOrNull(row.lease_expires_at),
    request: row.request as RunRequest | null,
    createdAt: toMillis(row.created_at),
    updatedAt: toMillis(row.updated_at),
    finishedAt: toMillisOrNull(row.finished_at),
    ...(row.erased_at !== null && row.erased_at !== undefined
      ? { erased: { at: toMillis(row.erased_at), reason: row.erased_reason ?? "erased" } }
      : {}),
  };
  let params: Record<string, JsonValue> = {};
  try {
    if (!(RUN_STATUSES as readonly string[]).includes(row.status))
      throw new RowFault(`its status ${JSON.stringify(row.status)} is not a run status`);
    if (!(RUN_BLOCKS as readonly string[]).includes(row.block))
      throw new RowFault(`its block ${JSON.stringify(row.block)} is not a manifest block`);
    params = decodeParams(row);
    return {
      ...base,
      status: row.status as RunStatus,
      params,
      state: decodeState(ctx, row),
      error: parseColumn(row.error, "error") as ErrorInfo | null,
    };
  } catch (error) {
    if (!(error instanceof RowFault)) throw error;
    const fault = rowFault(row.id, error.message);
    return {
      ...base,
      status: "failed",
      params,
      state: null,
      error: fault,
      finishedAt: base.finishedAt ?? base.updatedAt,
      fault,
    };
  }
}
