// The scheduler's side of integrations' rate limits: before a request is checkpointed as in
// flight, `admit` takes a token and a slot from the integration's bucket in the store (shared by
// every process on the database), and the permit gives the slot back with the answer — a 429
// slows the whole integration down (see store/rate-bucket.ts). An integration without a limit
// costs nothing: no store round trip.
//
// Waiting holds no thread: the runs of one integration queue up in this process behind one
// asker, which sleeps on a timer until the time the store named (or until a slot of this
// process is given back). A wait longer than `parkAfterMs` — a long Retry-After pause — hands
// the run back to the store until then instead, so it does not hold a place among the runs
// this process drives.
import { randomUUID } from "node:crypto";
import { toErrorInfo } from "../errors/index.ts";
import type { AttemptOutcome, RequestSpec } from "../exchange/types.ts";
import { retryAfterOf } from "../engine/retry.ts";
import type { RateLimit, RateSlotAnswer, Store } from "../store/index.ts";
import type { Admission, RatePermit } from "./drive.ts";

export type RateWaitReason = Extract<RateSlotAnswer, { granted: false }>["reason"];

/** What the gate reports, for metrics. */
export interface RateGateObserver {
  /** A request had to wait (`ms` from asking to going; `parked` when its run was handed back). */
  waited?(reason: RateWaitReason, ms: number, parked: boolean): void;
  /** A limited integration answered 429. */
  throttled?(): void;
}

export interface RateGateOptions {
  store: Store;
  now: () => number;
  /** Waits longer than this hand the run back to the store until then (10 s). */
  parkAfterMs?: number;
  /** How long past its timeout a request's slot stays taken if never given back (30 s). */
  slotGraceMs?: number;
  observer?: RateGateObserver;
  logger?: {
    warn(object: object, message?: string): void;
    debug?(object: object, message?: string): void;
  };
}

interface Waiter {
  limit: RateLimit;
  leaseMs: number;
  mayHandBack: boolean;
  askedAt: number;
  reason?: RateWaitReason;
  resolve(admission: Admission): void;
  reject(error: unknown): void;
}

/** One integration's queue in this process. */
interface Lane {
  waiters: Waiter[];
  asking: boolean;
  /** Ends the asker's sleep early (a slot of this process was given back). */
  wake?: (() => void) | undefined;
}

const GO: RatePermit = { release() {} };
/** A request without a timeout keeps its slot this long if its holder dies. */
const NO_TIMEOUT_LEASE_MS = 10 * 60_000;

export class RateGate {
  private readonly lanes = new Map<string, Lane>();
  private readonly parkAfterMs: number;
  private readonly slotGraceMs: number;
  private stopping = false;

  constructor(private readonly options: RateGateOptions) {
    this.parkAfterMs = options.parkAfterMs ?? 10_000;
    this.slotGraceMs = options.slotGraceMs ?? 30_000;
  }

  /**
   * Resolves when `request` of the integration may go (a permit: release it with the answer),
   * or with the time to hand its run back until (only when `mayHandBack`).
   */
  admit(
    integrationId: string,
    limit: RateLimit | undefined,
    request: RequestSpec,
    mayHandBack: boolean,
  ): Promise<Admission> {
    if (limit === undefined) return Promise.resolve(GO);
    if (this.stopping && mayHandBack) return Promise.resolve({ handBackUntil: this.options.now() });
    const leaseMs =
      Number.isFinite(request.timeoutMs) && request.timeoutMs > 0
        ? request.timeoutMs + this.slotGraceMs
        : NO_TIMEOUT_LEASE_MS;
    return new Promise<Admission>((resolve, reject) => {
      const lane = this.laneOf(integrationId);
      lane.waiters.push({
        limit,
        leaseMs,
        mayHandBack,
        askedAt: this.options.now(),
        resolve,
        reject,
      });
      if (!lane.asking) void this.ask(integrationId, lane);
    });
  }

