// Which failures are transient, whether a step may retry them, and how long to wait: exponential
// backoff with jitter, or the server's Retry-After. Pure: the jitter comes from a hash of the run
// id, step and retry number, so a replayed run waits the same and no randomness enters the engine.
import type { ErrorInfo } from "../errors/index.ts";
import type { AttemptOutcome } from "../exchange/types.ts";
import type { HttpMethod, RetryOn, Step } from "../manifest/types.ts";
import { parseRetryAfter } from "./retry-after.ts";

const TRANSIENT_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);
export const IDEMPOTENT_METHODS: ReadonlySet<HttpMethod> = new Set([
  "GET",
  "HEAD",
  "PUT",
  "DELETE",
]);
const DEFAULT_MAX_RETRIES = 3;

/** The kind of a transient failure, as `retry.on` names it; undefined when not transient. */
export function transientKind(outcome: AttemptOutcome): "network" | "timeout" | number | undefined {
  if (outcome.type === "error") {
    if (outcome.error.code === "HTTP_TIMEOUT") return "timeout";
    if (outcome.error.code === "HTTP_CONNECTION") return "network";
    return undefined;
  }
  const status = outcome.response.status;
  return TRANSIENT_STATUSES.has(status) ? status : undefined;
}

/** How many retries a step allows for this kind of failure (docs/manifest.md). */
export function allowedRetries(
  step: Step,
  method: HttpMethod,
  kind: "network" | "timeout" | number,
): number {
  if (step.retry === undefined) return IDEMPOTENT_METHODS.has(method) ? DEFAULT_MAX_RETRIES : 0;
  const on = step.retry.on;
  if (on !== undefined && on.length > 0 && !on.some((item) => matchesRetryOn(item, kind))) return 0;
  return step.retry.max;
}

function matchesRetryOn(item: RetryOn, kind: "network" | "timeout" | number): boolean {
  if (item === "5xx") return typeof kind === "number" && kind >= 500 && kind <= 599;
  return item === kind;
}

/** Retry-After of a response outcome, in ms, or undefined. */
export function retryAfterOf(outcome: AttemptOutcome, now: number): number | undefined {
  return parseRetryAfter(outcome.response?.headers["retry-after"], now);
}

export interface BackoffOptions {
  baseMs: number;
  maxDelayMs: number;
}

/** Delay before retry number `retry` (0-based): full exponential backoff with 50–100 % jitter. */
export function backoffDelay(seed: string, retry: number, options: BackoffOptions): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseMs * 2 ** retry);
  return Math.round(ceiling * (0.5 + 0.5 * unitHash(`${seed}:${retry}`)));
}

/** FNV-1a over the string, mapped to [0, 1): deterministic stand-in for Math.random(). */
function unitHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash / 0x100000000;
}

/** One-line description of a failed attempt, for "the last attempt failed: …" messages. */
export function describeOutcome(outcome: AttemptOutcome): string {
  if (outcome.type === "error") return outcome.error.message;
  return `status ${outcome.response.status}`;
}

export type { ErrorInfo };
