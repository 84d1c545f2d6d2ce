// The durable runner of the service: drives each run the claim loop takes from the store with the
// same driver the CLI uses, checkpointing every transition in the store under a lease. Waits are
// rows with a wake-up time — a waiting run holds no memory here — except short ones (a poll every
// few hundred milliseconds), waited in place with the lease kept, which spares a hand-back and a
// claim per wait. Stopping hands every lease back as soon as each run's attempt in flight is
// checkpointed (or its wait in place is cut short), so another process takes the runs at once.
import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import { problem, toErrorInfo, type ErrorInfo } from "../errors/index.ts";
import type { FileStore } from "../files/index.ts";
import type { RequestSpec } from "../exchange/types.ts";
import { createRunState } from "../engine/machine.ts";
import type { EngineOptions, RunEvent, RunState } from "../engine/types.ts";
import type { ClaimedRun, IntegrationRecord, Store } from "../store/index.ts";
import { ClaimLoop } from "./claim-loop.ts";
import { driveRun } from "./drive.ts";
import { integrationEgress, type EgressSettings } from "./egress-policy.ts";
import { FileJanitor } from "./file-janitor.ts";
import { loadRunInputs, resumeEvent, unusableContext } from "./claimed-run.ts";
import { senderFor } from "./in-process-host.ts";
import { prepareRun, type PreparedRun } from "./lifecycle.ts";
import { removeLeftoverPartials } from "./partial-janitor.ts";
import { OAUTH_SECRET_KEY, oauthSecretValue } from "../secrets/oauth-secret.ts";
import { integrationManifest } from "./prepared-manifest.ts";
import { storeRefreshLock } from "./oauth-refresh-lock.ts";
import { RateGate, type RateGateObserver } from "./rate-gate.ts";
import { storeCheckpointer } from "./store-checkpointer.ts";
import { restoreStored } from "./stored-secrets.ts";
import type { NotifyConfig } from "../notify/index.ts";

export interface SchedulerLogger {
  debug?(object: object, message?: string): void;
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
  /**
   * Waits up to this long are waited in place, the lease kept, instead of handing the run back to
   * be claimed again (500 ms; 0 makes every wait a row). At most 5 s of them per drive.
   */
  waitInPlaceMs?: number;
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
  /**
   * Integrations' rate limits: waits longer than `parkAfterMs` hand the run back until then (10 s);
   * a slot outlives its request's timeout by `slotGraceMs` if its holder dies (30 s).
   */
  rateLimits?: { parkAfterMs?: number; slotGraceMs?: number; observer?: RateGateObserver };
}

/** What every run of an integration reads first: its row and its secrets. */
interface IntegrationReads {
  integration: Promise<IntegrationRecord | undefined>;
  secrets: Promise<Record<string, string>>;
}

const SILENT: SchedulerLogger = { info() {}, warn() {}, error() {} };
/** Unexpected errors in a row before a run is set aside as failed. */
const DRIVE_ATTEMPTS = 3;
/** First pause before a run that could not be driven is handed back; doubles each time. */
const DRIVE_RETRY_MS = 500;
/** Waiting in place per drive, at most; then the run waits as a row like any other. */
const IN_PLACE_BUDGET_MS = 5_000;
/**
 * A run waiting in place stays leased until this long past its wake-up time (or a lease, if
 * shorter): if this process dies meanwhile, another takes the run soon after it was due.
 */
const IN_PLACE_GRACE_MS = 5_000;

export class Scheduler {
  private readonly store: Store;
  private readonly files: FileStore;
  readonly owner: string;
  private readonly leaseMs: number;
  private readonly now: () => number;
  private readonly logger: SchedulerLogger;
  private readonly active = new Map<string, Promise<void>>();
  private readonly claims: ClaimLoop;
  private readonly janitor: FileJanitor;
  private readonly rates: RateGate;
  /** Set by stop(): every drive hands its run back before its next send. */
  private stopping = false;
  /** Unexpected errors in a row while driving each run (cleared when a drive goes through). */
  private readonly driveFailures = new Map<string, number>();
  /** Reads shared by the runs of the claim being handed over (cleared once it is). */
  private readonly claimReads = new Map<string, IntegrationReads>();
  /** Waits in place in progress: each ends early (resolving false) when called. */
  private readonly pauses = new Set<() => void>();
  private readonly waitInPlaceMs: number;