  /** Hands back every waiting run that may be (the scheduler is stopping); later admits too. */
  stop(): void {
    this.stopping = true;
    const now = this.options.now();
    for (const lane of this.lanes.values()) {
      lane.waiters = lane.waiters.filter((waiter) => {
        if (!waiter.mayHandBack) return true;
        waiter.resolve({ handBackUntil: now });
        return false;
      });
      lane.wake?.();
    }
  }

  /** Admits again after `stop()`. */
  start(): void {
    this.stopping = false;
  }

  private laneOf(integrationId: string): Lane {
    let lane = this.lanes.get(integrationId);
    if (lane === undefined) {
      lane = { waiters: [], asking: false };
      this.lanes.set(integrationId, lane);
    }
    return lane;
  }

  /** Asks the store for the first waiter of the lane, one after the other, until none is left. */
  private async ask(integrationId: string, lane: Lane): Promise<void> {
    lane.asking = true;
    try {
      for (;;) {
        const waiter = lane.waiters[0];
        if (waiter === undefined) break;
        const slot = randomUUID();
        const now = this.options.now();
        let answer: RateSlotAnswer;
        try {
          answer = await this.options.store.acquireRateSlot({
            integrationId,
            limit: waiter.limit,
            slot,
            now,
            leaseMs: waiter.leaseMs,
          });
        } catch (error) {
          // The drive fails like any store error (and is retried); the next waiter asks again.
          lane.waiters.shift();
          waiter.reject(error);
          continue;
        }
        if (lane.waiters[0] !== waiter) {
          // Handed back by stop() meanwhile: the slot it was given goes back unused.
          if (answer.granted) this.permit(integrationId, waiter, slot).release();
          continue;
        }
        if (answer.granted) {
          lane.waiters.shift();
          this.report(waiter, false);
          // The bucket's time of the grant: what its guarantees are stated in.
          this.options.logger?.debug?.(
            { integrationId, grantedAt: now, waitedMs: now - waiter.askedAt },
            "rate limit slot granted",
          );
          waiter.resolve(this.permit(integrationId, waiter, slot));
          continue;
        }
        waiter.reason = answer.reason;
        const delay = answer.retryAt - this.options.now();
        if (delay > this.parkAfterMs && this.park(lane, answer.retryAt)) continue;
        await this.sleep(lane, delay);
      }
    } finally {
      lane.asking = false;
      if (lane.waiters.length === 0) this.lanes.delete(integrationId);
      else void this.ask(integrationId, lane);
    }
  }

  /** A long wait: every waiter that may be handed back is, until `until`; false when none was. */
  private park(lane: Lane, until: number): boolean {
    const before = lane.waiters.length;
    lane.waiters = lane.waiters.filter((waiter) => {
      if (!waiter.mayHandBack) return true;
      waiter.reason ??= "paused";
      this.report(waiter, true);
      waiter.resolve({ handBackUntil: until });
      return false;
    });
    return lane.waiters.length < before;
  }

  private report(waiter: Waiter, parked: boolean): void {
    if (waiter.reason === undefined) return;
    this.options.observer?.waited?.(waiter.reason, this.options.now() - waiter.askedAt, parked);
  }

  private permit(integrationId: string, waiter: Waiter, slot: string): RatePermit {
    let released = false;
    return {
      release: (outcome?: AttemptOutcome) => {
        if (released) return;
        released = true;
        const now = this.options.now();
        const throttled =
          outcome?.response?.status === 429
            ? { retryAfterMs: retryAfterOf(outcome, now) ?? null }
            : undefined;
        if (throttled !== undefined) this.options.observer?.throttled?.();
        void this.options.store
          .releaseRateSlot({
            integrationId,
            limit: waiter.limit,
            slot,
            now,
            ...(throttled !== undefined ? { throttled } : {}),
          })
          .catch((error: unknown) =>
            // Its lease frees the slot in the end.
            this.options.logger?.warn(
              { integrationId, err: toErrorInfo(error) },
              "giving a rate limit slot back failed",
            ),
          )
          // A waiter of this process may take the slot now.
          .finally(() => this.lanes.get(integrationId)?.wake?.());
      },
    };
  }

  private sleep(lane: Lane, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        lane.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, Math.max(1, ms));
      lane.wake = done;
    });
  }
}
