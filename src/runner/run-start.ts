// Starting a durable run (the API's POST /api/runs, hires created with `trigger`, syncs): every
// thing that can be known before anything is sent is checked first — the manifest is valid,
// declared secrets are set, every variable resolves for this hire — and only then is the run
// queued for the scheduler. A refused run leaves nothing behind.
import {
  describeProblem,
  ERROR_CATALOG,
  HirewireError,
  hirewireError,
  problem,
  type ErrorCode,
} from "../errors/index.ts";
import { blockSteps } from "../engine/blocks.ts";
import type { RunBlock } from "../engine/types.ts";
import type { FileStore } from "../files/index.ts";
import type { JsonValue } from "../manifest/index.ts";
import { splitOAuthSecret } from "../secrets/oauth-secret.ts";
import type { IntegrationRecord, RunRecord } from "../store/records.ts";
import type { Store } from "../store/store.ts";
import { paramsWithAccessOverview, withEarlierOverview } from "./access-overview.ts";
import type { EgressSettings } from "./egress-policy.ts";
import { prepareRun, problemOf, type RunProblem } from "./lifecycle.ts";
import { conflict, notFound } from "./lookup.ts";
import { integrationManifest } from "./prepared-manifest.ts";
import { missingSecrets, secretsStatus } from "./secrets-status.ts";
import { storedInputs } from "./stored-secrets.ts";

/** What starting runs needs from the service around it. */
export interface StartDeps {
  store: Store;
  /** Where the exists checks of an access overview keep their (no) files. */
  files: FileStore;
  egress?: EgressSettings;
  /** The integration's OAuth callback URL (`{{ redirect_url }}`), when the service has one. */
  redirectUrlFor?: (integrationId: string) => string | undefined;
  /** Wakes the scheduler after a run was created. */
  notify(): void;
}

/** The hire a run would be for: props and stored fields (values only). */
export interface HireInputs {
  props: Record<string, JsonValue>;
  /** Real values (sensitive ones decrypted): preflight renders with them. */
  stored: Record<string, JsonValue>;
  /** Secret values among `stored`, masked in the problems returned. */
  storedSecrets?: Array<{ name: string; value: string }>;
  /** Secret stored fields that cannot be decrypted (a lost key). */
  unreadableStored?: string[];
}

/** True when the saved manifest is a sync-users manifest (it has `action` or `data_structure`). */
export function isSyncIntegration(integration: IntegrationRecord): boolean {
  const manifest = integration.manifest;
  return (
    typeof manifest === "object" &&
    manifest !== null &&
    !Array.isArray(manifest) &&
    ("action" in manifest || "data_structure" in manifest)
  );
}

/** The sentence refusing a sync-users manifest started any other way than as a sync. */
/**
 * Every reason the integration's `block` (default `execute`) cannot run for this hire now, masked.
 * Empty when the run can start. A sync-users manifest is refused unless `options.sync` says the
 * caller starts a sync: run as an execute run it would fetch a page and apply nothing.
 * `options.secrets` gives the integration's secrets as the caller read them (decrypted when
 * called, throwing as `Store.getSecrets` does); without it they are read here.
 */
