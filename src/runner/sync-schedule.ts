// Scheduled user syncs: once a minute, every integration whose sync-users manifest has a
// `schedule` matching that minute gets a sync run, unless one of its syncs is still unfinished.
// Scheduled runs are applied without a preview once they succeed; runs started by hand (API) wait
// for an admin to apply them. A scheduled run is recognised by its idempotency key
// (`schedule:<minute>`), which also keeps two processes on one store from starting the same run.
import { Cron } from "croner";
import { FINAL_STATUSES } from "../engine/types.ts";
import { toErrorInfo } from "../errors/index.ts";
import type { SchedulerLogger } from "./scheduler.ts";
import type { Store } from "../store/store.ts";
import { applySyncRun, getAppliedSync, syncScheduleOf } from "../sync/index.ts";

/** Prefix of the idempotency key of runs this module starts. */
export const SCHEDULE_KEY_PREFIX = "schedule:";

const UNFINISHED = ["queued", "running", "waiting"] as const;

export interface SyncScheduleOptions {
  store: Store;
  /** Wakes the run scheduler after a run was created. */
  notify(): void;
  logger?: SchedulerLogger;
  now?: () => number;
  /** How often runs started here are checked for having finished, to apply them (2 s). */
  applyEveryMs?: number;
}

export interface SyncTick {
  /** Runs created for this minute. */
  started: Array<{ integrationId: string; runId: string }>;
  /** Integrations due this minute that got no new run, and why. */
  skipped: Array<{ integrationId: string; reason: string }>;
}

const SILENT: SchedulerLogger = { info() {}, warn() {}, error() {} };

export class SyncSchedule {
  private readonly store: Store;
  private readonly logger: SchedulerLogger;
  private readonly now: () => number;
  private readonly patterns = new Map<string, Cron>();
  /** Scheduled runs not yet applied. */
  private readonly pending = new Set<string>();
  private minuteJob: Cron | undefined;
  private applyTimer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private applying = false;

  constructor(private readonly options: SyncScheduleOptions) {
    this.store = options.store;
    this.logger = options.logger ?? SILENT;
    this.now = options.now ?? Date.now;
  }

  /** Ticks at the start of every minute; first looks for scheduled runs a restart left unapplied. */
  start(): void {
    if (this.minuteJob !== undefined) return;
    this.minuteJob = new Cron("* * * * *", { mode: "5-part", protect: true, unref: true }, () =>
      this.guard(this.tick(new Date(this.now()))),
    );
    void this.guard(this.recover());
    this.applyTimer = setInterval(
      () => void this.guard(this.applyFinished()),
      this.options.applyEveryMs ?? 2_000,
    );
    this.applyTimer.unref();
  }

  /** Stops ticking and waits for a tick or an apply in progress. */
  async stop(): Promise<void> {
    this.minuteJob?.stop();
    this.minuteJob = undefined;
    if (this.applyTimer !== undefined) clearInterval(this.applyTimer);
    this.applyTimer = undefined;
    await Promise.all([...this.inFlight]);
  }

  /** Starts the syncs due in the minute of `at`; the minute job calls it, tests call it directly. */
  async tick(at: Date): Promise<SyncTick> {
    const minute = new Date(Math.floor(at.getTime() / 60_000) * 60_000);
    const out: SyncTick = { started: [], skipped: [] };
    for (const integration of await this.store.listIntegrations()) {
      const schedule = syncScheduleOf(integration.manifest);
      if (schedule === undefined || !this.matches(schedule, minute)) continue;
      const running = await this.store.listRuns({
        integrationId: integration.id,
        status: [...UNFINISHED],
        limit: 50,
      });
      const busy = running.items.find((run) => run.block === "sync");
      if (busy !== undefined) {
        const reason = `sync run ${busy.id} is still ${busy.status}`;
        out.skipped.push({ integrationId: integration.id, reason });
        this.logger.warn(
          { integrationId: integration.id, runId: busy.id },
          `scheduled sync skipped: ${reason}`,
        );
        continue;
      }
      const { run, created } = await this.store.createRun({
        integrationId: integration.id,
        hireId: null,
        block: "sync",
        params: {},
        idempotencyKey: `${SCHEDULE_KEY_PREFIX}${minute.toISOString()}`,
      });
      if (!created) {
        out.skipped.push({
          integrationId: integration.id,
          reason: `run ${run.id} already started for this minute`,
        });
        continue;
      }
      this.pending.add(run.id);
      out.started.push({ integrationId: integration.id, runId: run.id });
      this.logger.info({ integrationId: integration.id, runId: run.id }, "scheduled sync started");
    }
    if (out.started.length > 0) this.options.notify();
    return out;
  }

  /** Applies every pending scheduled run that has finished; returns the ids of runs applied. */
  async applyFinished(): Promise<string[]> {
    // One pass at a time: a large apply can outlast the timer's period.
    if (this.applying) return [];
    this.applying = true;
    try {
      return await this.applyPending();
    } finally {
      this.applying = false;
    }
  }

  private async applyPending(): Promise<string[]> {
    const applied: string[] = [];
    for (const runId of [...this.pending]) {
      const run = await this.store.getRun(runId);
      if (run === undefined) {
        this.pending.delete(runId);
        continue;
      }
      if (!FINAL_STATUSES.has(run.status)) continue;
      this.pending.delete(runId);
      if (run.status !== "succeeded") {
        this.logger.warn(
          { runId, status: run.status },
          `scheduled sync ${run.status}; nothing applied`,
        );
        continue;
      }
      try {
        const outcome = await applySyncRun(this.store, runId, this.now);
        if (!outcome.alreadyApplied) {
          applied.push(runId);
          this.logger.info({ ...outcome.applied }, "scheduled sync applied");
        }
      } catch (error) {
        this.logger.error({ runId, err: toErrorInfo(error) }, "applying a scheduled sync failed");
      }
    }
    return applied;
  }

  /** Scheduled runs of the latest few per integration that a stopped process did not apply. */
  private async recover(): Promise<void> {
    for (const integration of await this.store.listIntegrations()) {
      if (syncScheduleOf(integration.manifest) === undefined) continue;
      const recent = await this.store.listRuns({ integrationId: integration.id, limit: 20 });
      for (const run of recent.items) {
        if (run.block !== "sync" || !run.idempotencyKey?.startsWith(SCHEDULE_KEY_PREFIX)) continue;
        if (run.status !== "succeeded" && FINAL_STATUSES.has(run.status)) continue;
        if ((await getAppliedSync(this.store, run.id)) === undefined) this.pending.add(run.id);
      }
    }
    await this.applyFinished();
  }

  private matches(schedule: string, minute: Date): boolean {
    let pattern = this.patterns.get(schedule);
    if (pattern === undefined) {
      try {
        // No callback: this Cron only answers match(), it never schedules anything.
        pattern = new Cron(schedule, { mode: "5-part", paused: true });
      } catch (error) {
        this.logger.warn({ schedule, err: toErrorInfo(error) }, "ignoring an invalid schedule");
        return false;
      }
      this.patterns.set(schedule, pattern);
    }
    return pattern.match(minute);
  }

  /** Chains background work so stop() can wait for it, and logs instead of throwing. */
  private guard(work: Promise<unknown>): Promise<void> {
    const done = work.then(
      () => undefined,
      (error: unknown) =>
        this.logger.error({ err: toErrorInfo(error) }, "scheduled sync housekeeping failed"),
    );
    this.inFlight.add(done);
    void done.finally(() => this.inFlight.delete(done));
    return done;
  }
}
