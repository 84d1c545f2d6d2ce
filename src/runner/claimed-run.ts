// What a claimed store run needs before `prepareRun` takes it: its inputs (hire, stored fields
// with the secrets among them, secrets and OAuth tokens read afresh — another run may have
// changed them) and the event that continues it from where its last driver left it.
import type { EngineOptions, RunEvent, RunState } from "../engine/types.ts";
import type { ClaimedRun, IntegrationRecord, Store, StoredValue } from "../store/index.ts";
import { isHirewireError, toErrorInfo, type ErrorInfo } from "../errors/index.ts";
import { splitOAuthSecret } from "../secrets/oauth-secret.ts";
import type { PrepareInputs } from "./lifecycle.ts";
import { storedInputs } from "./stored-secrets.ts";

export interface ContextOptions {
  engine?: EngineOptions;
  redirectUrlFor?: (integrationId: string) => string | undefined;
  /** The integration's secrets, when already being read (for every run of one claim at once). */
  secrets?: Promise<Record<string, string>>;
}

/** The inputs `prepareRun` gives a claimed run, and the hire's stored values as the store holds them. */
export async function loadRunInputs(
  store: Store,
  run: ClaimedRun,
  integration: IntegrationRecord,
  options: ContextOptions,
): Promise<{ inputs: PrepareInputs; storedValues: Record<string, StoredValue> }> {
  // The hire, its stored fields and the integration's secrets in one read (a run of a sync has no
  // hire: its secrets alone).
  const read =
    run.hireId !== null ? await store.getRunInputs(integration.id, run.hireId) : undefined;
  const hire = read?.hire;
  const storedValues = read?.storedValues ?? {};
  const { stored, storedSecrets, unreadableStored } = storedInputs(storedValues);
  // Tokens are read afresh for every drive: another run may have refreshed (rotated) them.
  const { secrets, oauth } = splitOAuthSecret(
    options.secrets !== undefined
      ? await options.secrets
      : read !== undefined
        ? read.secrets()
        : await store.getSecrets(integration.id),
  );
  const inputs: PrepareInputs = {
    hire: hire?.props ?? {},
    stored,
    storedSecrets,
    unreadableStored,
    secrets,
    params: run.params,
    block: run.block,
    engine: { ...options.engine, idempotencyKeys: integration.options.idempotencyKeys },
  };
  const redirectUrl = options.redirectUrlFor?.(integration.id);
  if (redirectUrl !== undefined) inputs.redirectUrl = redirectUrl;
  if (oauth !== undefined) inputs.oauth = oauth;
  return { inputs, storedValues };
}

/** The event that continues a run that already has a state: a request, a wake-up, or recovery. */
export function resumeEvent(run: ClaimedRun, state: RunState, now: number): RunEvent {
  if (run.request === "cancel") return { type: "cancel", now };
  if (run.request === "resume") return { type: "resume", now };
  if (state.status === "waiting" && !run.recovered) return { type: "wake", now };
  return { type: "recover", now };
}

/**
 * For `.catch` on `loadRunInputs`: a context that can never be loaded (its secrets were encrypted
 * with a lost key) becomes the error to fail the run with, so the run is not claimed again and
 * again; anything else is rethrown.
 */
export function unusableContext(error: unknown): ErrorInfo {
  if (!isHirewireError(error, "SECRETS_UNREADABLE")) throw error;
  const { details: _details, ...info } = toErrorInfo(error);
  return info;
}
