// Sends one `email` notification as plain text through the configured SMTP server (nodemailer),
// turning nodemailer's failures into an ErrorInfo an admin can act on.
import { createTransport } from "nodemailer";
import { type ErrorInfo, HirewireError, problem } from "../errors/index.ts";
import type { Deadline } from "./deadline.ts";
import type { SmtpConfig } from "./notify-config.ts";

/** A rendered email: `to` may list several addresses separated by commas. */
export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
}

/** Sends the message; throws HirewireError on any failure. Resolves with the Message-ID. */
export async function sendEmail(
  message: EmailMessage,
  smtp: SmtpConfig,
  deadline: Deadline,
): Promise<{ messageId: string }> {
  const transport = createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure ?? false,
    ...(smtp.user !== undefined ? { auth: { user: smtp.user, pass: smtp.pass ?? "" } } : {}),
    // nodemailer's own defaults run to minutes; the notification's deadline bounds every wait.
    connectionTimeout: deadline.timeoutMs,
    greetingTimeout: deadline.timeoutMs,
    socketTimeout: deadline.timeoutMs,
    dnsTimeout: deadline.timeoutMs,
  });
  try {
    // nodemailer takes no AbortSignal: racing the deadline lets a cancelled run stop waiting,
    // and the socket timeouts above close the abandoned connection.
    const info = await Promise.race([
      transport.sendMail({
        from: smtp.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
      }),
      deadline.aborted,
    ]);
    return { messageId: info.messageId };
  } catch (error) {
    throw new HirewireError(
      deadline.reason("sending the email") ?? describeSmtpFailure(error, smtp),
      { cause: error },
    );
  } finally {
    transport.close();
  }
}

interface SmtpError {
  code?: string;
  responseCode?: number;
  response?: string;
  message?: string;
}

const CONNECTION_CODES = new Set([
  "ECONNECTION",
  "ESOCKET",
  "EDNS",
  "ETLS",
  "EPROXY",
  "ECONNREFUSED",
]);

/** The ErrorInfo for a nodemailer failure; SMTP reply codes are kept in details. */
function describeSmtpFailure(error: unknown, smtp: SmtpConfig): ErrorInfo {
  const e = (typeof error === "object" && error !== null ? error : {}) as SmtpError;
  const server = `${smtp.host}:${smtp.port}`;
  const details: Record<string, unknown> = { server };
  if (e.code !== undefined) details.cause = e.code;
  if (e.responseCode !== undefined) details.responseCode = e.responseCode;
  const reply = e.response?.trim() || e.message || String(error);
  if (e.code === "ETIMEDOUT") return problem("HTTP_TIMEOUT", "smtp", { server }, { details });
  if (e.code !== undefined && CONNECTION_CODES.has(e.code))
    return problem("HTTP_CONNECTION", "smtp", { server, reply }, { details });
  if (e.code === "EAUTH" || e.code === "ENOAUTH")
    return problem("HTTP_STATUS", "smtpLogin", { server, reply }, { details });
  if (e.responseCode !== undefined)
    return problem("HTTP_STATUS", "smtpEmail", { server, reply }, { details });
  return problem("INTERNAL", "email", { reply }, { details });
}
