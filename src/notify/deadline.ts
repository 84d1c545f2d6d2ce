// One deadline per notification: the caller's cancel signal and a timeout folded into one
// AbortSignal, remembering which of the two fired so the failure can say "timed out" or
// "cancelled" rather than a library's generic abort message.
import { type ErrorInfo, problem } from "../errors/index.ts";

/** A combined signal for one send, and what ended it if it was aborted. */
export interface Deadline {
  signal: AbortSignal;
  timeoutMs: number;
  /** The timeout or cancel error if the signal fired, otherwise undefined. */
  reason(what: string): ErrorInfo | undefined;
  /** Rejects when the signal fires: raced against a library call that takes no signal. */
  aborted: Promise<never>;
}

/** Starts the deadline; `timeoutMs` counts from now. */
export function startDeadline(timeoutMs: number, cancel?: AbortSignal): Deadline {
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = cancel ? AbortSignal.any([cancel, timeout]) : timeout;
  const aborted = new Promise<never>((_resolve, reject) => {
    const fire = (): void => reject(signal.reason);
    if (signal.aborted) fire();
    else signal.addEventListener("abort", fire, { once: true });
  });
  // The race loser must not surface as an unhandled rejection once the send has finished.
  aborted.catch(() => undefined);
  return {
    signal,
    timeoutMs,
    aborted,
    reason(what: string): ErrorInfo | undefined {
      if (cancel?.aborted) return problem("CANCELLED", "deadline", { what });
      if (timeout.aborted)
        return problem("HTTP_TIMEOUT", "deadline", { what, timeoutMs }, { details: { timeoutMs } });
      return undefined;
    },
  };
}
