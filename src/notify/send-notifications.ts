// post_execute_notification (docs/manifest.md): after a successful `execute` run, each item is
// rendered with the run's variables and sent, in order, as an email or a text message. A failed
// item yields a result with ok:false and never stops the others or throws: a notification that
// could not be sent must not turn a succeeded run into a failed one.
import { type ErrorInfo, placeError, problem, toErrorInfo } from "../errors/index.ts";
import type { Notification } from "../manifest/types.ts";
import { renderTemplate, type Scope } from "../template/index.ts";
import { startDeadline, type Deadline } from "./deadline.ts";
import type { NotifyConfig } from "./notify-config.ts";

/** What happened to one item of post_execute_notification. */
export interface NotificationResult {
  /** Index of the item in post_execute_notification. */
  index: number;
  type: "email" | "text";
  /** The rendered recipient (the raw template when `to` failed to render). May hold secrets: mask before recording. */
  to: string;
  ok: boolean;
  /** Why it was not sent (ok:false). Its path points into the manifest for template errors. */
  error?: ErrorInfo;
  /** The SMTP Message-ID or the text API's message sid. */
  messageId?: string;
}

export interface SendNotificationsOptions {
  /** Cancels sending; items not yet sent get a CANCELLED result. */
  signal?: AbortSignal;
  /** Deadline of each item's send (default 30 s). */
  timeoutMs?: number;
}

const DEFAULT_NOTIFY_TIMEOUT_MS = 30_000;
const DEFAULT_SUBJECT = "Notification from hirewire";

/**
 * Renders and sends every notification, one after another, and never throws. `scope` is the
 * scope the run's steps saw at its end (`runScope(ctx, state)`): hire props, stored fields
 * including those this run stored, secrets, params, responses.
 */
export async function sendNotifications(
  items: readonly Notification[],
  scope: Scope,
  config: NotifyConfig,
  options: SendNotificationsOptions = {},
): Promise<NotificationResult[]> {
  const results: NotificationResult[] = [];
  for (const [index, item] of items.entries()) {
    results.push(await sendOne(index, item, scope, config, options));
  }
  return results;
}

async function sendOne(
  index: number,
  item: Notification,
  scope: Scope,
  config: NotifyConfig,
  options: SendNotificationsOptions,
): Promise<NotificationResult> {
  const result: NotificationResult = { index, type: item.type, to: item.to, ok: false };
  const path = `post_execute_notification[${index}]`;
  try {
    if (options.signal?.aborted) {
      result.error = problem("CANCELLED", "notification", {}, { path });
      return result;
    }
    // Every field renders before anything is sent, so an unknown variable anywhere sends nothing.
    const to = renderField(item.to, scope, `${path}.to`);
    result.to = to;
    const subject =
      item.subject === undefined ? undefined : renderField(item.subject, scope, `${path}.subject`);
    const message = renderField(item.message, scope, `${path}.message`);
    if (to.trim() === "") {
      result.error = problem("INPUT_INVALID", "emptyRecipient", {}, { path: `${path}.to` });
      return result;
    }
    if (item.type === "email") {
      if (!config.smtp) {
        result.error = notConfigured(path, "email", "HIREWIRE_SMTP_HOST and HIREWIRE_SMTP_FROM");
        return result;
      }
      const email = { to, subject: subject ?? DEFAULT_SUBJECT, text: message };
      // nodemailer (and undici's request, below) load only when a notification is sent.
      const { sendEmail } = await import("./send-email.ts");
      result.messageId = (await sendEmail(email, config.smtp, deadlineOf(options))).messageId;
    } else {
      if (!config.text) {
        result.error = notConfigured(
          path,
          "text",
          "HIREWIRE_TWILIO_ACCOUNT_SID, HIREWIRE_TWILIO_AUTH_TOKEN and HIREWIRE_TWILIO_FROM",
        );
        return result;
      }
      const { sendText } = await import("./send-text.ts");
      const sent = await sendText({ to, body: message }, config.text, deadlineOf(options));
      if (sent.messageId !== undefined) result.messageId = sent.messageId;
    }
    result.ok = true;
  } catch (error) {
    const info = toErrorInfo(error);
    result.error = { ...info, path: info.path ?? path };
  }
  return result;
}

/** Renders one field; a template error carries the field's path in the manifest. */
function renderField(source: string, scope: Scope, path: string): string {
  try {
    return renderTemplate(source, scope);
  } catch (error) {
    throw placeError(error, { path });
  }
}

function deadlineOf(options: SendNotificationsOptions): Deadline {
  return startDeadline(options.timeoutMs ?? DEFAULT_NOTIFY_TIMEOUT_MS, options.signal);
}

function notConfigured(path: string, type: string, variables: string): ErrorInfo {
  return problem("INPUT_MISSING", "notifyNotConfigured", { type, variables }, { path });
}
