// Turns whatever a send threw (node socket errors, undici errors, our own HirewireErrors) into one
// ErrorInfo with a plain sentence for the admin and the low-level code kept in `details.cause`.
import { HirewireError, toErrorInfo, type ErrorInfo } from "../errors/index.ts";

/** Where the attempt was when it failed, so a reset can say what it interrupted. */
export interface FailureContext {
  url: URL;
  phase: "request" | "body";
  timedOut: boolean;
  cancelled: boolean;
  timeoutMs: number;
}

const RESET = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET", "UND_ERR_CLOSED", "ECONNABORTED"]);
const DNS = new Set(["ENOTFOUND", "EAI_AGAIN", "EAI_FAIL", "EAI_NODATA", "EAI_NONAME"]);
const UNREACHABLE = new Set(["EHOSTUNREACH", "ENETUNREACH", "EHOSTDOWN", "ENETDOWN"]);
const CONNECT_TIMEOUT = new Set(["ETIMEDOUT", "UND_ERR_CONNECT_TIMEOUT"]);
const UNDICI_TIMEOUT = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);

/** "30 s", "0.25 s": the timeout as the manifest's `timeout` would write it. */
export function formatSeconds(ms: number): string {
  return `${Math.round(ms) / 1000} s`;
}

/** The ErrorInfo for a failed attempt. */
export function describeFailure(error: unknown, context: FailureContext): ErrorInfo {
  const { url } = context;
  if (context.timedOut) return timeoutInfo(context);
  if (context.cancelled) {
    return { code: "CANCELLED", message: "request cancelled", details: { url: url.href } };
  }
  const ours = findInChain(error, (e) => e instanceof HirewireError);
  if (ours !== undefined) return toErrorInfo(ours);

  const code = findCode(error);
  const message = error instanceof Error ? error.message : String(error);
  const target = `${url.hostname}:${url.port || (url.protocol === "https:" ? "443" : "80")}`;
  const connection = (text: string): ErrorInfo => ({
    code: "HTTP_CONNECTION",
    message: text,
    details: { cause: code ?? message, url: url.href },
  });

  if (code === undefined) {
    return { code: "INTERNAL", message: `unexpected error while sending: ${message}` };
  }
  if (code === "ECONNREFUSED") return connection(`connection refused by ${target}`);
  // Not a network failure: retrying would only download the same bytes onto the same full disk.
  if (code === "ENOSPC" || code === "EDQUOT") {
    return {
      code: "DISK_FULL",
      message: `the disk is full: the response from ${target} could not be saved`,
      details: { cause: code, url: url.href },
    };
  }
  if (RESET.has(code)) {
    return connection(
      context.phase === "body"
        ? "connection reset while reading the response body"
        : `connection reset by ${target} before a response arrived`,
    );
  }
  if (DNS.has(code)) return connection(`could not resolve host ${url.hostname}`);
  if (UNREACHABLE.has(code)) return connection(`${target} is unreachable`);
  if (CONNECT_TIMEOUT.has(code)) return connection(`could not connect to ${target} in time`);
  if (UNDICI_TIMEOUT.has(code)) return timeoutInfo(context);
  if (code === "UND_ERR_RES_CONTENT_LENGTH_MISMATCH") {
    return connection("response body ended before its announced Content-Length");
  }
  if (code.startsWith("HPE_")) return connection(`${target} sent an invalid HTTP response`);
  if (code.includes("CERT") || code.startsWith("ERR_TLS") || code.startsWith("ERR_SSL")) {
    return connection(`secure connection to ${target} failed: ${message}`);
  }
  if (code.startsWith("UND_ERR_INVALID") || code.startsWith("ERR_INVALID")) {
    return {
      code: "INTERNAL",
      message: `could not build the request: ${message}`,
      details: { cause: code },
    };
  }
  if (code.startsWith("E")) return connection(`connection to ${target} failed (${code})`);
  return {
    code: "INTERNAL",
    message: `unexpected error while sending: ${message}`,
    details: { cause: code },
  };
}

function timeoutInfo(context: FailureContext): ErrorInfo {
  return {
    code: "HTTP_TIMEOUT",
    message: `no response within ${formatSeconds(context.timeoutMs)}`,
    details: { url: context.url.href, timeoutMs: context.timeoutMs, phase: context.phase },
  };
}

// Errors arrive wrapped: undici puts socket errors in `cause`, Happy Eyeballs connects throw an
// AggregateError of per-address errors.
function findInChain<T>(error: unknown, test: (e: unknown) => e is T): T | undefined;
function findInChain(error: unknown, test: (e: unknown) => boolean): unknown;
function findInChain(error: unknown, test: (e: unknown) => boolean): unknown {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0) {
    const current = queue.shift();
    if (current === undefined || current === null || seen.has(current)) continue;
    seen.add(current);
    if (test(current)) return current;
    if (typeof current === "object") {
      queue.push((current as { cause?: unknown }).cause);
      const inner = (current as { errors?: unknown }).errors;
      if (Array.isArray(inner)) queue.push(...(inner as unknown[]));
    }
  }
  return undefined;
}

function findCode(error: unknown): string | undefined {
  const withCode = findInChain(
    error,
    (e) => typeof e === "object" && typeof (e as { code?: unknown }).code === "string",
  );
  return withCode === undefined ? undefined : (withCode as { code: string }).code;
}
