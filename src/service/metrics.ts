// Prometheus metrics of one process (`GET /metrics`, text format): runs by status and the queue
// read from the store at each scrape, and what this process saw itself — claims, attempts, lease
// takeovers, API latency. Labels are statuses, outcomes, methods and route patterns only: never
// an id, a URL with an id in it, a host, a hire's data or a secret, so the endpoint needs no token.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { RUN_STATUSES } from "../engine/types.ts";
import type { RateGateObserver } from "../runner/rate-gate.ts";
import type { ClaimedRun, Store } from "../store/index.ts";

export type ProcessRole = "all" | "api" | "worker";

/** Seconds buckets for claim latency: a run claimed at once, after a poll, or after a backlog. */
const CLAIM_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900];
/** Methods kept as labels; anything else a client invents is counted as `other`. */
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Seconds buckets for rate-limit waits: a token's spacing, a slot freed, a 429's pause. */
const RATE_WAIT_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export class ServiceMetrics {
  readonly registry = new Registry();
  readonly #claimLatency: Histogram<"kind">;
  readonly #claims: Counter;
  readonly #takeovers: Counter;
  readonly #attempts: Counter<"outcome">;
  readonly #http: Histogram<"method" | "route" | "status">;
  readonly #rateWaits: Counter<"reason">;
  readonly #rateWaitSeconds: Histogram;
  readonly #rateParked: Counter;
  readonly #rateThrottled: Counter;

  constructor(options: { store: Store; role: ProcessRole; now?: () => number }) {
    const { store, role } = options;
    const now = options.now ?? Date.now;
    const registry = this.registry;
    collectDefaultMetrics({ register: registry, prefix: "hirewire_" });
    new Gauge({
      name: "hirewire_process_role",
      help: "What this process does: all (API and runs), api (API only) or worker (runs only).",
      labelNames: ["role"],
      registers: [registry],
    }).set({ role }, 1);

    // Store-wide figures, read at each scrape: every process sharing the store reports the same.
    let counts: Promise<Awaited<ReturnType<Store["countRuns"]>>> | undefined;
    const readCounts = () =>
      (counts ??= store.countRuns(now()).finally(() => (counts = undefined)));
    new Gauge({
      name: "hirewire_runs",
      help: "Runs in the store by status (store-wide: every process reports the same).",
      labelNames: ["status"],
      registers: [registry],
      async collect() {
        const { byStatus } = await readCounts();
        for (const status of RUN_STATUSES) this.set({ status }, byStatus[status] ?? 0);
      },
    });
    new Gauge({
      name: "hirewire_runs_waiting",
      help: "Runs waiting for their wake-up time (polling, backing off, or waiting for a delay).",
      registers: [registry],
      async collect() {
        this.set((await readCounts()).byStatus.waiting ?? 0);
      },
    });
    new Gauge({
      name: "hirewire_queue_depth",
      help: "Runs due now that no process has claimed yet (queued, woken, or left by a stopped driver).",
      registers: [registry],
      async collect() {
        this.set((await readCounts()).due);
      },
    });

    // What this process's worker did (zero on an API-only process).
    this.#claims = new Counter({
      name: "hirewire_runs_claimed_total",
      help: "Runs this process claimed to drive.",
      registers: [registry],
    });
    this.#claimLatency = new Histogram({
      name: "hirewire_claim_latency_seconds",
      help: "From the moment a run became due (created, resumed, woken) to the moment this process claimed it.",
      labelNames: ["kind"],
      buckets: CLAIM_BUCKETS,
      registers: [registry],
    });
    this.#takeovers = new Counter({
      name: "hirewire_lease_takeovers_total",
      help: "Runs this process took over from a driver whose lease expired (a crash or a kill).",
      registers: [registry],
    });
    this.#attempts = new Counter({
      name: "hirewire_attempts_total",
      help: "HTTP attempts this process made, by outcome: the response's status class, or error (no response).",
      labelNames: ["outcome"],
      registers: [registry],
    });
    // Integrations' rate limits, as this process's runs met them (no integration is named: the
    // rate each one has now is in the API's rate_limit_status).
    this.#rateWaits = new Counter({
      name: "hirewire_rate_limit_waits_total",
      help: "Requests of this process that waited for their integration's rate limit, by what they waited for: paused (a 429's Retry-After), rate, or in_flight.",
      labelNames: ["reason"],
      registers: [registry],
    });
    this.#rateWaitSeconds = new Histogram({
      name: "hirewire_rate_limit_wait_seconds",
      help: "How long requests of this process waited for their integration's rate limit (those that waited).",
      buckets: RATE_WAIT_BUCKETS,
      registers: [registry],
    });
    this.#rateParked = new Counter({
      name: "hirewire_rate_limit_parked_total",
      help: "Runs this process handed back to the store until their integration's long pause ends.",
      registers: [registry],
    });
    this.#rateThrottled = new Counter({
      name: "hirewire_rate_limit_throttled_total",
      help: "429 answers to requests of rate-limited integrations (each halves the integration's rate and pauses it for its Retry-After).",
      registers: [registry],
    });
    this.#http = new Histogram({
      name: "hirewire_http_request_duration_seconds",
      help: "Time to answer requests to this process's API and web UI, by method, route pattern and status.",
      labelNames: ["method", "route", "status"],
      buckets: HTTP_BUCKETS,
      registers: [registry],
    });
  }

  /**
   * The store as the scheduler should see it: the same store, with claims and checkpoints
   * counted on their way through. Nothing else changes.
   */
  instrumentStore(store: Store): Store {
    const claimRuns: Store["claimRuns"] = async (input) => {
      const claimed = await store.claimRuns(input);
      for (const run of claimed) this.#claimed(run, input.now);
      return claimed;
    };
    const claimDue: Store["claimDue"] = async (input) => {
      const result = await store.claimDue(input);
      for (const run of result.runs) this.#claimed(run, input.now);
      return result;
    };
    const checkpoint: Store["checkpoint"] = async (input) => {
      const record = await store.checkpoint(input);
      if (input.attempt !== undefined)
        this.#attempts.inc({ outcome: outcomeOf(input.attempt.record) });
      return record;
    };
    const saveCheckpoint: Store["saveCheckpoint"] = async (input) => {
      const note = await store.saveCheckpoint(input);
      if (input.attempt !== undefined)
        this.#attempts.inc({ outcome: outcomeOf(input.attempt.record) });
      return note;
    };
    return new Proxy(store, {
      get(target, property) {
        if (property === "claimRuns") return claimRuns;
        if (property === "claimDue") return claimDue;
        if (property === "checkpoint") return checkpoint;
        if (property === "saveCheckpoint") return saveCheckpoint;
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  }

  /** What the scheduler's rate gate reports, counted here. */
  rateLimitObserver(): RateGateObserver {
    return {
      waited: (reason, ms, parked) => {
        this.#rateWaits.inc({ reason });
        if (parked) this.#rateParked.inc();
        else this.#rateWaitSeconds.observe(ms / 1_000);
      },
      throttled: () => this.#rateThrottled.inc(),
    };
  }

  #claimed(run: ClaimedRun, claimedAt: number): void {
    if (run.fault !== undefined) return;
    this.#claims.inc();
    if (run.recovered) {
      this.#takeovers.inc();
      return;
    }
    // A queued run is due from its last change (creation or resume); a waiting one from its wake time.
    const dueAt = run.status === "waiting" ? (run.wakeAt ?? run.updatedAt) : run.updatedAt;
    const kind = run.status === "waiting" ? "woken" : "queued";
    this.#claimLatency.observe({ kind }, Math.max(0, claimedAt - dueAt) / 1_000);
  }

  /** Times every request; the route is the pattern (`/api/runs/:id`), never the path itself. */
  httpMiddleware(): MiddlewareHandler {
    return async (c, next) => {
      const started = performance.now();
      await next();
      // After next(), the route that answered; a 404 from a catch-all is a path nothing serves.
      const answered = routePath(c);
      const route = c.res.status === 404 && answered.endsWith("*") ? "unmatched" : answered;
      this.#http.observe(
        {
          method: METHODS.has(c.req.method) ? c.req.method : "other",
          route,
          status: String(c.res.status),
        },
        (performance.now() - started) / 1_000,
      );
    };
  }

  /** The text a scrape gets, and its content type. */
  async render(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}

/** An attempt's outcome class: `2xx`…`5xx` for a response, `error` when none came back. */
function outcomeOf(record: unknown): string {
  const response = (record as { response?: { status?: unknown } } | null)?.response;
  if (typeof response?.status !== "number") return "error";
  return `${Math.floor(response.status / 100)}xx`;
}
