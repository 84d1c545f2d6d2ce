// Carrying out the engine's `notify` command (docs/manifest.md): post_execute_notification rendered
// with the variables the steps saw, sent one by one, masked before they are recorded. This never
// throws: a notification that fails is a result with ok:false, never a failed run.
import { toErrorInfo, type ErrorInfo } from "../errors/index.ts";
import type { JsonValue } from "../manifest/types.ts";
import type { RunContext, RunState } from "../engine/types.ts";
import { runScope } from "../engine/variables.ts";
import { sendNotifications, type NotificationResult, type NotifyConfig } from "../notify/index.ts";
import type { Redactor } from "../redact/index.ts";

/** Sends the notifications; the results come back masked, ready to record. */
export async function notifyAfterSuccess(
  ctx: RunContext,
  state: RunState,
  config: NotifyConfig,
  redactor: Redactor,
  signal?: AbortSignal,
): Promise<NotificationResult[]> {
  const items =
    "post_execute_notification" in ctx.manifest
      ? (ctx.manifest.post_execute_notification ?? [])
      : [];
  let results: NotificationResult[];
  try {
    results = await sendNotifications(
      items,
      runScope(ctx, state),
      config,
      signal !== undefined ? { signal } : {},
    );
  } catch (error) {
    // sendNotifications never throws; should anything around it, every item is "not sent".
    const info = toErrorInfo(error);
    results = items.map((item, index) => ({
      index,
      type: item.type,
      to: item.to,
      ok: false,
      error: info,
    }));
  }
  return redactor.redact(results);
}

/** The results as the run state keeps them: plain JSON, field by field. */
export function notificationsJson(results: NotificationResult[]): JsonValue[] {
  return results.map((result) => {
    const json: Record<string, JsonValue> = {
      index: result.index,
      type: result.type,
      to: result.to,
      ok: result.ok,
    };
    if (result.error !== undefined) json.error = errorJson(result.error);
    if (result.messageId !== undefined) json.messageId = result.messageId;
    return json;
  });
}

function errorJson(error: ErrorInfo): JsonValue {
  const json: Record<string, JsonValue> = { code: error.code, message: error.message };
  if (error.path !== undefined) json.path = error.path;
  if (error.step !== undefined) json.step = error.step;
  if (error.details !== undefined) json.details = plainJson(error.details);
  return json;
}

/** Details are JSON by contract (ErrorInfo is stored as is); undefined members are dropped. */
function plainJson(value: unknown): JsonValue {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (Array.isArray(value)) return value.map(plainJson);
  if (typeof value === "object") {
    const out: Record<string, JsonValue> = {};
    for (const [key, member] of Object.entries(value)) {
      if (member !== undefined) out[key] = plainJson(member);
    }
    return out;
  }
  return null;
}
