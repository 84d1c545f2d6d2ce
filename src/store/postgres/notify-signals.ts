// Run wake-ups across processes through PostgreSQL's LISTEN/NOTIFY: a write that makes a run due
// sends `pg_notify` in its transaction (delivered only if it commits), and one dedicated
// connection per store LISTENs and calls the local listeners. The payload is the schema, so
// stores in other schemas of the same database ignore each other's runs. A dropped LISTEN
// connection is reopened after a pause; the schedulers' timed poll covers the gap.
import { sql, type Kysely, type RawBuilder } from "kysely";
import pg from "pg";
import { Listeners, type RunSignals } from "../run-signals.ts";
import type { Database } from "../schema.ts";

/** The channel every hirewire store notifies on. */
const RUNS_DUE_CHANNEL = "hirewire_runs_due";

export interface NotifySignalsOptions {
  /** Settings for the LISTEN connection (the pool's). */
  client: pg.ClientConfig;
  /** The schema this store's tables are in (the payload it listens for). */
  schema: string;
  /** Pause before reconnecting a dropped LISTEN connection (default 1 s). */
  retryMs?: number;
  /** Told when the LISTEN connection fails (it is retried). */
  onError?: (error: unknown) => void;
}

export class NotifySignals implements RunSignals {
  readonly #options: NotifySignalsOptions;
  readonly #listeners = new Listeners();
  #client: pg.Client | undefined;
  #connecting: Promise<void> | undefined;
  #retry: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: NotifySignalsOptions) {
    this.#options = options;
  }

  async announce(trx: Kysely<Database>): Promise<void> {
    await sql`select ${this.announcement()}`.execute(trx);
  }

  announcement(): RawBuilder<unknown> {
    return sql`pg_notify(${RUNS_DUE_CHANNEL}, ${this.#options.schema})`;
  }

  subscribe(listener: () => void): () => void {
    const unsubscribe = this.#listeners.add(listener);
    this.#ensureListening();
    return unsubscribe;
  }

  /** Resolves once the LISTEN connection is up (for tests and for a start that must not miss one). */
  async listening(): Promise<void> {
    this.#ensureListening();
    await this.#connecting;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
    clearTimeout(this.#retry);
    await this.#connecting?.catch(() => undefined);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }

  #ensureListening(): void {
    if (this.#closed || this.#client !== undefined || this.#connecting !== undefined) return;
    this.#connecting = this.#connect().finally(() => (this.#connecting = undefined));
  }

  async #connect(): Promise<void> {
    const client = new pg.Client(this.#options.client);
    const lost = (error?: unknown) => {
      if (this.#client !== client) return;
      this.#client = undefined;
      client.end().catch(() => undefined);
      if (error !== undefined) this.#options.onError?.(error);
      this.#scheduleRetry();
    };
    client.on("error", lost);
    client.on("end", () => lost());
    client.on("notification", (message) => {
      if (message.channel === RUNS_DUE_CHANNEL && message.payload === this.#options.schema)
        this.#listeners.emit();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${RUNS_DUE_CHANNEL}`);
      if (this.#closed) {
        await client.end();
        return;
      }
      this.#client = client;
      // Anything made due while we were not listening: let the listeners look once.
      this.#listeners.emit();
    } catch (error) {
      client.end().catch(() => undefined);
      this.#options.onError?.(error);
      this.#scheduleRetry();
    }
  }

  #scheduleRetry(): void {
    if (this.#closed || this.#listeners.size === 0 || this.#retry !== undefined) return;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      this.#ensureListening();
    }, this.#options.retryMs ?? 1_000);
    this.#retry.unref();
  }
}
