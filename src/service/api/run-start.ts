// Starting a run from the API: everything that can be known before anything is sent is checked
// first — the manifest is still valid, declared secrets are set, every variable resolves for this
// hire — and only then is the run queued. A refused run leaves nothing behind.
import { ERROR_CATALOG, type ErrorCode, type ErrorInfo } from "../../errors/index.ts";
import { preflight } from "../../engine/preflight.ts";
import { blockSteps } from "../../engine/blocks.ts";
import type { RunBlock, RunContext } from "../../engine/types.ts";
import { secretsToMask } from "../../engine/variables.ts";
import { validateManifest, type JsonValue } from "../../manifest/index.ts";
import { Redactor } from "../../redact/index.ts";
import { splitOAuthSecret } from "../../secrets/oauth-secret.ts";
import type { IntegrationRecord, RunRecord } from "../../store/records.ts";
import type { ResolvedDeps } from "./api-deps.ts";
import { describeProblem, problemError, type ApiProblem } from "./api-errors.ts";
import { conflict } from "./lookup.ts";
import { missingSecrets, secretsStatus } from "./secrets-status.ts";

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

function problemOf(info: ErrorInfo): ApiProblem {
  const problem: ApiProblem = { path: info.path ?? "", message: info.message, code: info.code };
  if (info.step !== undefined) problem.step = info.step;
  return problem;
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
export function syncOnlyMessage(integration: IntegrationRecord): string {
  return `integration ${JSON.stringify(integration.name)} is a sync-users manifest and runs only as a sync: start it with POST /api/integrations/${integration.id}/sync, preview it, then apply it`;
}

/**
 * Every reason the integration's `block` (default `execute`) cannot run for this hire now, masked.
 * Empty when the run can start. A sync-users manifest is refused unless `options.sync` says the
 * caller starts a sync: run as an execute run it would fetch a page and apply nothing.
 */
export async function runBlockers(
  deps: ResolvedDeps,
  integration: IntegrationRecord,
  hire: HireInputs,
  params: Record<string, JsonValue>,
  block: RunBlock = "execute",
  options: { sync?: boolean } = {},
): Promise<ApiProblem[]> {
  if (options.sync !== true && isSyncIntegration(integration))
    return [{ path: "action", code: "INPUT_INVALID", message: syncOnlyMessage(integration) }];
  const validation = validateManifest(integration.manifest);
  if (!validation.ok) {
    return validation.problems
      .filter((problem) => problem.severity === "error")
      .map((problem) => ({
        path: problem.path,
        code: "VALIDATION",
        message: `the saved manifest is no longer valid: ${problem.message}`,
      }));
  }
  const { secrets, oauth } = splitOAuthSecret(await deps.store.getSecrets(integration.id));
  const status = secretsStatus(
    integration.manifest,
    await deps.store.listSecretKeys(integration.id),
  );
  const problems: ApiProblem[] = missingSecrets(status).map((item) => ({
    path: `initial_data_form[${(validation.manifest.initial_data_form ?? []).findIndex((f) => f.id === item.id)}]`,
    code: "INPUT_MISSING",
    message: `secret ${item.id} (${item.name}) is not set; set it with PUT /api/integrations/${integration.id}/secrets`,
  }));
  const ctx: RunContext = {
    manifest: validation.manifest,
    hire: hire.props,
    hireStored: hire.stored,
    ...(hire.storedSecrets !== undefined ? { storedSecrets: hire.storedSecrets } : {}),
    ...(hire.unreadableStored !== undefined ? { unreadableStored: hire.unreadableStored } : {}),
    secrets,
    params,
    block,
  };
  if (blockSteps(ctx).length === 0)
    return [{ path: block, code: "INPUT_INVALID", message: `the manifest has no ${block} block` }];
  if (deps.oauthCallbackUrl !== undefined) ctx.redirectUrl = deps.oauthCallbackUrl(integration.id);
  if (oauth !== undefined) ctx.oauth = oauth;
  if (validation.manifest.oauth !== undefined && oauth === undefined) {
    problems.push({
      path: "oauth",
      code: "INPUT_MISSING",
      message: `the integration is not connected over OAuth yet; connect it with /api/integrations/${integration.id}/oauth/authorize${validation.manifest.oauth.without_code === true ? " (without_code: POST …/oauth/connect)" : ""}`,
    });
  }
  const plan = preflight(ctx);
  problems.push(...plan.problems.map(problemOf));
  if (problems.length === 0) return [];
  // Messages may quote rendered text (a URL with a token in it): mask before they leave.
  const redactor = new Redactor(secretsToMask(ctx, {}));
  for (const derived of plan.derived) redactor.add(derived.name, derived.value);
  return redactor.redact(problems);
}

/** A 422 naming the first blocker; its code is the first problem's when that is an input code. */
export function blockedError(problems: ApiProblem[], subject: string): Error {
  const first = problems[0];
  const code = first?.code as ErrorCode | undefined;
  const errorCode: ErrorCode =
    code !== undefined && code in ERROR_CATALOG && ERROR_CATALOG[code].http === 422
      ? code
      : "INPUT_INVALID";
  const more = problems.length - 1;
  const headline = first === undefined ? "" : `: ${describeProblem(first)}`;
  const tail = more > 0 ? ` (and ${more} more ${more === 1 ? "problem" : "problems"})` : "";
  return problemError(
    errorCode,
    `${subject} cannot start${headline}${tail}; nothing was sent`,
    problems,
    first?.path,
  );
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
  deps: ResolvedDeps,
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
