// The durable runner of the service: claims due runs from the store (queued, waiting whose time
// has come, running whose driver died), drives each with the same driver the CLI uses, and
// checkpoints every transition in the store under a lease. Waits are rows with a wake-up time —
// a waiting run holds no memory here — and the loop sleeps until the earliest one.
import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import { toErrorInfo, type ErrorInfo } from "../errors/index.ts";
import type { FileStore } from "../files/index.ts";
import { sendAttempt } from "../http/index.ts";
import type { JsonValue, ValidationResult } from "../manifest/types.ts";
import { createRunState } from "../engine/machine.ts";
import { preflight } from "../engine/preflight.ts";
import {
  FINAL_STATUSES,
  type EngineOptions,
  type RunEvent,
  type RunState,
} from "../engine/types.ts";
import { generatedSecretIds, secretsToMask } from "../engine/variables.ts";
import { Redactor } from "../redact/index.ts";
import type { ClaimedRun, Store } from "../store/index.ts";
import { driveRun } from "./drive.ts";
import { integrationEgress, type EgressSettings } from "./egress-policy.ts";
import { generateValues } from "./generate.ts";
import { loadRunContext, resumeEvent, unusableContext } from "./claimed-run.ts";
import { removeLeftoverPartials, sweepPartials } from "./partial-janitor.ts";
import { OAUTH_SECRET_KEY, oauthSecretValue } from "./oauth-secret.ts";
import { prepareManifest } from "./prepared-manifest.ts";
import { restoreStored } from "./stored-secrets.ts";
import { notificationsRecord, notifyAfterSuccess, wantsNotifications } from "./notifications.ts";
import type { NotifyConfig } from "../notify/index.ts";

export interface SchedulerLogger {
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
  error(object: object, message?: string): void;
}

export interface SchedulerOptions {
  store: Store;
  files: FileStore;
  /** The operator's egress settings (read when each run is driven). */
  egress?: EgressSettings;
  /** Identifies this process in leases. */
  owner?: string;
  /** How long a claimed run stays ours without renewal (60 s). */
  leaseMs?: number;
  /** Runs driven at once (100). */
  concurrency?: number;
  /** Longest sleep between looks at the store, to see runs created by other processes (1 s). */
  idleMs?: number;
  engine?: EngineOptions;
  maxBodyBytes?: number;
  maxFileBytes?: number;
  /** How long run files are kept (7 days); null keeps them forever. */
  fileRetentionMs?: number | null;
  /**
   * How long after a run finished its personal details are kept (attempts' bodies, headers and
   * URLs, saved responses, params); then only its skeleton is left. Null or absent: forever.
   */
  attemptRetentionMs?: number | null;
  /** SMTP and text settings for post_execute_notification. */
  notify?: NotifyConfig;
  /** The OAuth callback URL of an integration, for `{{ redirect_url }}`. */
  redirectUrlFor?: (integrationId: string) => string | undefined;
  logger?: SchedulerLogger;
  now?: () => number;
}

const SILENT: SchedulerLogger = { info() {}, warn() {}, error() {} };
/** Unexpected errors in a row before a run is set aside as failed. */
const DRIVE_ATTEMPTS = 3;
/** First pause before a run that could not be driven is handed back; doubles each time. */
const DRIVE_RETRY_MS = 500;

export class Scheduler {
  private readonly store: Store;
  private readonly files: FileStore;
  readonly owner: string;
  private readonly leaseMs: number;
  private readonly concurrency: number;
  private readonly idleMs: number;
  private readonly now: () => number;
  private readonly logger: SchedulerLogger;
  private readonly active = new Map<string, Promise<void>>();
  private running = false;
  private loopDone: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private lastCleanup = 0;
  /** Unexpected errors in a row while driving each run (cleared when a drive goes through). */
  private readonly driveFailures = new Map<string, number>();

  constructor(private readonly options: SchedulerOptions) {
    this.store = options.store;
    this.files = options.files;
    this.owner = options.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.leaseMs = options.leaseMs ?? 60_000;
    this.concurrency = options.concurrency ?? 100;
    this.idleMs = options.idleMs ?? 1_000;
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? SILENT;
  }

