// Does a hire have an account? Runs a manifest's `exists` block in this process — a read, so not
// a durable run: nothing is stored, the answer is returned — and, across every integration with
// an `exists` block, builds the hire's access overview ("Asana (has access), Google (no access),
// Teams (unknown)"), which runs can use as `{{ access_overview }}`.
import { randomUUID } from "node:crypto";
import { type ErrorInfo, isHirewireError, problem } from "../errors/index.ts";
import type { FileStore } from "../files/index.ts";
import type { AddressCheck } from "../http/index.ts";
import type { JsonValue, ValidationProblem } from "../manifest/types.ts";
import type { ExistsAnswer } from "../engine/exists-result.ts";
import type { EngineOptions } from "../engine/types.ts";
import type { IntegrationRecord, Store } from "../store/index.ts";
import { referencedVariables } from "../template/index.ts";
import type { DriveHooks } from "./drive.ts";
import { integrationEgress, type EgressSettings } from "./egress-policy.ts";
import { OAUTH_SECRET_KEY, oauthSecretValue, splitOAuthSecret } from "../secrets/oauth-secret.ts";
import { integrationManifest, validated } from "./prepared-manifest.ts";
import { runPrepared } from "./run-manifest.ts";
import { storeRefreshLock } from "./oauth-refresh-lock.ts";
import { storedInputs } from "./stored-secrets.ts";

export type { ExistsAnswer };

/** The answer, or why the check could not be made (nothing was sent then). */
export type ExistsCheck =
  ({ status: "checked" } & ExistsAnswer) | { status: "invalid"; problems: ErrorInfo[] };

export interface ExistsCheckInput {
  /** The manifest JSON (validated here), or a prepared manifest (used as it is). */
  manifest: unknown;
  hire: Record<string, JsonValue>;
  stored?: Record<string, JsonValue>;
  /** Secret values among the stored fields (see `storedInputs`). */
  storedSecrets?: Array<{ name: string; value: string }>;
  secrets?: Record<string, string>;
  oauth?: Record<string, JsonValue>;
  params?: Record<string, JsonValue>;
  redirectUrl?: string;
  /** Required by the sender; the exists request saves no files. */
  files: FileStore;
  checkAddress?: AddressCheck;
  engine?: EngineOptions;
  signal?: AbortSignal;
  /** Tokens from an OAuth refresh made before the check: persist them (a rotated refresh token is the only one left). */
  onOAuthTokens?: (tokens: Record<string, JsonValue>) => void | Promise<void>;
  /** One refresh at a time per integration across processes (see DriveHooks.refreshLock). */
  refreshLock?: DriveHooks["refreshLock"];
}

/**
 * Runs the `exists` block the way `hirewire exists` does (`runPrepared` with block `exists`):
 * true/false from its status_code/expected, null (unknown) when the request could not be made
 * after retries. Everything returned is masked.
 */
export async function checkExists(input: ExistsCheckInput): Promise<ExistsCheck> {
  const validation = validated(input.manifest);
  if (!validation.ok) return invalidManifest(validation.problems);
  const manifest = validation.manifest;
  if (!("exists" in manifest) || manifest.exists === undefined)
    return { status: "invalid", problems: [NO_EXISTS_BLOCK] };
  const { manifest: _manifest, ...options } = input;
  const result = await runPrepared(validation, { ...options, block: "exists" }, randomUUID());
  if (result.status === "invalid")
    return { status: "invalid", problems: (result.problems ?? []) as ErrorInfo[] };
  const answer = result.result as ExistsAnswer | undefined;
  if (result.status === "succeeded" && answer !== undefined)
    return { status: "checked", exists: answer.exists, reason: answer.reason };
  // A failed render of `expected`, or a cancelled check: the answer is not known.
  const why = result.error?.message ?? `the check ended ${result.state.status}`;
  return { status: "checked", exists: null, reason: why };
}

function invalidManifest(problems: ValidationProblem[]): ExistsCheck {
  return {
    status: "invalid",
    problems: problems
      .filter((problem) => problem.severity === "error")
      .map(({ path, message, code }) => ({ path, message, code })),
  };
}

