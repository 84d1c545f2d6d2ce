// Turns whatever a send threw (node socket errors, undici errors, our own HirewireErrors) into one
// ErrorInfo with a plain sentence for the admin and the low-level code kept in `details.cause`.
import {
  HirewireError,
  problem,
  toErrorInfo,
  type ErrorFacts,
  type ErrorInfo,
  type ErrorSituation,
} from "../errors/index.ts";

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

/** The ErrorInfo for a failed attempt. */
export function describeFailure(error: unknown, context: FailureContext): ErrorInfo {
  const { url } = context;
  if (context.timedOut) return timeoutInfo(context);
  if (context.cancelled) {
    return problem("CANCELLED", "request", {}, { details: { url: url.href } });
  }
  const ours = findInChain(error, (e) => e instanceof HirewireError);
  if (ours !== undefined) return toErrorInfo(ours);

  const code = findCode(error);
  const reason = error instanceof Error ? error.message : String(error);
  const target = `${url.hostname}:${url.port || (url.protocol === "https:" ? "443" : "80")}`;
  const connection = <S extends ErrorSituation<"HTTP_CONNECTION">>(
    situation: S,
    facts: ErrorFacts<"HTTP_CONNECTION", S>,
  ): ErrorInfo =>
    problem("HTTP_CONNECTION", situation, facts, {
      details: { cause: code ?? reason, url: url.href },
    });

  if (code === undefined) return problem("INTERNAL", "sending", { reason });
  if (code === "ECONNREFUSED") return connection("refused", { target });
  // Not a network failure: retrying would only download the same bytes onto the same full disk.
  if (code === "ENOSPC" || code === "EDQUOT") {
    return problem(
      "DISK_FULL",
      "response",
      { target },
      { details: { cause: code, url: url.href } },
    );
  }
  if (RESET.has(code)) {
    return context.phase === "body"
      ? connection("resetInBody", {})
      : connection("reset", { target });
  }
  if (DNS.has(code)) return connection("dns", { host: url.hostname });
  if (UNREACHABLE.has(code)) return connection("unreachable", { target });
  if (CONNECT_TIMEOUT.has(code)) return connection("connectTimeout", { target });
  if (UNDICI_TIMEOUT.has(code)) return timeoutInfo(context);
  if (code === "UND_ERR_RES_CONTENT_LENGTH_MISMATCH") return connection("shortBody", {});
  if (code.startsWith("HPE_")) return connection("invalidHttp", { target });
  if (code.includes("CERT") || code.startsWith("ERR_TLS") || code.startsWith("ERR_SSL")) {
    return connection("tls", { target, reason });
  }
  if (code.startsWith("UND_ERR_INVALID") || code.startsWith("ERR_INVALID")) {
    return problem("INTERNAL", "buildRequest", { reason }, { details: { cause: code } });
  }
  if (code.startsWith("E")) return connection("other", { target, cause: code });
  return problem("INTERNAL", "sending", { reason }, { details: { cause: code } });
}

function timeoutInfo(context: FailureContext): ErrorInfo {
  const { timeoutMs } = context;
  return problem(
    "HTTP_TIMEOUT",
    "noResponse",
    { timeoutMs },
    { details: { url: context.url.href, timeoutMs, phase: context.phase } },
  );
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