  constructor(private readonly options: SchedulerOptions) {
    this.store = options.store;
    this.files = options.files;
    this.owner = options.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.leaseMs = options.leaseMs ?? 60_000;
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? SILENT;
    this.waitInPlaceMs = options.waitInPlaceMs ?? 500;
    this.janitor = new FileJanitor({
      store: this.store,
      files: this.files,
      now: this.now,
      ...(options.attemptRetentionMs !== undefined
        ? { attemptRetentionMs: options.attemptRetentionMs }
        : {}),
      isActive: (runId) => this.active.has(runId),
      logger: this.logger,
    });
    this.rates = new RateGate({
      store: this.store,
      now: this.now,
      logger: this.logger,
      ...options.rateLimits,
    });
    this.claims = new ClaimLoop({
      store: this.store,
      owner: this.owner,
      leaseMs: this.leaseMs,
      concurrency: options.concurrency ?? 100,
      idleMs: options.idleMs ?? 1_000,
      now: this.now,
      logger: this.logger,
      active: () => this.active.size,
      drive: (run) => this.track(run),
      afterClaim: () => this.janitor.maybeClean(),
    });
  }

  /** Starts the claim loop. */
  start(): void {
    this.stopping = false;
    this.rates.start();
    this.claims.start();
  }

  /** Look at the store now (a run was created, resumed or cancelled). */
  notify(): void {
    this.claims.notify();
  }

  /** Runs being driven by this process. */
  get activeRuns(): number {
    return this.active.size;
  }

