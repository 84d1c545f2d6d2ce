// post_execute_notification after a successful `execute` run (docs/manifest.md): rendered with the
// variables the steps saw, sent one by one, masked before they are recorded. A notification that
// fails is recorded and never turns the succeeded run into a failed one.
import type { JsonValue } from "../manifest/types.ts";
import { blockOf } from "../engine/blocks.ts";
import type { RunContext, RunState } from "../engine/types.ts";
import { runScope } from "../engine/variables.ts";
import { sendNotifications, type NotificationResult, type NotifyConfig } from "../notify/index.ts";
import type { Redactor } from "../redact/index.ts";

/** True when this finished state should send the manifest's notifications. */
export function wantsNotifications(ctx: RunContext, state: RunState): boolean {
  const items =
    "post_execute_notification" in ctx.manifest
      ? ctx.manifest.post_execute_notification
      : undefined;
  return (
    state.status === "succeeded" &&
    blockOf(ctx) === "execute" &&
    items !== undefined &&
    items.length > 0
  );
}

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
  const results = await sendNotifications(
    items,
    runScope(ctx, state),
    config,
    signal !== undefined ? { signal } : {},
  );
  return redactor.redact(results);
}

/** Notifications as they are kept in the run state: sending (a crash here means "unknown"), or the results. */
export type NotificationsRecord =
  { status: "sending" } | { status: "sent"; results: NotificationResult[] };

export function notificationsRecord(record: NotificationsRecord): JsonValue {
  return record as unknown as JsonValue;
}
