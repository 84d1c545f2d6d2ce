// Sends one attempt of a step: one RequestSpec through undici, following redirects by hand so
// every hop is recorded and checked, with one deadline for the whole exchange. Never throws.
import type { Dispatcher } from "undici";
import { hirewireError, problem, type ErrorInfo } from "../errors/index.ts";
import type { Readable } from "node:stream";
import type {
  AttemptOutcome,
  FileRef,
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
import { Hop, type BodyChooser, type BodyMode, type HopHead } from "./hop.ts";
import { textResponse } from "./read-response.ts";
import { isRedirectStatus, nextHopRequest, type HopRequest, type SecretTest } from "./redirect.ts";
import { buildWireBody, headersForBody } from "./request-body.ts";
import { pritunlHeaders } from "./pritunl-sign.ts";
import { ObjectSlot } from "../json/object-slot.ts";
import { Deadlines, SHORT_MS, type Expiring } from "./deadlines.ts";

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
export function sendAttempt(spec: RequestSpec, options: SendOptions): Promise<AttemptOutcome> {
  return new Attempt(spec, options).send();
}

/**
 * The first hop of a request as undici takes it, worked out once per RequestSpec: strings only,
 * no URL object (a parsed URL is made again when a redirect, an egress check or a failure's
 * sentence needs one). Requests wait between polls by the thousand, each keeping this.
 */
interface FirstHop {
  /** The URL as parsed (normalised); the spec's own string when parsing did not change it. */
  href: string;
  origin: string;
  path: string;
  headers: string[];
}

// A poll or a retry sends the very same RequestSpec again (specs are never mutated). Kept on the
// spec itself, not in a WeakMap: specs come and go by the thousand a second.
const firstHops = new ObjectSlot<RequestSpec, FirstHop>();

/** The last origin worked out: every request to the same API shares the one string. */
let lastOrigin = "";

/** The spec's first hop; throws when its URL does not parse. */
function firstHop(spec: RequestSpec): FirstHop {
  let first = firstHops.get(spec);
  if (first === undefined) {
    const url = new URL(spec.url);
    const href = url.href;
    let origin = url.origin;
    if (origin === lastOrigin) origin = lastOrigin;
    else lastOrigin = origin;
    first = {
      href: href === spec.url ? spec.url : href,
      origin,
      path: url.pathname + url.search,
      headers: headersForBody(spec.headers, spec.body),
    };
    firstHops.set(spec, first);
  }
  return first;
}

/** The deadlines of every attempt in this process (one timer for them all). */
const deadlines = new Deadlines();

/** How many attempts' deadlines are armed in the shared deadlines now (for tests). */
export function pendingDeadlines(): number {
  return deadlines.pending;
}

/** No redirects: shared by every attempt that had none (most), never written to. */
const NO_REDIRECTS: RedirectHop[] = Object.freeze([]) as unknown as RedirectHop[];

/**
 * One attempt: where it is (what a failure's sentence needs), its redirects, and one deadline for
 * the whole exchange, merged with the caller's cancel signal. One object rather than a closure,
 * a context and a timer object each: thousands of attempts wait for their answers at once.
 */
class Attempt implements FailureContext, BodyChooser, Expiring {
  phase: "request" | "body" = "request";
  timedOut = false;
  cancelled = false;
  readonly timeoutMs: number;
  private readonly started = performance.now();
  private redirects = NO_REDIRECTS;
  /** The final answer's head, once it came: an error in its body keeps it. */
  private response: ResponseRecord | undefined;
  /** The hop being sent: aborted when the deadline fires. */
  private hop: Hop | undefined;
  /** Why the deadline fired, once it did. */
  private reason: Error | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Where the shared deadlines keep this attempt's deadline (see deadlines.ts). */
  deadlineBucket = -1;
  deadlineIndex = 0;
  private onCancel: (() => void) | undefined;
  private readonly spec: RequestSpec;
  private readonly options: SendOptions;
  /** The spec's first hop, once its URL parsed. */
  private first: FirstHop | undefined;
  /** The URL of the hop being sent; for the first hop, made only when something asks for it. */
  private hopUrl: URL | undefined;

  constructor(spec: RequestSpec, options: SendOptions) {
    this.spec = spec;
    this.options = options;
    this.timeoutMs = spec.timeoutMs;
  }

  /** Where the attempt is: the hop being sent (what a failure's sentence names). */
  get url(): URL {
    return (this.hopUrl ??= new URL(this.first!.href));
  }

  async send(): Promise<AttemptOutcome> {
    const { spec, options } = this;
    let first: FirstHop;
    try {
      first = firstHop(spec);
    } catch {
      return this.fail(problem("URL_INVALID", "unparsable", { url: spec.url }));
    }
    this.first = first;
    const signal = options.signal;
    if (signal?.aborted) {
      return this.fail(problem("CANCELLED", "request", {}, { details: { url: first.href } }));
    }
    this.arm(signal);
    // The request and the redirects it leads to, in this one frame: thousands may be in flight.
    try {
      const origin = first.origin;
      const maxBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
      // The first hop's URL is the lazy `this.url` until a redirect names the next one.
      let hop: HopRequest | undefined;
      for (;;) {
        this.hopUrl = hop?.url ?? this.hopUrl;
        this.phase = "request";
        // Without an egress check nothing needs awaiting: no extra turn per attempt.
        const dispatcher =
          options.checkAddress === undefined
            ? (options.dispatcher ?? defaultAgent())
            : await dispatcherFor(this.url, options);
        const method = hop?.method ?? spec.method;
        const headers = hop?.headers ?? spec.headers;
        const hopBody = hop?.body ?? spec.body;
        const body =
          hopBody.kind === "multipart"
            ? ((await buildWireBody(hopBody, options.files)) ?? null)
            : hopBody.kind === "text"
              ? hopBody.text
              : null;
        const exchange = new Hop(this, maxBytes);
        this.hop = exchange;
        if (this.reason !== undefined) exchange.abort(this.reason);
        const firstAsIs = hop === undefined && spec.sign === undefined;
        const url = firstAsIs ? undefined : this.url;
        dispatcher.dispatch(
          {
            origin: url === undefined ? first.origin : url.origin,
            path: url === undefined ? first.path : url.pathname + url.search,
            method,
            headers:
              url === undefined
                ? first.headers
                : headersForBody(
                    // The signature carries the API token: it is for the origin the request was sent to.
                    spec.sign !== undefined && url.origin === origin
                      ? [...headers, ...pritunlHeaders(spec.sign, method, url.pathname)]
                      : headers,
                    hopBody,
                  ),
            body,
            // The deadline covers connect, headers and body together; undici's own per-phase
            // timers would only add work and a second, differently worded timeout.
            headersTimeout: 0,
            bodyTimeout: 0,
          },
          exchange,
        );
        const answer = await exchange.answer;
        const location = isRedirectStatus(answer.status) ? answer.headers.location : undefined;
        if (location === undefined) {
          // The record the hop's head became (`bodyMode`).
          const head = this.response!;
          if (answer.stream === undefined) return this.answered(textRecord(head, answer.bytes));
          const file = await saveFile(spec, options, answer.stream, head);
          return this.answered({ ...head, file });
        }
        const from = this.url;
        const target = resolveLocation(location, from);
        if (this.redirects === NO_REDIRECTS) this.redirects = [];
        this.redirects.push({
          status: answer.status,
          method,
          url: from.href,
          location: target.href,
        });
        if (this.redirects.length > spec.maxRedirects) {
          const { maxRedirects } = spec;
          return this.fail(
            problem(
              "HTTP_TOO_MANY_REDIRECTS",
              "redirects",
              { maxRedirects, url: spec.url },
              { details: { maxRedirects } },
            ),
          );
        }
        // Called as the options' method: a host may be its own SendOptions.
        const holdsSecret = options.holdsSecret;
        hop = nextHopRequest(
          { method, url: from, headers, body: hopBody },
          answer.status,
          target,
          holdsSecret === undefined ? undefined : (text) => holdsSecret.call(options, text),
        );
      }
    } catch (error) {
      return this.fail(describeFailure(error, this), this.response);
    } finally {
      if (this.timer !== undefined) clearTimeout(this.timer);
      else deadlines.disarm(this);
      if (this.onCancel !== undefined) signal?.removeEventListener("abort", this.onCancel);
    }
  }

  /**
   * What becomes of a body (called by the hop when its head arrives): a 2xx answer to a request
   * with `saveAs` streams into a run file, a redirect's body is dropped, the rest is read.
   */
  bodyMode(head: HopHead): BodyMode {
    this.phase = "body";
    if (isRedirectStatus(head.status) && head.headers.location !== undefined) return "discard";
    const final: ResponseRecord = {
      status: head.status,
      headers: head.headers,
      url: this.hopUrl?.href ?? this.first!.href,
    };
    this.response = final;
    return this.spec.saveAs !== undefined && head.status >= 200 && head.status < 300
      ? "stream"
      : "collect";
  }

  private arm(signal: AbortSignal | undefined): void {
    if (signal !== undefined) {
      this.onCancel = () => {
        this.cancelled = true;
        this.expire(new Error("request cancelled"));
      };
      signal.addEventListener("abort", this.onCancel, { once: true });
    }
    const ms = this.timeoutMs;
    if (!Number.isFinite(ms) || ms <= 0) return;
    // A long deadline is a slot in the shared deadlines; a short one keeps a timer of its own.
    if (ms >= SHORT_MS) deadlines.arm(this, ms);
    else this.timer = setTimeout(timeUp, ms, this);
  }

  /** The deadline passed (called by the shared deadlines). */
  expireDeadline(): void {
    timeUp(this);
  }

  /** The deadline fired: the hop being sent, or the next one, is aborted. */
  expire(reason: Error): void {
    if (this.reason !== undefined) return;
    this.reason = reason;
    this.hop?.abort(reason);
  }

  private answered(response: ResponseRecord): AttemptOutcome {
    return { type: "response", response, durationMs: this.elapsed(), redirects: this.redirects };
  }

  private elapsed(): number {
    return Math.round((performance.now() - this.started) * 100) / 100;
  }

  private fail(error: ErrorInfo, response?: ResponseRecord): AttemptOutcome {
    const outcome: AttemptOutcome = {
      type: "error",
      error,
      durationMs: this.elapsed(),
      redirects: this.redirects,
    };
    if (response !== undefined) outcome.response = response;
    return outcome;
  }
}

function timeUp(attempt: Attempt): void {
  attempt.timedOut = true;
  attempt.expire(new Error("attempt timed out"));
}

/** An answer read into memory, as a record. */
function textRecord(head: ResponseRecord, bytes: Buffer | undefined): ResponseRecord {
  const text = bytes === undefined ? "" : bytes.toString("utf8");
  return textResponse(head.status, head.headers, head.url, text);
}

/** Streams a 2xx body into the run file `spec.saveAs`. */
function saveFile(
  spec: RequestSpec,
  options: SendOptions,
  body: Readable,
  head: ResponseRecord,
): Promise<FileRef> {
  return options.files.save(options.runId, spec.saveAs!, body, {
    contentType: head.headers["content-type"] ?? "application/octet-stream",
    maxBytes: options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
  });
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
