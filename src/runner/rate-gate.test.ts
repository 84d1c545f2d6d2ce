// The scheduler's rate gate over a real SQLite store: no limit costs no row; the runs of one
// integration queue in order and a slot given back in this process goes to the next at once; a
// 429 given back slows the shared bucket; stopping hands back only the runs that may be.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import type { AttemptOutcome, RequestSpec } from "../exchange/types.ts";
import { SecretCipher } from "../secrets/index.ts";
import { openSqliteStore, type Store } from "../store/index.ts";
import type { Admission, RatePermit } from "./drive.ts";
import { RateGate } from "./rate-gate.ts";

let dir: string;
let store: Store;
let integrationId: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "hirewire-gate-"));
  store = await openSqliteStore({
    file: join(dir, "hirewire.sqlite"),
    cipher: new SecretCipher(randomBytes(32)),
  });
  integrationId = (await store.createIntegration({ name: "Limited", manifest: {} })).id;
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const request: RequestSpec = {
  method: "GET",
  url: "https://api.example.test/users",
  headers: [],
  body: { kind: "none" },
  timeoutMs: 30_000,
  maxRedirects: 5,
};

function answered(status: number, headers: Record<string, string> = {}): AttemptOutcome {
  return {
    type: "response",
    response: { status, headers, url: request.url },
    durationMs: 1,
    redirects: [],
  };
}

function permit(admission: Admission): RatePermit {
  if ("handBackUntil" in admission) throw new Error("handed back");
  return admission;
}

it("an integration without a limit goes at once and leaves no row", async () => {
  const gate = new RateGate({ store, now: Date.now });
  permit(await gate.admit(integrationId, undefined, request, true)).release(answered(200));
  expect(await store.getRateLimitState(integrationId, Date.now())).toBeUndefined();
});

it("queues the runs of an integration in order; a slot given back goes to the next", async () => {
  const gate = new RateGate({ store, now: Date.now });
  const limit = { maxInFlight: 1 };
  const order: number[] = [];
  const admissions = [1, 2, 3].map((n) =>
    gate.admit(integrationId, limit, request, true).then((admission) => {
      order.push(n);
      return permit(admission);
    }),
  );
  const first = await admissions[0]!;
  expect((await store.getRateLimitState(integrationId, Date.now()))!.inFlight).toBe(1);
  first.release(answered(200));
  const second = await admissions[1]!;
  second.release(answered(200));
  (await admissions[2]!).release(answered(200));
  expect(order).toEqual([1, 2, 3]);
  await expect
    .poll(async () => (await store.getRateLimitState(integrationId, Date.now()))!.inFlight)
    .toBe(0);
});

it("a 429 given back halves the shared rate and pauses for its Retry-After", async () => {
  const throttled: number[] = [];
  const gate = new RateGate({
    store,
    now: Date.now,
    observer: { throttled: () => throttled.push(1) },
  });
  const limit = { requestsPerSecond: 4 };
  const before = Date.now();
  permit(await gate.admit(integrationId, limit, request, true)).release(
    answered(429, { "retry-after": "30" }),
  );
  await expect
    .poll(async () => (await store.getRateLimitState(integrationId, Date.now()))?.throttled)
    .toBe(1);
  const state = (await store.getRateLimitState(integrationId, Date.now()))!;
  expect(state.rate).toBe(2);
  expect(state.pausedUntil).toBeGreaterThanOrEqual(before + 30_000);
  expect(throttled).toHaveLength(1);
  // A long pause: the run is handed back until it ends rather than held.
  const next = await gate.admit(integrationId, limit, request, true);
  expect(next).toEqual({ handBackUntil: state.pausedUntil });
});

it("stopping hands back the waiting runs that may be handed back, and keeps the others", async () => {
  const gate = new RateGate({ store, now: Date.now });
  const limit = { maxInFlight: 1 };
  const holder = permit(await gate.admit(integrationId, limit, request, true));
  const mayGo = gate.admit(integrationId, limit, request, true);
  const mustGo = gate.admit(integrationId, limit, request, false);
  gate.stop();
  const handedBack = await mayGo;
  expect("handBackUntil" in handedBack).toBe(true);
  // Admitted while stopping: handed back at once, no store asked.
  expect("handBackUntil" in (await gate.admit(integrationId, limit, request, true))).toBe(true);
  // The resend that must go ahead still waits for the slot, and gets it once it is given back.
  holder.release(answered(200));
  permit(await mustGo).release(answered(200));
  await expect
    .poll(async () => (await store.getRateLimitState(integrationId, Date.now()))!.inFlight)
    .toBe(0);
});
