// What the conformance suite needs from an implementation, and fixtures shared by its cases.
import { afterEach, beforeEach } from "vitest";
import { STATE_VERSION, type RunState, type RunStatus } from "../../engine/index.ts";
import type { HireRecord, IntegrationRecord } from "../records.ts";
import type { Store } from "../store.ts";

/** One empty database for one test. */
export interface StoreEnv {
  /** A new Store over this database; each call is like another process opening it. */
  open(): Promise<Store>;
  /** Every byte the database has persisted (files, WAL, or a dump of all rows), for leak checks. */
  rawBytes(): Promise<Buffer>;
  /** Closes what `open` returned and removes the database. */
  dispose(): Promise<void>;
}

export interface StoreHarness {
  create(): Promise<StoreEnv>;
}

/** Per-test setup: a fresh env and a first store, disposed after the test. */
export function useStore(harness: StoreHarness): { env: () => StoreEnv; store: () => Store } {
  let env: StoreEnv | undefined;
  let store: Store | undefined;
  beforeEach(async () => {
    env = await harness.create();
    store = await env.open();
  });
  afterEach(async () => {
    await env?.dispose();
    env = undefined;
    store = undefined;
  });
  return { env: () => env!, store: () => store! };
}

/** An integration and a hire to hang runs on. */
export async function seed(
  store: Store,
): Promise<{ integration: IntegrationRecord; hire: HireRecord }> {
  const integration = await store.createIntegration({
    name: `Directory ${Math.random().toString(36).slice(2)}`,
    manifest: { execute: [{ url: "https://example.test/users", method: "POST" }] },
    options: { idempotencyKeys: true, allowedHosts: ["example.test"] },
  });
  const hire = await store.createHire({ props: { email: "ada@example.test", first_name: "Ada" } });
  return { integration, hire };
}

/** A plausible run state at `step`, with `generated` values. */
export function stateFor(
  runId: string,
  status: RunStatus,
  overrides: Partial<RunState> = {},
): RunState {
  return {
    version: STATE_VERSION,
    runId,
    status,
    step: 0,
    attempt: 0,
    pollAttempts: 0,
    retries: 0,
    responses: [],
    stored: {},
    files: {},
    generated: {},
    ...overrides,
  };
}

/** Runs `fn` and returns what it threw (undefined when it did not throw). */
export async function caught(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  return undefined;
}
