// One timer for the deadlines of many attempts. Thousands of requests may be in flight at once,
// nearly all with the same long deadline (30 s by default); a Node timer each (a Timeout object,
// its argument list, its place in the timer lists) was the largest thing an attempt allocated,
// and it lived as long as the request, so the collector promoted it and cleared it from the old
// generation afterwards. Here a deadline is a slot in an array: deadlines are kept in buckets of
// RESOLUTION_MS, and one timer fires for the earliest bucket. An attempt times out at most
// RESOLUTION_MS after its deadline; deadlines shorter than SHORT_MS keep a timer of their own,
// where that would be a noticeable share of the wait.

/** What a deadline ends: told once, when its time is up. */
export interface Expiring {
  expireDeadline(): void;
  /** Where its deadline is kept (set by `Deadlines`): the bucket and the index in it. */
  deadlineBucket: number;
  deadlineIndex: number;
}

export const RESOLUTION_MS = 100;
export const SHORT_MS = 2000;

/** The longest delay a Node timer takes (about 24.8 days). */
const MAX_DELAY_MS = 2 ** 31 - 1;

/** Not in a bucket. */
const NONE = -1;

export class Deadlines {
  readonly #buckets = new Map<number, Expiring[]>();
  #timer: NodeJS.Timeout | undefined;
  /** The bucket the timer is set for. */
  #timerBucket = Infinity;
  #pending = 0;

  /** Calls `item.expireDeadline()` `ms` from now, unless `disarm(item)` comes first. */
  arm(item: Expiring, ms: number): void {
    const bucket = Math.ceil((performance.now() + ms) / RESOLUTION_MS);
    let list = this.#buckets.get(bucket);
    if (list === undefined) {
      list = [];
      this.#buckets.set(bucket, list);
    }
    item.deadlineBucket = bucket;
    item.deadlineIndex = list.length;
    list.push(item);
    this.#pending += 1;
    if (bucket < this.#timerBucket) this.#setTimer(bucket);
  }

  /** The item's deadline no longer matters (its attempt ended). */
  disarm(item: Expiring): void {
    const bucket = item.deadlineBucket;
    if (bucket === NONE) return;
    item.deadlineBucket = NONE;
    const list = this.#buckets.get(bucket);
    if (list === undefined) return;
    // The last item takes the place of the one leaving: nothing ended stays referenced.
    const last = list.pop()!;
    if (last !== item) {
      list[item.deadlineIndex] = last;
      last.deadlineIndex = item.deadlineIndex;
    }
    this.#pending -= 1;
    if (list.length === 0) this.#buckets.delete(bucket);
    if (this.#pending === 0) this.#clearTimer();
  }

  /** Deadlines armed and neither expired nor disarmed (for tests). */
  get pending(): number {
    return this.#pending;
  }

  #setTimer(bucket: number): void {
    clearTimeout(this.#timer);
    this.#timerBucket = bucket;
    // Node fires a longer delay at once (and warns): a far deadline is waited for in steps.
    const delay = Math.min(Math.max(0, bucket * RESOLUTION_MS - performance.now()), MAX_DELAY_MS);
    this.#timer = setTimeout(() => this.#fire(), delay);
  }

  #clearTimer(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerBucket = Infinity;
  }

  #fire(): void {
    this.#timer = undefined;
    this.#timerBucket = Infinity;
    const due = Math.floor(performance.now() / RESOLUTION_MS);
    let next = Infinity;
    const expired: Expiring[] = [];
    for (const [bucket, list] of this.#buckets) {
      if (bucket > due) {
        if (bucket < next) next = bucket;
        continue;
      }
      this.#buckets.delete(bucket);
      for (const item of list) {
        item.deadlineBucket = NONE;
        expired.push(item);
      }
    }
    this.#pending -= expired.length;
    if (next !== Infinity) this.#setTimer(next);
    for (const item of expired) item.expireDeadline();
  }
}
