// The scheduler's claim loop: takes due runs from the store (queued, waiting whose time has come,
// running whose driver died) up to the free capacity, hands each to `drive`, and sleeps until the
// earliest wake-up (at most `idleMs`, to see runs other processes created) or until `notify()`.
import { toErrorInfo } from "../errors/index.ts";
import type { ClaimedRun, ClaimResult, Store } from "../store/index.ts";

export interface ClaimLoopLogger {
  error(object: object, message?: string): void;
}

export interface ClaimLoopOptions {
  store: Store;
  owner: string;
  leaseMs: number;
  concurrency: number;
  idleMs: number;
  now: () => number;
  logger: ClaimLoopLogger;
  /** Runs being driven now. */
  active(): number;
  /** Drive a claimed run (without waiting for it). */
  drive(run: ClaimedRun): void;
  /** After each look at the store: housekeeping that may throw like a claim. */
  afterClaim(): Promise<void>;
}

export class ClaimLoop {
  private running = false;
  private done: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  /** A notify() came since the last look began: the next sleep ends at once. */
  private notified = false;

  constructor(private readonly options: ClaimLoopOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.done = this.loop();
  }

  /** Look at the store now (or again, once the look in progress ends). */
  notify(): void {
    this.notified = true;
    this.wakeUp?.();
  }

  /** Stops claiming; resolves once the loop has ended (runs being driven are not waited for). */
  async stop(): Promise<void> {
    this.running = false;
    this.notify();
    await this.done;
  }

  private async loop(): Promise<void> {
    const { store, logger } = this.options;
    while (this.running) {
      let claimed: ClaimedRun[] = [];
      // When the claim took fewer runs than it had room for, it also tells when the next is due.
      let next: number | null | undefined;
      const capacity = this.options.concurrency - this.options.active();
      this.notified = false;
      try {
        if (capacity > 0) ({ runs: claimed, nextWakeAt: next } = await this.claim(capacity));
        await this.options.afterClaim();
      } catch (error) {
        logger.error({ err: toErrorInfo(error) }, "claiming runs failed");
        // Whatever broke (a locked or damaged database) will not heal in 10 ms: look again later.
        await this.sleep(this.options.idleMs);
      }
      if (!this.running) break;
      if (claimed.length > 0 && claimed.length === capacity) {
        await this.sleep(this.options.idleMs); // full: a finishing run or notify() wakes us
        continue;
      }
      const now = this.options.now();
      if (claimed.length > 0 && (next === undefined || (next !== null && next <= now))) continue;
      let delay = this.options.idleMs;
      try {
        if (next === undefined) next = await store.nextWakeAt();
        if (next !== null) delay = Math.min(this.options.idleMs, Math.max(next - now, 10));
      } catch (error) {
        logger.error({ err: toErrorInfo(error) }, "reading the next wake-up time failed");
      }
      await this.sleep(delay);
    }
  }

  private async claim(capacity: number): Promise<ClaimResult> {
    const result = await this.options.store.claimDue({
      owner: this.options.owner,
      now: this.options.now(),
      leaseMs: this.options.leaseMs,
      limit: capacity,
    });
    for (const run of result.runs) {
      if (run.fault === undefined) this.options.drive(run);
      else
        this.options.logger.error({ runId: run.id, err: run.fault }, "run set aside: row unusable");
    }
    return result;
  }

  private sleep(ms: number): Promise<void> {
    if (this.notified) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    });
  }
}
