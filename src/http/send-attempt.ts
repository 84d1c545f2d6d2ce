// Sends one attempt of a step: one RequestSpec through undici, following redirects by hand so
// every hop is recorded and checked, with one deadline for the whole exchange. Never throws.
import { EventEmitter } from "node:events";
import type { Readable } from "node:stream";
import type { Dispatcher } from "undici";
import { hirewireError, problem, type ErrorInfo } from "../errors/index.ts";
import type {
  AttemptOutcome,
  RedirectHop,
  RequestSpec,
  ResponseRecord,
} from "../exchange/types.ts";
import type { FileStore } from "../files/index.ts";
import { describeFailure, type FailureContext } from "./describe-failure.ts";
import { Agent } from "./undici-parts.ts";
import {
  bareHost,
  checkedAgent,
  checkLiteralHost,
  resolveAndCheck,
  urlPort,
  type AddressCheck,
} from "./egress.ts";
import { normalizeHeaders, readBodyText, textResponse } from "./read-response.ts";
import { isRedirectStatus, nextHopRequest, type HopRequest, type SecretTest } from "./redirect.ts";
import { buildWireBody, headersForBody } from "./request-body.ts";
import { pritunlHeaders } from "./pritunl-sign.ts";

const DEFAULT_MAX_BODY_BYTES = 50 * 1024 * 1024;
const DEFAULT_MAX_FILE_BYTES = 5 * 1024 * 1024 * 1024;

export interface SendOptions {
  files: FileStore;
  runId: string;
  /** Max in-memory response body bytes (default 50 MiB). */
  maxBodyBytes?: number;
  /** Max bytes of a body saved as a file (default 5 GiB). */
  maxFileBytes?: number;
  /**
   * Egress check called with the hostname and every resolved IP before connecting and on every
   * redirect hop; return an error message to refuse. Pass one long-lived function: connections
   * are pooled per function.
   */
  checkAddress?: AddressCheck;
  signal?: AbortSignal;
  /**
   * Finds secrets in text: a redirect to another origin carries no header in which it finds
   * one, and fails with HTTP_REDIRECT_SECRET rather than resend a body holding one. Without it,
   * only Authorization and Cookie stay behind.
   */
  holdsSecret?: SecretTest;
  /** Overrides the shared keep-alive Agent (then `checkAddress` resolves before each hop). */
  dispatcher?: Dispatcher;
}

let sharedAgent: Agent | undefined;

// One process-wide keep-alive pool: a new Agent per attempt would pay a TCP (and TLS) handshake
// on every request.
function defaultAgent(): Agent {
  sharedAgent ??= new Agent();
  return sharedAgent;
}

/**
 * Sends `spec`, following up to `spec.maxRedirects` redirects, and returns what happened.
 * Every failure (connection, timeout, size cap, egress refusal, storage) is an `error` outcome.
 */
export async function sendAttempt(
  spec: RequestSpec,
  options: SendOptions,
): Promise<AttemptOutcome> {
  const started = performance.now();
  const redirects: RedirectHop[] = [];
  const elapsed = (): number => Math.round((performance.now() - started) * 100) / 100;
  const fail = (error: ErrorInfo, response?: ResponseRecord): AttemptOutcome => {
    const outcome: AttemptOutcome = { type: "error", error, durationMs: elapsed(), redirects };
    if (response !== undefined) outcome.response = response;
    return outcome;
  };

  let url: URL;
  try {
    url = new URL(spec.url);
  } catch {
    return fail(problem("URL_INVALID", "unparsable", { url: spec.url }));
  }
  if (options.signal?.aborted) {
    return fail(problem("CANCELLED", "request", {}, { details: { url: url.href } }));
  }

  const deadline = new Deadline(spec.timeoutMs, options.signal);
  const context: FailureContext = {
    url,
    phase: "request",
    timedOut: false,
    cancelled: false,
    timeoutMs: spec.timeoutMs,
  };
  let response: ResponseRecord | undefined;
  try {
    const origin = url.origin;
    let hop: HopRequest = {
      method: spec.method,
      url,
      headers: spec.headers,
      body: spec.body,
    };
    for (;;) {
      context.url = hop.url;
      context.phase = "request";
      // Without an egress check nothing needs awaiting: no extra turn per attempt.
      const dispatcher =
        options.checkAddress === undefined
          ? (options.dispatcher ?? defaultAgent())
          : await dispatcherFor(hop.url, options);
      const answer = await dispatcher.request({
        origin: hop.url.origin,
        path: hop.url.pathname + hop.url.search,
        method: hop.method,
        headers: headersForBody(
          // The signature carries the API token: it is for the origin the request was sent to.
          spec.sign !== undefined && hop.url.origin === origin
            ? [...hop.headers, ...pritunlHeaders(spec.sign, hop.method, hop.url.pathname)]
            : hop.headers,
          hop.body,
        ),
        body:
          hop.body.kind === "multipart"
            ? ((await buildWireBody(hop.body, options.files)) ?? null)
            : hop.body.kind === "text"
              ? hop.body.text
              : null,
        signal: deadline.signal,
        // The deadline covers connect, headers and body together; undici's own per-phase
        // timers would only add work and a second, differently worded timeout.
        headersTimeout: 0,
        bodyTimeout: 0,
      });
      const headers = normalizeHeaders(answer.headers);
      const location = isRedirectStatus(answer.statusCode) ? headers.location : undefined;
      context.phase = "body";
      if (location === undefined) {
        response = { status: answer.statusCode, headers, url: hop.url.href };
        return await finish(spec, options, answer.body, response, elapsed, redirects);
      }
      await answer.body.dump();
      const target = resolveLocation(location, hop.url);
      redirects.push({
        status: answer.statusCode,
        method: hop.method,
        url: hop.url.href,
        location: target.href,
      });
      if (redirects.length > spec.maxRedirects) {
        const { maxRedirects } = spec;
        return fail(
          problem(
            "HTTP_TOO_MANY_REDIRECTS",
            "redirects",
            { maxRedirects, url: spec.url },
            { details: { maxRedirects } },
          ),
        );
      }
      hop = nextHopRequest(hop, answer.statusCode, target, options.holdsSecret);
    }
  } catch (error) {
    context.timedOut = deadline.timedOut;
    context.cancelled = deadline.cancelled;
    return fail(describeFailure(error, context), response);
  } finally {
    deadline.dispose();
  }
}

