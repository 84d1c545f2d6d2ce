// Turns at SQLite's one connection, first come first served. Kysely's own SQLite mutex wakes every
// waiter on each release and lets them race for it again: with hundreds of runs checkpointing at
// once that was a storm of promise wake-ups per statement (12 % of a checkpoint's CPU in the
// store's own bench, more than the statements themselves). Here a release hands the connection to
// the next waiter, and only that one wakes.

/** A FIFO lock on the one connection. */
export class ConnectionQueue {
  #held = false;
  #waiting: Array<() => void> = [];
  /** Index of the next waiter in `#waiting` (shifting a long array on every turn copies it). */
  #head = 0;

  /** Resolves once the caller holds the connection. */
  acquire(): Promise<void> {
    if (!this.#held) {
      this.#held = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** Hands the connection to the next waiter, or leaves it free. */
  release(): void {
    if (this.#head === this.#waiting.length) {
      this.#held = false;
      return;
    }
    const next = this.#waiting[this.#head]!;
    this.#head += 1;
    if (this.#head === this.#waiting.length) {
      this.#waiting = [];
      this.#head = 0;
    }
    next();
  }

  /** Callers waiting for their turn (not counting the holder). */
  get waiting(): number {
    return this.#waiting.length - this.#head;
  }
}