export async function runBlockers(
  deps: Pick<StartDeps, "store" | "redirectUrlFor">,
  integration: IntegrationRecord,
  hire: HireInputs,
  params: Record<string, JsonValue>,
  block: RunBlock = "execute",
  options: { sync?: boolean; secrets?: () => Record<string, string> } = {},
): Promise<RunProblem[]> {
  if (options.sync !== true && isSyncIntegration(integration))
    return [
      problemOf(
        problem(
          "INPUT_INVALID",
          "syncOnly",
          { name: integration.name, integrationId: integration.id },
          { path: "action" },
        ),
      ),
    ];
  const validation = integrationManifest(integration);
  if (!validation.ok) {
    return validation.problems
      .filter((problem) => problem.severity === "error")
      .map((found) =>
        problemOf(
          problem(
            "VALIDATION",
            "savedManifestProblem",
            { problem: found.message },
            {
              path: found.path,
            },
          ),
        ),
      );
  }
  const stored = options.secrets?.() ?? (await deps.store.getSecrets(integration.id));
  const { secrets, oauth } = splitOAuthSecret(stored);
  // Which secrets are set, from the same read (only `set` matters here, not when).
  const status = secretsStatus(
    integration.manifest,
    Object.keys(stored).map((key) => ({ key, updatedAt: 0 })),
  );
  const problems: RunProblem[] = missingSecrets(status).map((item) =>
    problemOf(
      problem(
        "INPUT_MISSING",
        "secretNotSet",
        { secret: { id: item.id, name: item.name }, integrationId: integration.id },
        {
          path: `initial_data_form[${(validation.manifest.initial_data_form ?? []).findIndex((f) => f.id === item.id)}]`,
        },
      ),
    ),
  );
  const redirectUrl = deps.redirectUrlFor?.(integration.id);
  const prepared = prepareRun(validation, {
    hire: hire.props,
    stored: hire.stored,
    ...(hire.storedSecrets !== undefined ? { storedSecrets: hire.storedSecrets } : {}),
    ...(hire.unreadableStored !== undefined ? { unreadableStored: hire.unreadableStored } : {}),
    secrets,
    ...(oauth !== undefined ? { oauth } : {}),
    params,
    block,
    ...(redirectUrl !== undefined ? { redirectUrl } : {}),
  });
  if (blockSteps(prepared.context).length === 0)
    return [problemOf(problem("INPUT_INVALID", "noBlockToStart", { block }, { path: block }))];
  if (validation.manifest.oauth !== undefined && oauth === undefined) {
    const withoutCode = validation.manifest.oauth.without_code === true;
    problems.push(
      problemOf(
        problem(
          "INPUT_MISSING",
          "oauthNotConnected",
          { integrationId: integration.id, withoutCode },
          { path: "oauth" },
        ),
      ),
    );
  }
  problems.push(...prepared.problems.map(problemOf));
  if (problems.length === 0) return [];
  // Messages may quote rendered text (a URL with a token in it): mask before they leave.
  return prepared.redactor.redact(problems);
}

/** A 422 naming the first blocker; its code is the first problem's when that is an input code. */
export function blockedError(problems: RunProblem[], subject: string): HirewireError {
  const first = problems[0];
  const code = first?.code as ErrorCode | undefined;
  const errorCode: ErrorCode =
    code !== undefined && code in ERROR_CATALOG && ERROR_CATALOG[code].http === 422
      ? code
      : "INPUT_INVALID";
  const more = problems.length - 1;
  const headline = first === undefined ? "" : `: ${describeProblem(first)}`;
  const tail = more > 0 ? ` (and ${more} more ${more === 1 ? "problem" : "problems"})` : "";
  return new HirewireError({
    code: errorCode,
    message: `${subject} cannot start${headline}${tail}; nothing was sent`,
    ...(first?.path !== undefined ? { path: first.path } : {}),
    details: { problems },
  });
}

/** JSON text with sorted keys, so two params objects compare by content. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

export interface QueueRunInput {
  integrationId: string;
  hireId: string;
  params: Record<string, JsonValue>;
  /** Default `execute`. */
  block?: RunBlock;
  idempotencyKey?: string;
}

/**
 * Queues a run of `input.block` (default `execute`) and wakes the scheduler. With an idempotency
 * key already used for this integration, returns that run (`created: false`) — or 409 when it was
 * for another hire or params.
 */
export async function queueRun(
  deps: Pick<StartDeps, "store" | "notify">,
  input: QueueRunInput,
): Promise<{ run: RunRecord; created: boolean }> {
  const result = await deps.store.createRun({
    integrationId: input.integrationId,
    hireId: input.hireId,
    block: input.block ?? "execute",
    params: input.params,
    ...(input.idempotencyKey !== undefined ? { idempotencyKey: input.idempotencyKey } : {}),
  });
  if (result.created) {
    deps.notify();
    return result;
  }
  assertSameTrigger(result.run, input);
  return result;
}

