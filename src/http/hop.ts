// One hop of an attempt, on undici's dispatch API: the head parsed straight from the raw header
// buffers and the body taken chunk by chunk from the connection. undici's `request()` wraps the
// same call in an async resource, a Readable stream per body (with its state, buffer list and
// listeners) and an abort-signal listener; with thousands of requests in flight those objects
// outlived young-generation collections and were most of what an attempt left for the old one.
// Only a body saved as a file gets a stream here, because its consumer writes at its own pace.
import { createRequire } from "node:module";
import { Readable } from "node:stream";
import type { Dispatcher } from "undici";
import { hirewireError, type HirewireError } from "../errors/index.ts";

const require = createRequire(import.meta.url);

// undici's own header-name decoder: known names come back as shared lower-case strings.
const { bufferToLowerCasedHeaderName } = require("undici/lib/core/util.js") as {
  bufferToLowerCasedHeaderName(name: Buffer): string;
};

/** What becomes of a response's body, decided when its head arrives. */
export type BodyMode = "collect" | "discard" | "stream";

/** A response's status and headers (lower-cased names; repeats joined with ", "). */
export interface HopHead {
  status: number;
  headers: Record<string, string>;
}

/** Picks what becomes of a body when its head arrives. */
export interface BodyChooser {
  bodyMode(head: HopHead): BodyMode;
}

/** What a hop answered: the head, and the body as its mode wants it. */
export interface HopAnswer extends HopHead {
  /** "collect": the body's bytes; undefined when it was empty. */
  bytes?: Buffer | undefined;
  /** "stream": the body, read at the consumer's pace. */
  stream?: Readable;
}

/** Bytes of a redirect's body read (to keep the connection) before the connection is dropped. */
const DISCARD_LIMIT = 128 * 1024;

/**
 * undici's handler for one request. `answer` settles once: when the body is complete ("collect",
 * "discard"), when the head arrives ("stream"), or with the error that ended the exchange.
 * `abort` ends it from outside (the attempt's deadline, a cancel) at any point, even while the
 * request still waits for a connection.
 */
export class Hop implements Dispatcher.DispatchHandler {
  readonly answer: Promise<HopAnswer>;
  /** Set when the head arrived: the response an error after it belongs to. */
  head: HopHead | undefined;
  #resolve!: (answer: HopAnswer) => void;
  #reject!: (error: Error) => void;
  #settled = false;
  #complete = false;
  #aborted: Error | undefined;
  #abortWire: ((reason: Error) => void) | undefined;
  #mode: BodyMode = "collect";
  /** The body's first chunk; the later ones, when there are any (most bodies come in one). */
  #first: Buffer | undefined;
  #more: Buffer[] | undefined;
  #size = 0;
  #stream: Readable | undefined;
  readonly #chooser: BodyChooser;
  readonly #maxBytes: number;

