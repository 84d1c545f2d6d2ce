// Sends one `text` notification through a Twilio-compatible Messages API: a form-encoded POST to
// {base}/2010-04-01/Accounts/{AccountSid}/Messages.json with Basic auth AccountSid:AuthToken.
import { request } from "undici";
import { type ErrorInfo, HirewireError, hirewireError, problem } from "../errors/index.ts";
import type { Deadline } from "./deadline.ts";
import { DEFAULT_TEXT_BASE_URL, type TextConfig } from "./notify-config.ts";

/** A rendered text message. */
export interface TextMessage {
  to: string;
  body: string;
}

// Twilio's answers are a few hundred bytes; anything past this is not worth keeping.
const MAX_ANSWER_BYTES = 64 * 1024;
const MAX_REASON_CHARS = 300;

/** The Messages endpoint for an account under a base URL (a trailing slash on the base is fine). */
export function messagesUrl(config: TextConfig): URL {
  const base = (config.baseUrl ?? DEFAULT_TEXT_BASE_URL).replace(/\/+$/, "");
  return new URL(
    `${base}/2010-04-01/Accounts/${encodeURIComponent(config.accountSid)}/Messages.json`,
  );
}

/** Sends the message; throws HirewireError on any failure. Resolves with the message's `sid`. */
export async function sendText(
  message: TextMessage,
  config: TextConfig,
  deadline: Deadline,
): Promise<{ messageId?: string }> {
  const url = messagesUrl(config);
  const credential = Buffer.from(`${config.accountSid}:${config.authToken}`).toString("base64");
  const form = new URLSearchParams({ To: message.to, From: config.from, Body: message.body });
  let status: number;
  let answer: string;
  try {
    const response = await request(url, {
      method: "POST",
      headers: {
        authorization: `Basic ${credential}`,
        "content-type": "application/x-www-form-urlencoded",
        accept: "application/json",
      },
      body: form.toString(),
      signal: deadline.signal,
      headersTimeout: deadline.timeoutMs,
      bodyTimeout: deadline.timeoutMs,
    });
    status = response.statusCode;
    answer = await readCapped(response.body);
  } catch (error) {
    throw new HirewireError(
      deadline.reason("sending the text message") ?? describeTextFailure(error, url),
      { cause: error },
    );
  }
  const json = parseJson(answer);
  if (status < 200 || status > 299) {
    const reason = typeof json?.message === "string" ? json.message : answer.trim();
    throw hirewireError(
      "HTTP_STATUS",
      "textApi",
      { status, reason: reason.slice(0, MAX_REASON_CHARS) },
      { details: { status, url: url.origin + url.pathname } },
    );
  }
  return typeof json?.sid === "string" ? { messageId: json.sid } : {};
}

async function readCapped(body: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= MAX_ANSWER_BYTES) break;
  }
  return Buffer.concat(chunks).subarray(0, MAX_ANSWER_BYTES).toString("utf8");
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function describeTextFailure(error: unknown, url: URL): ErrorInfo {
  const code = findCode(error);
  const reason = error instanceof Error ? error.message : String(error);
  return problem(
    "HTTP_CONNECTION",
    "textApi",
    { host: url.host, reason },
    { details: { cause: code ?? reason, url: url.origin + url.pathname } },
  );
}

/** The low-level code (ECONNREFUSED, UND_ERR_SOCKET, …), which undici sometimes keeps on a cause. */
function findCode(error: unknown): string | undefined {
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
  }
  return undefined;
}