/** A repeated Idempotency-Key must come with the same hire and params as the run it made. */
export function assertSameTrigger(
  run: RunRecord,
  input: Pick<QueueRunInput, "hireId" | "params">,
): void {
  const same = run.hireId === input.hireId && canonical(run.params) === canonical(input.params);
  if (!same) {
    throw conflict(
      `the Idempotency-Key was already used for run ${run.id} with a different hire or params; use a new key`,
    );
  }
}

export interface StartRunInput {
  integrationId: string;
  hireId: string;
  /** Default `execute`. */
  block?: RunBlock;
  params?: Record<string, JsonValue>;
  /** A repeat with the same key (per integration) returns the run the first trigger created. */
  idempotencyKey?: string;
}

/**
 * Starts a run of an integration's block for a hire, or refuses it with nothing sent: 404 for an
 * unknown integration or hire, 409 for a sync-users manifest or an Idempotency-Key used for
 * another trigger, 422 naming every blocker. A repeated key returns the run it created
 * (`created: false`) even when the checks would now fail. A manifest that uses
 * `{{ access_overview }}` gets the hire's overview, taken now, as a param unless params give it.
 * Also returns the integration as read for the checks, and for a created run its secrets.
 */
export async function startRun(
  deps: StartDeps,
  input: StartRunInput,
): Promise<{
  run: RunRecord;
  created: boolean;
  integration: IntegrationRecord;
  secrets?: Record<string, string>;
}> {
  const block = input.block ?? "execute";
  const params = input.params ?? {};
  const key = input.idempotencyKey;
  // Integration, secrets, hire and stored fields in one read; the checks below keep their order.
  const found = await deps.store.getRunInputs(input.integrationId, input.hireId);
  const integration = found.integration;
  if (integration === undefined)
    throw notFound("integration", input.integrationId, "integration_id");
  if (isSyncIntegration(integration))
    throw hirewireError("CONFLICT", "syncOnly", {
      name: integration.name,
      integrationId: integration.id,
    });
  const hire = found.hire;
  if (hire === undefined) throw notFound("hire", input.hireId, "hire_id");
  if (key !== undefined) {
    // A repeat must return the run even when the checks below would now fail (a secret changed),
    // and a key used for another hire or block is named as such before this hire is checked.
    const earlier = await deps.store.findRunByIdempotencyKey(integration.id, key);
    if (earlier !== undefined) {
      if (earlier.block !== block)
        throw hirewireError("CONFLICT", "keyOtherBlock", {
          runId: earlier.id,
          block: earlier.block,
        });
      assertSameTrigger(earlier, {
        hireId: hire.id,
        params: withEarlierOverview(params, earlier.params),
      });
      return { run: earlier, created: false, integration };
    }
  }
  const inputs: HireInputs = {
    props: hire.props,
    ...storedInputs(found.storedValues),
  };
  const runParams = await paramsWithAccessOverview(
    {
      store: deps.store,
      files: deps.files,
      // The exists checks behind the overview reach out like any run: under the operator's policy.
      ...(deps.egress !== undefined ? { egress: deps.egress } : {}),
      ...(deps.redirectUrlFor !== undefined ? { redirectUrlFor: deps.redirectUrlFor } : {}),
    },
    integration.manifest,
    inputs,
    params,
  );
  const problems = await runBlockers(deps, integration, inputs, runParams, block, {
    secrets: found.secrets,
  });
  if (problems.length > 0) throw blockedError(problems, "the run");
  const queued = await queueRun(deps, {
    integrationId: integration.id,
    hireId: hire.id,
    params: runParams,
    block,
    ...(key !== undefined ? { idempotencyKey: key } : {}),
  });
  // runBlockers found nothing to refuse, so it has read (and decrypted) the secrets.
  return { ...queued, integration, secrets: found.secrets() };
}
