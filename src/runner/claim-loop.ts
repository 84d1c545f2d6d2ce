// The scheduler's claim loop: takes due runs from the store (queued, waiting whose time has come,
// running whose driver died) up to the free capacity, hands each to `drive`, and sleeps until the
// earliest wake-up (at most `idleMs`, to see runs other processes created) or until `notify()`.
import { toErrorInfo } from "../errors/index.ts";
import type { ClaimedRun, Store } from "../store/index.ts";

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

  constructor(private readonly options: ClaimLoopOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.done = this.loop();
  }

  /** Look at the store now. */
  notify(): void {
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
      const capacity = this.options.concurrency - this.options.active();
      try {
        if (capacity > 0) claimed = await this.claim(capacity);
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
      if (claimed.length > 0) continue;
      let delay = this.options.idleMs;
      try {
        const next = await store.nextWakeAt();
        if (next !== null)
          delay = Math.min(this.options.idleMs, Math.max(next - this.options.now(), 10));
      } catch (error) {
        logger.error({ err: toErrorInfo(error) }, "reading the next wake-up time failed");
      }
      await this.sleep(delay);
    }
  }

  private async claim(capacity: number): Promise<ClaimedRun[]> {
    const claimed = await this.options.store.claimRuns({
      owner: this.options.owner,
      now: this.options.now(),
      leaseMs: this.options.leaseMs,
      limit: capacity,
    });
    for (const run of claimed) {
      if (run.fault === undefined) this.options.drive(run);
      else
        this.options.logger.error({ runId: run.id, err: run.fault }, "run set aside: row unusable");
    }
    return claimed;
  }

  private sleep(ms: number): Promise<void> {
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
