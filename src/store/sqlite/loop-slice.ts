// better-sqlite3 is synchronous, so Kysely's "async" queries on it resolve at once: a burst of
// runs checkpointing through the store becomes one long chain of microtasks that never lets the
// event loop poll for I/O. The service profile showed 0.4–1.3 s stretches where API requests
// waited. LoopSlice bounds such a stretch: past a time budget, the next query first waits for
// setImmediate, so pending I/O (API requests, response bodies) is handled in between. In the
// bench, 25 ms halved the longest stalls; 10 ms yielded so often that API requests (which query
// too) waited more turns and the p99 got worse.

/** Default budget of continuous work, in ms, before a query yields to the event loop. */
const DEFAULT_SLICE_MS = 25;

/** Tracks how long the current event-loop turn has been running queries. */
export class LoopSlice {
  readonly #sliceMs: number;
  #started: number | undefined;

  constructor(sliceMs = DEFAULT_SLICE_MS) {
    this.#sliceMs = sliceMs;
  }

  /** Resolves at once within the budget; past it, after the event loop has had a turn. */
  async yieldIfLong(): Promise<void> {
    const now = performance.now();
    if (this.#started === undefined) {
      this.#started = now;
      // Runs once the current turn (and its microtasks) ends: the next turn starts a new slice.
      setImmediate(() => (this.#started = undefined));
      return;
    }
    if (now - this.#started < this.#sliceMs) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