/** Reads the final response: into a run file for a 2xx with `saveAs`, otherwise into memory. */
async function finish(
  spec: RequestSpec,
  options: SendOptions,
  body: Readable,
  head: ResponseRecord,
  elapsed: () => number,
  redirects: RedirectHop[],
): Promise<AttemptOutcome> {
  let response: ResponseRecord;
  if (spec.saveAs !== undefined && head.status >= 200 && head.status < 300) {
    const contentType = head.headers["content-type"] ?? "application/octet-stream";
    const file = await options.files.save(options.runId, spec.saveAs, body, {
      contentType,
      maxBytes: options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
    });
    response = { ...head, file };
  } else {
    const maxBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    const text = await readBodyText(body, head.headers, maxBytes);
    response = textResponse(head.status, head.headers, head.url, text);
  }
  return { type: "response", response, durationMs: elapsed(), redirects };
}

/** Picks the dispatcher for a hop, running the egress check where the dispatcher cannot. */
async function dispatcherFor(url: URL, options: SendOptions): Promise<Dispatcher> {
  const check = options.checkAddress;
  if (check === undefined) return options.dispatcher ?? defaultAgent();
  const host = bareHost(url);
  const port = urlPort(url);
  const literal = checkLiteralHost(host, check, port);
  if (options.dispatcher !== undefined) {
    if (!literal) await resolveAndCheck(host, check, port);
    return options.dispatcher;
  }
  return checkedAgent(check);
}

function resolveLocation(location: string, base: URL): URL {
  let target: URL;
  try {
    target = new URL(location, base);
  } catch {
    target = invalidLocation(location, base);
  }
  if (target.protocol !== "http:" && target.protocol !== "https:") {
    invalidLocation(location, base);
  }
  return target;
}

function invalidLocation(location: string, base: URL): never {
  throw hirewireError(
    "URL_INVALID",
    "redirectTarget",
    { from: base.href, location },
    { details: { location } },
  );
}

/**
 * undici's `signal` may be an EventEmitter that emits "abort" (with the error in `reason`).
 * Creating an AbortController, and the first listener on its signal, cost about 5 µs per attempt
 * on Node 20, more than the rest of the deadline's work together; an emitter costs a tenth.
 */
class AttemptSignal extends EventEmitter {
  reason: Error | undefined;

  constructor() {
    super();
    // Each redirect hop adds undici's listener; the last ones may linger until their body closes.
    this.setMaxListeners(0);
  }

  abort(reason: Error): void {
    if (this.reason !== undefined) return;
    this.reason = reason;
    this.emit("abort");
  }
}

/** One timer for the whole attempt, merged with the caller's cancel signal. */
class Deadline {
  readonly signal = new AttemptSignal();
  timedOut = false;
  cancelled = false;
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly outer: AbortSignal | undefined;
  private readonly onCancel = (): void => {
    this.cancelled = true;
    this.signal.abort(new Error("request cancelled"));
  };

  constructor(timeoutMs: number, outer: AbortSignal | undefined) {
    this.outer = outer;
    outer?.addEventListener("abort", this.onCancel, { once: true });
    if (Number.isFinite(timeoutMs) && timeoutMs > 0) {
      this.timer = setTimeout(() => {
        this.timedOut = true;
        this.signal.abort(new Error("attempt timed out"));
      }, timeoutMs);
    }
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.outer?.removeEventListener("abort", this.onCancel);
  }
}