  /**
   * Stops claiming, and waits for every run being driven to checkpoint its attempt in flight and
   * let its lease go (a run sending its notifications finishes them first).
   */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const cut of [...this.pauses]) cut();
    this.rates.stop();
    await this.claims.stop();
    await Promise.allSettled([...this.active.values()]);
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
    const start = await this.prepare(run);
    if (start === undefined) return;
    const { integration, prepared, event } = start;
    const { context: ctx, redactor, state } = prepared;
    if (run.recovered) await removeLeftoverPartials(this.files, run.id);
    const policy = integrationEgress(integration.options, this.options.egress);
    let inPlace = false;
    let budget = IN_PLACE_BUDGET_MS;
    const checkpointer = storeCheckpointer({
      store: this.store,
      owner: this.owner,
      run,
      knownFiles: Object.keys(state.files),
      fileRetentionMs:
        this.options.fileRetentionMs === undefined
          ? 7 * 24 * 3_600_000
          : this.options.fileRetentionMs,
      now: this.now,
      logger: this.logger,
      leaseMs: this.leaseMs,
      holdWait: (waiting) => {
        const wakeAt = waiting.wakeAt ?? this.now();
        const ms = Math.max(0, wakeAt - this.now());
        inPlace = !this.stopping && ms <= this.waitInPlaceMs && ms <= budget;
        if (!inPlace) return undefined;
        budget -= ms;
        return wakeAt + Math.min(IN_PLACE_GRACE_MS, this.leaseMs);
      },
    });
    const rateLimit = integration.options.rateLimit;
    await driveRun(
      {
        ctx,
        redactor,
        now: this.now,
        send: senderFor(
          {
            files: this.files,
            checkAddress: policy,
            ...(this.options.maxBodyBytes !== undefined
              ? { maxBodyBytes: this.options.maxBodyBytes }
              : {}),
            ...(this.options.maxFileBytes !== undefined
              ? { maxFileBytes: this.options.maxFileBytes }
              : {}),
          },
          run.id,
          redactor,
        ),
        checkpoint: checkpointer.checkpoint,
        // A short wait goes on in place; a longer one is a row: the run is handed back and the
        // claim loop finds it again when its time comes.
        wait: async (until) => {
          if (!inPlace) return false;
          inPlace = false;
          if (await this.pause(until - this.now())) return true;
          // Stopping: let the run go at once; it waits as a row for whoever takes it next.
          await this.store.releaseLease(run.id, this.owner);
          return false;
        },
        onOAuthTokens: (tokens) =>
          this.store.setSecret(integration.id, OAUTH_SECRET_KEY, oauthSecretValue(tokens)),
        refreshLock: storeRefreshLock(this.store, integration.id),
        // Every send follows the checkpoint of its transition, which reads the pending request.
        cancelled: () => checkpointer.cancelRequested(),
        handBack: () => this.stopping,
        // Only with a rate limit: without one every request may go at once, and the driver then
        // holds no permit and awaits nothing before a send.
        ...(rateLimit !== undefined
          ? {
              admit: (spec: RequestSpec, mayHandBack: boolean) =>
                this.rates.admit(integration.id, rateLimit, spec, mayHandBack),
            }
          : {}),
        ...(this.options.notify !== undefined ? { notify: this.options.notify } : {}),
      },
      state,
      event,
    );
  }

  /** Sleeps `ms`: true when the time is up, false when the scheduler stops first. */
  private pause(ms: number): Promise<boolean> {
    if (this.stopping) return Promise.resolve(false);
    return new Promise((resolve) => {
      const end = (woke: boolean) => {
        clearTimeout(timer);
        this.pauses.delete(cut);
        resolve(woke);
      };
      const cut = () => end(false);
      const timer = setTimeout(() => end(true), Math.max(0, ms));
      this.pauses.add(cut);
    });
  }

  /**
   * What driving a claimed run starts from: its integration, the prepared run (context, state,
   * redactor) and event; undefined when the run was failed before anything was sent (missing
   * integration, invalid manifest or inputs, secrets that cannot be read).
   */
  private async prepare(
    run: ClaimedRun,
  ): Promise<
    { integration: IntegrationRecord; prepared: PreparedRun; event: RunEvent } | undefined
  > {
    const reads = this.integrationReads(run.integrationId);
    const integration = await reads.integration;
    if (integration === undefined)
      return this.failEarly(run, problem("NOT_FOUND", "runIntegrationGone", {}));
    // Validated once per integration version, not once per run: thousands of runs share it.
    const validation = integrationManifest(integration);
    if (!validation.ok) {
      const first = validation.problems[0]!;
      return this.failEarly(
        run,
        problem("VALIDATION", "integrationManifestInvalid", { first }, { path: first.path }),
      );
    }
    const loaded = await this.loadInputs(run, integration, reads.secrets);
    if ("code" in loaded) return this.failEarly(run, loaded);
    const { inputs, storedValues } = loaded;
    const now = this.now();
    if (run.state !== null) {
      const state = restoreStored(run.state, storedValues, run.id);
      const prepared = prepareRun(validation, inputs, { resume: state });
      return { integration, prepared, event: resumeEvent(run, state, now) };
    }
    const prepared = prepareRun(validation, inputs, { runId: run.id });
    if (prepared.problems.length > 0) {
      const problems = prepared.problems;
      const list = problems
        .map(
          (problem) => `${problem.path !== undefined ? `${problem.path}: ` : ""}${problem.message}`,
        )
        .join("; ");
      return this.failEarly(
        run,
        prepared.redactor.redact({
          ...problems[0]!,
          message: `nothing was sent: ${list}`,
          details: { problems },
        }),
        prepared.state,
      );
    }
    const event: RunEvent =
      run.request === "cancel" ? { type: "cancel", now } : { type: "start", now };
    return { integration, prepared, event };
  }

  /**
   * The integration and its secrets, read once for all the runs of one claim that share it (they
   * are read the moment the claim hands them over, as each run would read them itself).
   */
  private integrationReads(integrationId: string): IntegrationReads {
    let reads = this.claimReads.get(integrationId);
    if (reads === undefined) {
      const secrets = this.store.getSecrets(integrationId);
      // Awaited (and its error met) by each run after it found its integration and manifest.
      secrets.catch(() => undefined);
      reads = { integration: this.store.getIntegration(integrationId), secrets };
      if (this.claimReads.size === 0) queueMicrotask(() => this.claimReads.clear());
      this.claimReads.set(integrationId, reads);
    }
    return reads;
  }

  private loadInputs(
    run: ClaimedRun,
    integration: IntegrationRecord,
    secrets: Promise<Record<string, string>>,
  ) {
    return loadRunInputs(this.store, run, integration, {
      secrets,
      ...(this.options.engine !== undefined ? { engine: this.options.engine } : {}),
      ...(this.options.redirectUrlFor !== undefined
        ? { redirectUrlFor: this.options.redirectUrlFor }
        : {}),
    }).catch(unusableContext);
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
      const setAside = await this.failEarly(
        run,
        problem("INTERNAL", "runSetAside", { cause: code, failures }),
      ).then(
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
  private async failEarly(
    run: ClaimedRun,
    error: ErrorInfo,
    initial?: RunState,
  ): Promise<undefined> {
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
    return undefined;
  }
}
