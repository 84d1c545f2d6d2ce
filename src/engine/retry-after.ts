// Reads a Retry-After header (RFC 9110 §10.2.3): either whole seconds or an HTTP date. Pure, so
// the engine takes the clock from its events.

const DELTA_SECONDS = /^\s*(\d+)\s*$/;

/**
 * Returns how long to wait, in ms, for a Retry-After `value` received at `now` (ms since epoch);
 * undefined when the header is absent or unreadable. A date in the past means "now" (0).
 */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const seconds = DELTA_SECONDS.exec(value);
  if (seconds !== null) return Number(seconds[1]) * 1000;
  // Date.parse also accepts loose forms like "May 2024"; HTTP dates always carry a time of day,
  // so requiring one keeps stray text from becoming a date.
  if (!/\d{1,2}:\d{2}:\d{2}/.test(value)) return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