  /** `chooser` picks the body's mode from the head; "collect" fails past `maxBytes`. */
  constructor(chooser: BodyChooser, maxBytes: number) {
    this.#chooser = chooser;
    this.#maxBytes = maxBytes;
    this.answer = new Promise<HopAnswer>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /** Ends the exchange with `reason` (once); the answer fails with it unless it already settled. */
  abort(reason: Error): void {
    if (this.#aborted !== undefined) return;
    this.#aborted = reason;
    // undici answers with onError (at once, or when the request reaches a connection).
    if (this.#abortWire !== undefined) this.#abortWire(reason);
    // Still queued for a connection: fail now, and abort it as soon as undici starts it.
    else this.#fail(reason);
  }

  onConnect(abort: (reason?: Error) => void): void {
    if (this.#aborted !== undefined) abort(this.#aborted);
    else this.#abortWire = abort;
  }

  onHeaders(status: number, raw: Buffer[], resume: () => void): boolean {
    // 1xx: informational, the real answer follows.
    if (status < 200) return true;
    const head: HopHead = { status, headers: headerRecord(raw) };
    this.head = head;
    const mode = this.#chooser.bodyMode(head);
    this.#mode = mode;
    if (mode === "collect") {
      // A declared length already over the cap fails before a byte is read.
      if (Number(head.headers["content-length"]) > this.#maxBytes) {
        this.abort(tooLarge(this.#maxBytes));
        return false;
      }
    } else if (mode === "stream") {
      const stream = new Readable({
        read: resume,
        // A consumer that stops reading (its disk is full) lets the connection go.
        destroy: (error, callback) => {
          if (!this.#complete) this.abort(error ?? new Error("the body was not read to its end"));
          callback(error);
        },
      });
      // Until its consumer listens (it may first create a folder), an error must not go unheard:
      // an "error" event without a listener would end the process. The consumer still sees it.
      stream.on("error", ignore);
      this.#stream = stream;
      this.#settle({ status, headers: head.headers, stream });
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.#size += chunk.length;
    switch (this.#mode) {
      case "collect":
        if (this.#size > this.#maxBytes) {
          this.abort(tooLarge(this.#maxBytes));
          return false;
        }
        if (this.#first === undefined) this.#first = chunk;
        else (this.#more ??= []).push(chunk);
        return true;
      case "stream":
        return this.#stream!.push(chunk);
      case "discard":
        // A long redirect body is not worth reading: drop the connection and go on.
        if (this.#size > DISCARD_LIMIT) {
          this.#settle(this.head!);
          this.abort(new Error("redirect body not read"));
          return false;
        }
        return true;
    }
  }

  onComplete(): void {
    this.#complete = true;
    const head = this.head;
    if (head === undefined) return this.#fail(new Error("the response ended without a status"));
    if (this.#mode === "stream") {
      this.#stream!.push(null);
      return;
    }
    const first = this.#first;
    const more = this.#more;
    if (this.#mode !== "collect") return this.#settle(head);
    const bytes =
      more === undefined || first === undefined
        ? first
        : Buffer.concat([first, ...more], this.#size);
    this.#settle({ status: head.status, headers: head.headers, bytes });
  }

  onError(error: Error): void {
    // After the head, a streamed body fails through its stream (its consumer is reading it).
    if (this.#stream !== undefined) this.#stream.destroy(error);
    else this.#fail(error);
  }

  #settle(answer: HopAnswer): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#resolve(answer);
  }

  #fail(error: Error): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#reject(error);
  }
}

function ignore(): void {}

// The last value seen per header name. Most answers repeat their neighbours' values
// (`application/json`, `keep-alive`, this second's `date`), and every attempt record keeps its
// response's headers: an equal value is kept as the one string already held, not a new copy.
const lastValues = new Map<string, string>();
const LAST_VALUES_NAMES = 256;
const LAST_VALUES_LENGTH = 128;

/** A header's value as text, as the same string as the last equal value of that header. */
function headerValue(name: string, raw: Buffer): string {
  const text = raw.toString("latin1");
  if (text.length > LAST_VALUES_LENGTH) return text;
  const last = lastValues.get(name);
  if (last === text) return last;
  if (last !== undefined || lastValues.size < LAST_VALUES_NAMES) lastValues.set(name, text);
  return text;
}

/**
 * The last header records made, each with its names and values in order: an answer whose headers
 * equal one of them (most answers of one API in one second) gets that same record, frozen, so
 * the attempt records of thousands of polls keep one object, not one each.
 */
const recentRecords: Array<{ pairs: string[]; headers: Readonly<Record<string, string>> }> = [];
const RECENT_RECORDS = 16;
let nextRecent = 0;

/**
 * Raw header buffers as ResponseRecord keeps them: lower-cased names, repeats joined with ", ".
 * Frozen, and possibly shared with other answers: header records are read-only.
 */
function headerRecord(raw: Buffer[]): Record<string, string> {
  const pairs = new Array<string>(raw.length);
  for (let i = 0; i < raw.length; i += 2) {
    const name = bufferToLowerCasedHeaderName(raw[i]!);
    pairs[i] = name;
    pairs[i + 1] = headerValue(name, raw[i + 1]!);
  }
  for (const recent of recentRecords) if (samePairs(recent.pairs, pairs)) return recent.headers;
  const headers: Record<string, string> = {};
  for (let i = 0; i < pairs.length; i += 2) {
    const name = pairs[i]!;
    const text = pairs[i + 1]!;
    const value = Object.hasOwn(headers, name) ? `${headers[name]}, ${text}` : text;
    // A header named __proto__ is data, not the record's prototype.
    if (name === "__proto__")
      Object.defineProperty(headers, name, {
        value,
        enumerable: true,
        configurable: true,
        writable: true,
      });
    else headers[name] = value;
  }
  Object.freeze(headers);
  // Only short header lists are worth comparing against.
  if (pairs.length <= 32) {
    recentRecords[nextRecent] = { pairs, headers };
    nextRecent = (nextRecent + 1) % RECENT_RECORDS;
  }
  return headers;
}

function samePairs(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}

function tooLarge(maxBytes: number): HirewireError {
  return hirewireError("HTTP_BODY_TOO_LARGE", "response", { maxBytes }, { details: { maxBytes } });
}
