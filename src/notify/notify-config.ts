// Where post_execute_notification messages go: the SMTP server for `email` and the
// Twilio-compatible API for `text`. Read from the environment only at the edges (CLI, service
// start-up) and passed down, so the sender never reads process.env itself.
import { hirewireError } from "../errors/index.ts";

/** The SMTP server that sends `email` notifications. */
export interface SmtpConfig {
  host: string;
  port: number;
  /** TLS from the first byte (usually port 465); otherwise STARTTLS when the server offers it. */
  secure?: boolean;
  user?: string;
  pass?: string;
  /** The sender address, e.g. `"Onboarding" <onboarding@example.com>`. */
  from: string;
}

/** The Twilio-compatible HTTP API that sends `text` notifications. */
export interface TextConfig {
  /** Default https://api.twilio.com; messages are POSTed to `{baseUrl}/2010-04-01/Accounts/{accountSid}/Messages.json`. */
  baseUrl?: string;
  accountSid: string;
  authToken: string;
  /** The sender phone number. */
  from: string;
}

/** Both channels; a channel left out makes its notifications fail with a clear error. */
export interface NotifyConfig {
  smtp?: SmtpConfig;
  text?: TextConfig;
}

export const DEFAULT_TEXT_BASE_URL = "https://api.twilio.com";

const SMTP_VARS = ["HOST", "PORT", "SECURE", "USER", "PASS", "FROM"].map(
  (k) => `HIREWIRE_SMTP_${k}`,
);
const TEXT_VARS = ["BASE_URL", "ACCOUNT_SID", "AUTH_TOKEN", "FROM"].map(
  (k) => `HIREWIRE_TWILIO_${k}`,
);

/**
 * Reads HIREWIRE_SMTP_HOST/PORT/SECURE/USER/PASS/FROM and
 * HIREWIRE_TWILIO_BASE_URL/ACCOUNT_SID/AUTH_TOKEN/FROM. A channel with none of its variables set
 * is left out; a half-configured one throws INPUT_INVALID naming what is missing, so a typo is
 * found at start-up rather than after the first successful run.
 */
export function notifyConfigFromEnv(env: NodeJS.ProcessEnv): NotifyConfig {
  const config: NotifyConfig = {};
  const smtp = smtpFromEnv(env);
  if (smtp) config.smtp = smtp;
  const text = textFromEnv(env);
  if (text) config.text = text;
  return config;
}

function value(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw === undefined || raw === "" ? undefined : raw;
}

function requireAll(env: NodeJS.ProcessEnv, names: string[], what: string): void {
  const missing = names.filter((name) => value(env, name) === undefined);
  if (missing.length > 0) {
    throw hirewireError(
      "INPUT_INVALID",
      "halfConfigured",
      { what, missing },
      { details: { missing } },
    );
  }
}

function smtpFromEnv(env: NodeJS.ProcessEnv): SmtpConfig | undefined {
  if (SMTP_VARS.every((name) => value(env, name) === undefined)) return undefined;
  requireAll(env, ["HIREWIRE_SMTP_HOST", "HIREWIRE_SMTP_FROM"], "email notifications");
  const user = value(env, "HIREWIRE_SMTP_USER");
  const pass = value(env, "HIREWIRE_SMTP_PASS");
  if ((user === undefined) !== (pass === undefined)) {
    requireAll(env, ["HIREWIRE_SMTP_USER", "HIREWIRE_SMTP_PASS"], "email notifications");
  }
  const secure = parseBoolean(env, "HIREWIRE_SMTP_SECURE");
  const smtp: SmtpConfig = {
    host: value(env, "HIREWIRE_SMTP_HOST") as string,
    port: parsePort(env, secure ? 465 : 587),
    secure,
    from: value(env, "HIREWIRE_SMTP_FROM") as string,
  };
  if (user !== undefined && pass !== undefined) {
    smtp.user = user;
    smtp.pass = pass;
  }
  return smtp;
}

function textFromEnv(env: NodeJS.ProcessEnv): TextConfig | undefined {
  if (TEXT_VARS.every((name) => value(env, name) === undefined)) return undefined;
  requireAll(
    env,
    ["HIREWIRE_TWILIO_ACCOUNT_SID", "HIREWIRE_TWILIO_AUTH_TOKEN", "HIREWIRE_TWILIO_FROM"],
    "text notifications",
  );
  const baseUrl = value(env, "HIREWIRE_TWILIO_BASE_URL") ?? DEFAULT_TEXT_BASE_URL;
  if (!URL.canParse(baseUrl) || !/^https?:$/.test(new URL(baseUrl).protocol)) {
    throw hirewireError("INPUT_INVALID", "setting", {
      name: "HIREWIRE_TWILIO_BASE_URL",
      rule: "an http(s) URL",
      got: baseUrl,
    });
  }
  return {
    baseUrl,
    accountSid: value(env, "HIREWIRE_TWILIO_ACCOUNT_SID") as string,
    authToken: value(env, "HIREWIRE_TWILIO_AUTH_TOKEN") as string,
    from: value(env, "HIREWIRE_TWILIO_FROM") as string,
  };
}

function parseBoolean(env: NodeJS.ProcessEnv, name: string): boolean {
  const raw = value(env, name)?.toLowerCase();
  if (raw === undefined || raw === "false" || raw === "0" || raw === "no") return false;
  if (raw === "true" || raw === "1" || raw === "yes") return true;
  throw hirewireError("INPUT_INVALID", "setting", { name, rule: "true or false", got: env[name] });
}

function parsePort(env: NodeJS.ProcessEnv, fallback: number): number {
  const raw = value(env, "HIREWIRE_SMTP_PORT");
  if (raw === undefined) return fallback;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port < 1 || port > 65535) {
    throw hirewireError("INPUT_INVALID", "setting", {
      name: "HIREWIRE_SMTP_PORT",
      rule: "a port number from 1 to 65535",
      got: raw,
    });
  }
  return port;
}
