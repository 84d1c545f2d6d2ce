// The sandbox's own records (its users, idempotency keys, document jobs and uploads), kept in the
// store's settings so they survive a restart: a hire created before a restart can still get a
// contract, and a run that was polling a job finds it again. Writes are serialized per store, as
// every change reads the whole record set, changes it and writes it back (it is a toy: small).
import type { JsonValue } from "../../manifest/types.ts";
import type { Store } from "../../store/index.ts";

const KEY = "sandbox.data";

export interface SandboxUser {
  id: string;
  email: string;
  first_name?: string;
  last_name?: string;
}

export interface SandboxJob {
  id: string;
  userId: string;
  createdAt: number;
  documentId: string;
}

export interface SandboxUpload {
  id: string;
  filename: string;
  size: number;
  sha256: string;
}

export interface SandboxData {
  users: Record<string, SandboxUser>;
  /** Idempotency-Key → user id. */
  keys: Record<string, string>;
  jobs: Record<string, SandboxJob>;
  uploads: SandboxUpload[];
}

function empty(): SandboxData {
  return { users: {}, keys: {}, jobs: {}, uploads: [] };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Reads and changes the sandbox's records in the store, one change at a time. */
export class SandboxRecords {
  readonly #store: Store;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(store: Store) {
    this.#store = store;
  }

  async read(): Promise<SandboxData> {
    const value = await this.#store.getSetting(KEY);
    if (!isObject(value)) return empty();
    const data = value as unknown as Partial<SandboxData>;
    return {
      users: isObject(data.users) ? data.users : {},
      keys: isObject(data.keys) ? data.keys : {},
      jobs: isObject(data.jobs) ? data.jobs : {},
      uploads: Array.isArray(data.uploads) ? data.uploads : [],
    };
  }

  /** Applies `change` to the current records and saves them; returns what `change` returned. */
  change<T>(change: (data: SandboxData) => T): Promise<T> {
    const next = this.#queue.then(async () => {
      const data = await this.read();
      const result = change(data);
      await this.#store.setSetting(KEY, data as unknown as JsonValue);
      return result;
    });
    this.#queue = next.catch(() => undefined);
    return next;
  }
}