  /** Starts the claim loop. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
  }

  /** Look at the store now (a run was created, resumed or cancelled). */
  notify(): void {
    this.wakeUp?.();
  }

  /** Runs being driven by this process. */
  get activeRuns(): number {
    return this.active.size;
  }

  /** Stops claiming and waits for every run being driven to reach its next checkpoint and let go. */
  async stop(): Promise<void> {
    this.running = false;
    this.notify();
    await this.loopDone;
    await Promise.allSettled([...this.active.values()]);
  }

  private async loop(): Promise<void> {
    while (this.running) {
      let claimed: ClaimedRun[] = [];
      const capacity = this.concurrency - this.active.size;
      try {
        if (capacity > 0)
          claimed = await this.store.claimRuns({
            owner: this.owner,
            now: this.now(),
            leaseMs: this.leaseMs,
            limit: capacity,
          });
        for (const run of claimed) {
          if (run.fault === undefined) this.track(run);
          else this.logger.error({ runId: run.id, err: run.fault }, "run set aside: row unusable");
        }
        await this.cleanupFiles();
      } catch (error) {
        this.logger.error({ err: toErrorInfo(error) }, "claiming runs failed");
        // Whatever broke (a locked or damaged database) will not heal in 10 ms: look again later.
        await this.sleep(this.idleMs);
      }
      if (!this.running) break;
      if (claimed.length > 0 && claimed.length === capacity) {
        await this.sleep(this.idleMs); // full: a finishing run or notify() wakes us
        continue;
      }
      if (claimed.length > 0) continue;
      let delay = this.idleMs;
      try {
        const next = await this.store.nextWakeAt();
        if (next !== null) delay = Math.min(this.idleMs, Math.max(next - this.now(), 10));
      } catch (error) {
        this.logger.error({ err: toErrorInfo(error) }, "reading the next wake-up time failed");
      }
      await this.sleep(delay);
    }
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

  private track(run: ClaimedRun): void {
    const drive = this.drive(run)
      .catch((error: unknown) =>
        this.logger.error({ runId: run.id, err: toErrorInfo(error) }, "driving a run failed"),
      )
      .finally(() => {
        this.active.delete(run.id);
        this.notify();
      });
    this.active.set(run.id, drive);
  }

  private async drive(run: ClaimedRun): Promise<void> {
    const renew = setInterval(
      () => {
        void this.store
          .renewLease({ runId: run.id, owner: this.owner, now: this.now(), leaseMs: this.leaseMs })
          .catch(() => undefined);
      },
      Math.max(1_000, Math.floor(this.leaseMs / 3)),
    );
    renew.unref();
    try {
      await this.driveClaimed(run);
      this.driveFailures.delete(run.id);
    } catch (error) {
      await this.onDriveFailure(run, error);
      throw error;
    } finally {
      clearInterval(renew);
    }
  }

  private async driveClaimed(run: ClaimedRun): Promise<void> {
    const integration = await this.store.getIntegration(run.integrationId);
    if (integration === undefined)
      return this.failEarly(run, {
        code: "NOT_FOUND",
        message: "the run's integration no longer exists",
      });
    const validation = this.manifestOf(integration);
    if (!validation.ok) {
      const first = validation.problems[0]!;
      return this.failEarly(run, {
        code: "VALIDATION",
        message: `the integration's manifest is invalid: ${first.path}: ${first.message}`,
        path: first.path,
      });
    }
    const loaded = await loadRunContext(this.store, run, integration, validation.manifest, {
      ...(this.options.engine !== undefined ? { engine: this.options.engine } : {}),
      ...(this.options.redirectUrlFor !== undefined
        ? { redirectUrlFor: this.options.redirectUrlFor }
        : {}),
    }).catch(unusableContext);
    if ("code" in loaded) return this.failEarly(run, loaded);
    const { ctx, storedValues } = loaded;

    if (run.recovered) await removeLeftoverPartials(this.files, run.id);
    let state: RunState;
    let event: RunEvent;
    const now = this.now();
    if (run.state === null) {
      state = createRunState(run.id, generateValues(generatedSecretIds(ctx)));
      const check = preflight(ctx);
      if (check.problems.length > 0) {
        const list = check.problems
          .map(
            (problem) =>
              `${problem.path !== undefined ? `${problem.path}: ` : ""}${problem.message}`,
          )
          .join("; ");
        const masker = new Redactor(secretsToMask(ctx, state.generated));
        return this.failEarly(
          run,
          masker.redact({
            ...check.problems[0]!,
            message: `nothing was sent: ${list}`,
            details: { problems: check.problems },
          }),
          state,
        );
      }
      event = run.request === "cancel" ? { type: "cancel", now } : { type: "start", now };
    } else {
      state = restoreStored(run.state, storedValues, run.id);
      event = resumeEvent(run, state, now);
    }

    const redactor = new Redactor(secretsToMask(ctx, state.generated));
    const knownFiles = new Set(Object.keys(state.files));
    let request = run.request;
    const policy = integrationEgress(integration.options, this.options.egress);
    const retention =
      this.options.fileRetentionMs === undefined
        ? 7 * 24 * 3_600_000
        : this.options.fileRetentionMs;

    let notifyPending = false;
    let lastState: RunState | undefined;
    const current0 = (state: RunState) =>
      state.status === "succeeded" && wantsNotifications(ctx, state);
    const driven = await driveRun(
      {
        ctx,
        redactor,
        now: this.now,
        send: (spec) =>
          sendAttempt(spec, {
            files: this.files,
            runId: run.id,
            checkAddress: policy,
            holdsSecret: (text) => redactor.holdsSecret(text),
            ...(this.options.maxBodyBytes !== undefined
              ? { maxBodyBytes: this.options.maxBodyBytes }
              : {}),
            ...(this.options.maxFileBytes !== undefined
              ? { maxFileBytes: this.options.maxFileBytes }
              : {}),
          }),
        checkpoint: async (checkpoint) => {
          // A succeeded run with notifications keeps its lease until they are sent (at most once:
          // a crash while "sending" leaves them recorded as such, never sent twice).
          notifyPending = current0(checkpoint.state);
          const current = notifyPending
            ? { ...checkpoint.state, notifications: notificationsRecord({ status: "sending" }) }
            : checkpoint.state;
          lastState = current;
          const done =
            (FINAL_STATUSES.has(current.status) || current.status === "waiting") && !notifyPending;
          await this.store.checkpoint({
            runId: run.id,
            owner: this.owner,
            state: current,
            status: current.status,
            wakeAt: current.status === "waiting" ? (current.wakeAt ?? this.now()) : null,
            error: current.error ?? null,
            ...(checkpoint.attempt !== undefined
              ? {
                  attempt: {
                    step: checkpoint.attempt.step,
                    attempt: checkpoint.attempt.attempt,
                    startedAt: checkpoint.attempt.startedAt,
                    durationMs: checkpoint.attempt.durationMs,
                    record: checkpoint.attempt as unknown as JsonValue,
                  },
                }
              : {}),
            ...(checkpoint.stored !== undefined && run.hireId !== null
              ? {
                  storedFields: {
                    hireId: run.hireId,
                    fields: checkpoint.stored.fields,
                    shown: checkpoint.stored.shown,
                  },
                }
              : {}),
            ...(request !== null ? { clearRequest: request } : {}),
            releaseLease: done,
          });
          request = null;
          for (const [name, file] of Object.entries(current.files)) {
            if (knownFiles.has(name)) continue;
            knownFiles.add(name);
            await this.store.addFile({
              runId: run.id,
              file,
              expiresAt: retention === null ? null : this.now() + retention,
            });
          }
          if (FINAL_STATUSES.has(current.status))
            this.logger.info(
              { runId: run.id, status: current.status, error: current.error?.code },
              `run ${current.status}`,
            );
        },
        // Waits are rows: hand the run back; claimRuns finds it again when its time comes.
        wait: async () => false,
        onOAuthTokens: (tokens) =>
          this.store.setSecret(integration.id, OAUTH_SECRET_KEY, oauthSecretValue(tokens)),
        cancelled: async () => (await this.store.getRun(run.id))?.request === "cancel",
      },
      state,
      event,
    );
    if (notifyPending && lastState !== undefined) {
      const results = await notifyAfterSuccess(
        ctx,
        driven.state,
        this.options.notify ?? {},
        redactor,
      );
      await this.store.checkpoint({
        runId: run.id,
        owner: this.owner,
        state: { ...lastState, notifications: notificationsRecord({ status: "sent", results }) },
        status: "succeeded",
        wakeAt: null,
        error: null,
        releaseLease: true,
      });
      const failed = results.filter((result) => !result.ok).length;
      if (failed > 0)
        this.logger.warn({ runId: run.id, failed }, "some notifications could not be sent");
    }
  }

  // Validating once per integration version, not once per run: thousands of runs share it.
  private readonly manifests = new Map<string, { updatedAt: number; result: ValidationResult }>();

  private manifestOf(integration: {
    id: string;
    updatedAt: number;
    manifest: JsonValue;
  }): ValidationResult {
    const cached = this.manifests.get(integration.id);
    if (cached !== undefined && cached.updatedAt === integration.updatedAt) return cached.result;
    const result = prepareManifest(integration.manifest);
    if (this.manifests.size > 1_000) this.manifests.clear();
    this.manifests.set(integration.id, { updatedAt: integration.updatedAt, result });
    return result;
  }

  /**
   * After an unexpected error driving a run (not a failed step: a hire row that cannot be read, a
   * store error): the lease is kept a while before the run is handed back, longer each time, so an
   * error that repeats is not met again at once at full CPU; the third time in a row the run is
   * set aside as failed with a sentence, and every other run goes on.
   */
  private async onDriveFailure(run: ClaimedRun, error: unknown): Promise<void> {
    const failures = (this.driveFailures.get(run.id) ?? 0) + 1;
    this.driveFailures.set(run.id, failures);
    if (failures >= DRIVE_ATTEMPTS) {
      this.driveFailures.delete(run.id);
      const { code } = toErrorInfo(error);
      const setAside = await this.failEarly(run, {
        code: "INTERNAL",
        message: `hirewire could not drive this run: the same unexpected error (${code}) came back ${failures} times in a row, so the run was set aside as failed and other runs go on; the service log has the details — fix the cause, then resume the run`,
      }).then(
        () => true,
        () => false,
      );
      if (setAside) return;
    }
    const release = setTimeout(
      () => void this.store.releaseLease(run.id, this.owner).catch(() => undefined),
      DRIVE_RETRY_MS * 2 ** (failures - 1),
    );
    release.unref();
  }

  /** Fails a run before anything was sent (missing integration, invalid manifest, bad inputs). */
  private async failEarly(run: ClaimedRun, error: ErrorInfo, initial?: RunState): Promise<void> {
    const state: RunState = {
      ...(initial ?? run.state ?? createRunState(run.id)),
      status: "failed",
      error,
    };
    const { generated: _generated, ...rest } = state;
    await this.store.checkpoint({
      runId: run.id,
      owner: this.owner,
      state: { ...rest, generated: {} },
      status: "failed",
      wakeAt: null,
      error,
      ...(run.request !== null ? { clearRequest: run.request } : {}),
      releaseLease: true,
    });
  }

  private async cleanupFiles(): Promise<void> {
    const now = this.now();
    if (now - this.lastCleanup < 60_000) return;
    this.lastCleanup = now;
    const retention = this.options.attemptRetentionMs;
    if (retention !== undefined && retention !== null) {
      const erased = await this.store.eraseFinishedRuns(now - retention, 500);
      if (erased > 0)
        this.logger.info({ count: erased }, "erased the details of runs past attempt retention");
    }
    for (const file of await this.store.expiredFiles(now, 500)) {
      await this.files.delete({
        name: file.name,
        ref: file.ref,
        size: file.size,
        contentType: file.contentType,
      });
      await this.store.deleteFile(file.id);
    }
    const partials = await sweepPartials({
      files: this.files,
      store: this.store,
      now,
      isActive: (runId) => this.active.has(runId),
    });
    if (partials.length > 0)
      this.logger.info(
        { count: partials.length, bytes: partials.reduce((sum, p) => sum + p.size, 0) },
        "removed partial files left by an interrupted download",
      );
  }
}
