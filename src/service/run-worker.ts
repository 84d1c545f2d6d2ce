// The worker half of a process: the run scheduler (claims and drives due runs) and the sync
// schedule (starts scheduled user syncs), woken by any process sharing the store. `hirewire serve`
// starts it beside the API unless --no-worker; `hirewire worker` starts only this.
import type { Logger } from "pino";
import type { FileStore } from "../files/index.ts";
import type { EgressSettings } from "../runner/egress-policy.ts";
import { Scheduler } from "../runner/scheduler.ts";
import type { Store } from "../store/index.ts";
import type { ServiceMetrics } from "./metrics.ts";
import type { ServiceConfig } from "./service-config.ts";
import { SyncSchedule } from "../runner/sync-schedule.ts";

export interface RunWorker {
  scheduler: Scheduler;
  /** Stops the sync schedule, then lets every run being driven reach its checkpoint. */
  stop(): Promise<void>;
}

export function createRunWorker(options: {
  config: ServiceConfig;
  store: Store;
  files: FileStore;
  egress: EgressSettings;
  logger: Logger;
  metrics: ServiceMetrics;
  redirectUrlFor: (integrationId: string) => string | undefined;
}): RunWorker & { start(): void } {
  const { config, store, logger } = options;
  const scheduler = new Scheduler({
    store: options.metrics.instrumentStore(store),
    files: options.files,
    egress: options.egress,
    logger,
    fileRetentionMs: config.fileRetentionMs,
    attemptRetentionMs: config.attemptRetentionMs ?? null,
    leaseMs: config.leaseMs,
    ...(config.notify !== undefined ? { notify: config.notify } : {}),
    concurrency: config.concurrency,
    redirectUrlFor: options.redirectUrlFor,
    rateLimits: { observer: options.metrics.rateLimitObserver() },
  });
  const syncSchedule = new SyncSchedule({ store, notify: () => scheduler.notify(), logger });
  let stopWakeUps: (() => void) | undefined;
  return {
    scheduler,
    start() {
      // Runs made due by any process sharing the store (PostgreSQL: LISTEN/NOTIFY) wake this one.
      stopWakeUps = store.onRunsDue(() => scheduler.notify());
      scheduler.start();
      syncSchedule.start();
    },
    async stop() {
      await syncSchedule.stop();
      stopWakeUps?.();
      await scheduler.stop();
    },
  };
}
