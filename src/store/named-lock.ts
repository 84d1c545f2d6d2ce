// Work done once at a time across every process sharing a store: wait for the named lock (polling
// `takeLock`, a little at random so waiters do not march in step), keep extending it while the
// work runs, and let it go after. A holder that dies loses the lock when its lease lapses.
import { randomUUID } from "node:crypto";
import { hirewireError } from "../errors/index.ts";
import type { Store } from "./store.ts";

export interface WithLockOptions {
  /** How long the lock stays held without being extended (30 s); extended every third of it. */
  leaseMs?: number;
  /** Longest wait for the lock before giving up with CONFLICT (5 minutes). */
  waitMs?: number;
  /** What the lock guards, for the CONFLICT message ("the OAuth token refresh of …"). */
  what?: string;
  now?: () => number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Tasks waiting for a lock in this process, per store and lock name (see `withLock`). */
const queues = new WeakMap<Store, Map<string, Promise<unknown>>>();

/**
 * Runs `fn` while holding the store lock `name`; waits for it first when another holds it. Callers
 * in one process queue here first, so only one of them at a time asks the store.
 */
export function withLock<T>(
  store: Store,
  name: string,
  fn: () => Promise<T>,
  options: WithLockOptions = {},
): Promise<T> {
  let waiting = queues.get(store);
  if (waiting === undefined) queues.set(store, (waiting = new Map()));
  const task = () => holding(store, name, fn, options);
  const next = (waiting.get(name) ?? Promise.resolve()).then(task, task);
  const settled = next.catch(() => undefined);
  waiting.set(name, settled);
  void settled.then(() => {
    if (waiting.get(name) === settled) waiting.delete(name);
  });
  return next;
}

async function holding<T>(
  store: Store,
  name: string,
  fn: () => Promise<T>,
  options: WithLockOptions,
): Promise<T> {
  const now = options.now ?? Date.now;
  const leaseMs = options.leaseMs ?? 30_000;
  const owner = randomUUID();
  const deadline = Date.now() + (options.waitMs ?? 300_000);
  for (let round = 0; !(await store.takeLock({ name, owner, now: now(), leaseMs })); round++) {
    if (Date.now() >= deadline)
      throw hirewireError("CONFLICT", "lockBusy", {
        what: options.what ?? `the lock "${name}"`,
        waitedMs: options.waitMs ?? 300_000,
      });
    await sleep(Math.min(200, 10 * 2 ** Math.min(round, 5)) * (0.5 + Math.random()));
  }
  const extend = setInterval(
    () => void store.takeLock({ name, owner, now: now(), leaseMs }).catch(() => undefined),
    Math.max(100, Math.floor(leaseMs / 3)),
  );
  extend.unref();
  try {
    return await fn();
  } finally {
    clearInterval(extend);
    await store.releaseLock(name, owner).catch(() => undefined);
  }
}
