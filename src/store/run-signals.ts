// Wake-ups between schedulers: a write that makes a run due (created, resumed, cancelled, let go)
// announces it inside its transaction, and every scheduler sharing the store hears it once the
// transaction commits. SQLite has one process per store in practice, so its signals stay in the
// process; PostgreSQL's go through LISTEN/NOTIFY (postgres/notify-signals.ts). Either way they
// are hints: schedulers keep their timed poll for whatever a lost signal would have told them.
import type { Kysely, RawBuilder } from "kysely";
import type { Database } from "./schema.ts";

export interface RunSignals {
  /** Inside a write transaction: tell every listener once it commits (a rollback tells no one). */
  announce(trx: Kysely<Database>): Promise<void>;
  /**
   * Where announcing is SQL (PostgreSQL's pg_notify): the same announcement as an expression, for
   * a write that is one statement and so can announce without a transaction of its own. Absent
   * where announcing needs no SQL.
   */
  announcement?(): RawBuilder<unknown>;
  /** Calls `listener` on every announcement; returns the function that stops it. */
  subscribe(listener: () => void): () => void;
  /** Stops listening for good. */
  close(): Promise<void>;
}

/** The listeners of one store, called safely (one throwing does not stop the others). */
export class Listeners {
  readonly #listeners = new Set<() => void>();

  get size(): number {
    return this.#listeners.size;
  }

  add(listener: () => void): () => void {
    // A wrapper per subscription, so the same function subscribed twice is two subscriptions.
    const entry = () => listener();
    this.#listeners.add(entry);
    return () => void this.#listeners.delete(entry);
  }

  emit(): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener();
      } catch {
        // A listener's failure is its own; the signal is only a hint.
      }
    }
  }

  clear(): void {
    this.#listeners.clear();
  }
}

/**
 * Signals within this process. The announcement is delivered on the next turn of the event loop,
 * after the transaction that made it has committed (store transactions finish in microtasks).
 */
export class LocalRunSignals implements RunSignals {
  readonly #listeners = new Listeners();
  #pending = false;

  async announce(): Promise<void> {
    if (this.#pending || this.#listeners.size === 0) return;
    this.#pending = true;
    setImmediate(() => {
      this.#pending = false;
      this.#listeners.emit();
    });
  }

  subscribe(listener: () => void): () => void {
    return this.#listeners.add(listener);
  }

  async close(): Promise<void> {
    this.#listeners.clear();
  }
}