const NO_EXISTS_BLOCK: ErrorInfo = problem(
  "INPUT_INVALID",
  "noExistsBlock",
  {},
  { path: "exists" },
);

/** What the runner needs from the service to check integrations for a hire. */
export interface AccessDeps {
  store: Store;
  files: FileStore;
  /** The operator's egress settings. */
  egress?: EgressSettings;
  engine?: EngineOptions;
  /** The integration's OAuth callback URL (`{{ redirect_url }}`). */
  redirectUrlFor?: (integrationId: string) => string | undefined;
  /** Checks run at once for an overview (default 4): enough to be quick, few enough to be polite. */
  concurrency?: number;
}

/** The hire's props and stored fields (real values, with the secrets among them to mask). */
export interface AccessHire {
  props: Record<string, JsonValue>;
  stored: Record<string, JsonValue>;
  storedSecrets?: Array<{ name: string; value: string }>;
}

/** One integration's line of the overview. */
export interface AccessEntry extends ExistsAnswer {
  integrationId: string;
  name: string;
}

export interface AccessOverview {
  items: AccessEntry[];
  /** `Asana (has access), Google (no access), Teams (unknown)`; empty when nothing can be checked. */
  text: string;
}

/** Runs one integration's `exists` block for a hire, with its secrets, OAuth tokens and egress policy. */
export async function integrationAccess(
  deps: AccessDeps,
  integration: IntegrationRecord,
  hire: AccessHire,
): Promise<ExistsCheck> {
  const redirectUrl = deps.redirectUrlFor?.(integration.id);
  const { secrets, oauth } = splitOAuthSecret(await deps.store.getSecrets(integration.id));
  const validation = integrationManifest(integration);
  if (!validation.ok) return invalidManifest(validation.problems);
  return checkExists({
    manifest: validation,
    hire: hire.props,
    stored: hire.stored,
    ...(hire.storedSecrets !== undefined ? { storedSecrets: hire.storedSecrets } : {}),
    secrets,
    files: deps.files,
    ...(oauth !== undefined ? { oauth } : {}),
    onOAuthTokens: (tokens) =>
      deps.store.setSecret(integration.id, OAUTH_SECRET_KEY, oauthSecretValue(tokens)),
    refreshLock: storeRefreshLock(deps.store, integration.id),
    checkAddress: integrationEgress(integration.options, deps.egress),
    ...(redirectUrl !== undefined ? { redirectUrl } : {}),
    ...(deps.engine !== undefined ? { engine: deps.engine } : {}),
  });
}

/** The hire's props and stored fields, as the checks need them. */
export async function accessHire(store: Store, hireId: string): Promise<AccessHire | undefined> {
  const hire = await store.getHire(hireId);
  if (hire === undefined) return undefined;
  return { props: hire.props, ...storedInputs(await store.getStoredValues(hireId)) };
}

/**
 * Checks every integration that has an `exists` block, a few at a time, sorted by name. A check
 * that cannot be made (a secret not set, say) is "unknown" with the reason.
 */
export async function hireAccess(deps: AccessDeps, hire: AccessHire): Promise<AccessOverview> {
  const integrations = (await deps.store.listIntegrations())
    .filter((integration) => hasExistsBlock(integration.manifest))
    .sort((a, b) => a.name.localeCompare(b.name));
  const items = await mapLimited(integrations, deps.concurrency ?? 4, async (integration) => {
    const check = await integrationAccess(deps, integration, hire).catch(unreadableCheck);
    const answer: ExistsAnswer =
      check.status === "unreadable"
        ? { exists: null, reason: check.reason }
        : check.status === "checked"
          ? { exists: check.exists, reason: check.reason }
          : { exists: null, reason: `cannot check: ${describeProblems(check.problems)}` };
    return { integrationId: integration.id, name: integration.name, ...answer };
  });
  return { items, text: accessOverviewText(items) };
}

/** `Asana (has access), Google (no access), Teams (unknown)`. */
export function accessOverviewText(items: ReadonlyArray<Pick<AccessEntry, "name" | "exists">>) {
  const label = (exists: boolean | null) =>
    exists === true ? "has access" : exists === false ? "no access" : "unknown";
  return items.map((item) => `${item.name} (${label(item.exists)})`).join(", ");
}

