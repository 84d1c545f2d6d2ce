// A run's post_execute_notification record as the API and `hirewire … --json` show it: besides the raw results, how many
// were sent and not sent and one sentence saying so, so "sent" is never said of a message that
// was not (no SMTP server configured, a recipient that did not render, a refused send).
import type { JsonValue } from "../manifest/types.ts";

/** `sending`: under way (a crash here means unknown); then all, some or none were sent. */
export type NotificationsStatus = "sending" | "sent" | "partly_sent" | "not_sent";

interface ResultLike {
  index?: number;
  type?: string;
  to?: string;
  ok?: boolean;
  error?: { message?: string };
}

function asResults(value: unknown): ResultLike[] {
  return Array.isArray(value)
    ? value.filter((item): item is ResultLike => typeof item === "object" && item !== null)
    : [];
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

/** The notifications record of a run state → `{status, sent, not_sent, summary, results}`, or null. */
export function notificationsView(record: JsonValue | undefined): {
  status: NotificationsStatus;
  sent: number;
  not_sent: number;
  summary: string;
  results: JsonValue[];
} | null {
  if (
    record === undefined ||
    record === null ||
    typeof record !== "object" ||
    Array.isArray(record)
  )
    return null;
  if (record.status === "sending")
    return {
      status: "sending",
      sent: 0,
      not_sent: 0,
      summary: "notifications are being sent",
      results: [],
    };
  const results = asResults(record.results);
  const sent = results.filter((result) => result.ok === true).length;
  const failed = results.filter((result) => result.ok !== true);
  const status: NotificationsStatus =
    failed.length === 0 ? "sent" : sent === 0 ? "not_sent" : "partly_sent";
  const reasons = [...new Set(failed.map((result) => result.error?.message ?? "unknown reason"))];
  const summary =
    failed.length === 0
      ? `${plural(sent, "notification")} sent`
      : `${sent === 0 ? "no notification sent" : `${sent} of ${plural(results.length, "notification")} sent`}; ${failed.length} not sent: ${reasons.join("; ")}`;
  return {
    status,
    sent,
    not_sent: failed.length,
    summary,
    results: Array.isArray(record.results) ? record.results.map(resultView) : [],
  };
}

/** One result in the API's convention: snake_case (`message_id`; states keep `messageId`). */
function resultView(result: JsonValue): JsonValue {
  if (result === null || typeof result !== "object" || Array.isArray(result)) return result;
  const { messageId, ...rest } = result;
  return messageId === undefined ? rest : { ...rest, message_id: messageId };
}
