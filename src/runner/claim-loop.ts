// The scheduler's claim loop: takes due runs from the store (queued, waiting whose time has come,
// running whose driver died) up to the free capacity, hands each to `drive`, and sleeps until the
// earliest wake-up (at most `idleMs`, to see runs other processes created) or until `notify()`.
//
// A notify() wakes the loop `settleMs` later, not at once: a burst of triggers (and of runs
// finishing) is then one claim instead of one each. With four workers on one PostgreSQL, every
// trigger's NOTIFY reached every worker, and the claims it set off were a tenth of the database's
// work per run.
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
  /** How long after a notify() the loop looks (5 ms): notifies meanwhile share that look. */
  settleMs?: number;
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
  /** A notify() came since the last look began: the next sleep lasts at most settleMs. */
  private notified = false;
  private settleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ClaimLoopOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.done = this.loop();
  }

  /** Look at the store soon (settleMs), or again once the look in progress ends. */
  notify(): void {
    this.notified = true;
    if (this.wakeUp === undefined || this.settleTimer !== undefined) return;
    const settleMs = this.settleMs();
    if (settleMs <= 0) return this.wakeUp();
    this.settleTimer = setTimeout(() => {
      this.settleTimer = undefined;
      this.wakeUp?.();
    }, settleMs);
  }

  /** Stops claiming; resolves once the loop has ended (runs being driven are not waited for). */
  async stop(): Promise<void> {
    this.running = false;
    this.notified = true;
    clearTimeout(this.settleTimer);
    this.settleTimer = undefined;
    this.wakeUp?.();
    await this.done;
  }

  private settleMs(): number {
    return this.options.settleMs ?? 5;
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
    if (!this.running) return Promise.resolve();
    // Notified during the look: look again once the notifies of the next moments have come too.
    if (this.notified) ms = Math.min(ms, this.settleMs());
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }
}