/** The template variable runs see the overview as. */
const ACCESS_OVERVIEW_VARIABLE = "access_overview";

/** Answers for frozen manifests (the store hands out one frozen value per stored version). */
const referencing = new WeakMap<object, boolean>();

/**
 * Whether any template in the manifest uses `{{ access_overview }}`. A cheap text test first:
 * nearly every manifest does not mention it, and those are never parsed. A frozen manifest cannot
 * change, so its answer is kept (every trigger of an integration asks about the same one).
 */
export function referencesAccessOverview(manifest: unknown): boolean {
  if (typeof manifest !== "object" || manifest === null || !Object.isFrozen(manifest))
    return findsAccessOverview(manifest);
  let answer = referencing.get(manifest);
  if (answer === undefined) {
    answer = findsAccessOverview(manifest);
    referencing.set(manifest, answer);
  }
  return answer;
}

function findsAccessOverview(manifest: unknown): boolean {
  if (!JSON.stringify(manifest ?? null).includes(ACCESS_OVERVIEW_VARIABLE)) return false;
  const uses = (value: unknown): boolean => {
    if (typeof value === "string")
      return referencedVariables(value).some(
        (variable) => variable.segments[0] === ACCESS_OVERVIEW_VARIABLE,
      );
    if (Array.isArray(value)) return value.some(uses);
    if (value !== null && typeof value === "object")
      return Object.entries(value).some(([key, item]) => uses(key) || uses(item));
    return false;
  };
  return uses(manifest);
}

/**
 * `params` plus `access_overview` when the manifest uses it and the caller did not give it: the
 * overview is taken once, when the run is triggered, and kept with the run's params so a resumed
 * or recovered run sends the same text.
 */
export async function paramsWithAccessOverview(
  deps: AccessDeps,
  manifest: unknown,
  hire: AccessHire,
  params: Record<string, JsonValue>,
): Promise<Record<string, JsonValue>> {
  if (ACCESS_OVERVIEW_VARIABLE in params || !referencesAccessOverview(manifest)) return params;
  const overview = await hireAccess(deps, hire);
  return { ...params, [ACCESS_OVERVIEW_VARIABLE]: overview.text };
}

/**
 * The caller's params as an earlier run of the same trigger (same Idempotency-Key) recorded them:
 * with the overview that run took when the caller gave none, so a repeat compares equal.
 */
export function withEarlierOverview(
  params: Record<string, JsonValue>,
  earlier: Record<string, JsonValue>,
): Record<string, JsonValue> {
  if (ACCESS_OVERVIEW_VARIABLE in params || !(ACCESS_OVERVIEW_VARIABLE in earlier)) return params;
  return { ...params, [ACCESS_OVERVIEW_VARIABLE]: earlier[ACCESS_OVERVIEW_VARIABLE]! };
}

function hasExistsBlock(manifest: JsonValue): boolean {
  return (
    typeof manifest === "object" &&
    manifest !== null &&
    !Array.isArray(manifest) &&
    typeof manifest.exists === "object" &&
    manifest.exists !== null
  );
}

/**
 * One integration whose secrets were encrypted with a lost key must not break the overview of
 * every hire: it reads as unknown, saying what to do.
 */
function unreadableCheck(error: unknown): { status: "unreadable"; reason: string } {
  if (!isHirewireError(error, "SECRETS_UNREADABLE")) throw error;
  const keys = (error.details?.keys as string[] | undefined) ?? [];
  return {
    status: "unreadable",
    reason: `its secrets cannot be decrypted; set them again${keys.length > 0 ? ` (${keys.join(", ")})` : ""}`,
  };
}

function describeProblems(problems: ErrorInfo[]): string {
  const first = problems[0];
  if (first === undefined) return "the manifest cannot be run";
  const where = first.path !== undefined && first.path !== "" ? `${first.path}: ` : "";
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : "";
  return `${where}${first.message}${more}`;
}

/** `map` with at most `limit` calls in flight, keeping the input order. */
async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
