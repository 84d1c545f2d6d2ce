// The Store over any Kysely dialect: each method delegates to the query module that owns its
// SQL. A new dialect supplies a Kysely instance and its DialectTraits; nothing here changes.
import type { FileStore } from "../files/index.ts";
import type { JsonValue } from "../manifest/types.ts";
import type { StoreContext } from "./context.ts";
import * as checkpoints from "./queries/checkpoint.ts";
import * as erasure from "./queries/erasure.ts";
import * as files from "./queries/files.ts";
import * as hireBatch from "./queries/hire-batch.ts";
import * as hires from "./queries/hires.ts";
import * as integrations from "./queries/integrations.ts";
import * as leases from "./queries/leases.ts";
import * as locks from "./queries/locks.ts";
import * as rateLimits from "./queries/rate-limits.ts";
import * as runCounts from "./queries/run-counts.ts";
import * as runInputs from "./queries/run-inputs.ts";
import * as runs from "./queries/runs.ts";
import * as storedFields from "./queries/stored-fields.ts";
import * as tokens from "./queries/tokens-settings.ts";
import type { ApiTokenSource, RunRequest, SensitiveView } from "./records.ts";
import type * as S from "./store.ts";

/** A Store backed by SQL through Kysely; open it with a dialect's opener (`openSqliteStore`,
 * `openPostgresStore`). */
export class SqlStore implements S.Store {
  readonly #ctx: StoreContext;
  readonly #health: () => Promise<S.StoreHealth>;
  #closed = false;

  readonly runFiles?: FileStore;

  /**
   * @param health the dialect's cheap usability check; without one the store reads as healthy.
   * @param runFiles run files kept in this database (PostgreSQL); closed with it.
   */
  constructor(ctx: StoreContext, health?: () => Promise<S.StoreHealth>, runFiles?: FileStore) {
    this.#ctx = ctx;
    this.#health = health ?? (async () => ({ ok: true }));
    if (runFiles !== undefined) this.runFiles = runFiles;
  }

  createIntegration = (input: S.CreateIntegrationInput) =>
    integrations.createIntegration(this.#ctx, input);
  getIntegration = (id: string) => integrations.getIntegration(this.#ctx, id);
  listIntegrations = () => integrations.listIntegrations(this.#ctx);
  updateIntegration = (id: string, patch: S.UpdateIntegrationInput) =>
    integrations.updateIntegration(this.#ctx, id, patch);
  deleteIntegration = (id: string) => integrations.deleteIntegration(this.#ctx, id);

  setSecret = (integrationId: string, key: string, value: string) =>
    integrations.setSecret(this.#ctx, integrationId, key, value);
  getSecrets = (integrationId: string) => integrations.getSecrets(this.#ctx, integrationId);
  listSecretKeys = (integrationId: string) => integrations.listSecretKeys(this.#ctx, integrationId);
  deleteSecret = (integrationId: string, key: string) =>
    integrations.deleteSecret(this.#ctx, integrationId, key);

  createHire = (input: S.CreateHireInput) => hires.createHire(this.#ctx, input);
  getHire = (id: string) => hires.getHire(this.#ctx, id);
  findHireByEmail = (email: string) => hires.findHireByEmail(this.#ctx, email);
  listHires = (input?: S.ListHiresInput) => hires.listHires(this.#ctx, input);
  updateHire = (id: string, props: Record<string, JsonValue>) =>
    hires.updateHire(this.#ctx, id, props);
  deleteHire = (id: string) => hires.deleteHire(this.#ctx, id);
  getStoredFields = (hireId: string) => storedFields.getStoredFields(this.#ctx, hireId);
  getStoredValues = (hireId: string) => storedFields.getStoredValues(this.#ctx, hireId);
  setStoredField = (hireId: string, name: string, value: JsonValue, sensitive?: SensitiveView) =>
    storedFields.setStoredField(this.#ctx, hireId, name, value, sensitive);
  deleteStoredField = (hireId: string, name: string) =>
    storedFields.deleteStoredField(this.#ctx, hireId, name);
  applyHireChanges = (input: S.ApplyHireChangesInput) =>
    hireBatch.applyHireChanges(this.#ctx, input);

  getRunInputs = (integrationId: string, hireId: string) =>
    runInputs.getRunInputs(this.#ctx, integrationId, hireId);
  createRun = (input: S.CreateRunInput) => runs.createRun(this.#ctx, input);
  getRun = (id: string) => runs.getRun(this.#ctx, id);
  findRunByIdempotencyKey = (integrationId: string, key: string) =>
    runs.findRunByIdempotencyKey(this.#ctx, integrationId, key);
  listRuns = (input?: S.ListRunsInput) => runs.listRuns(this.#ctx, input);
  requestRun = (runId: string, request: RunRequest, now: number) =>
    runs.requestRun(this.#ctx, runId, request, now);

  claimRuns = (input: S.ClaimRunsInput) => leases.claimRuns(this.#ctx, input);
  claimDue = (input: S.ClaimRunsInput) => leases.claimDue(this.#ctx, input);
  renewLease = (input: S.LeaseInput) => leases.renewLease(this.#ctx, input);
  releaseLease = (runId: string, owner: string) => leases.releaseLease(this.#ctx, runId, owner);
  nextWakeAt = () => leases.nextWakeAt(this.#ctx);
  countRuns = (now: number) => runCounts.countRuns(this.#ctx, now);

  acquireRateSlot = (input: S.AcquireRateSlotInput) => rateLimits.acquireRateSlot(this.#ctx, input);
  releaseRateSlot = (input: S.ReleaseRateSlotInput) => rateLimits.releaseRateSlot(this.#ctx, input);
  getRateLimitState = (integrationId: string, now: number) =>
    rateLimits.getRateLimitState(this.#ctx, integrationId, now);

  checkpoint = (input: S.CheckpointInput) => checkpoints.checkpoint(this.#ctx, input);
  saveCheckpoint = (input: S.CheckpointInput) => checkpoints.saveCheckpoint(this.#ctx, input);
  listAttempts = (runId: string) => checkpoints.listAttempts(this.#ctx, runId);
  eraseFinishedRuns = (before: number, limit?: number) =>
    erasure.eraseFinishedBefore(this.#ctx, before, limit);

  addFile = (input: S.AddFileInput) => files.addFile(this.#ctx, input);
  listFiles = (runId: string) => files.listFiles(this.#ctx, runId);
  expiredFiles = (now: number, limit?: number) => files.expiredFiles(this.#ctx, now, limit);
  deleteFile = (id: string) => files.deleteFile(this.#ctx, id);

  createApiToken = (input: { name: string; tokenHash: string; source?: ApiTokenSource }) =>
    tokens.createApiToken(this.#ctx, input);
  getApiToken = (id: string) => tokens.getApiToken(this.#ctx, id);
  touchApiToken = (id: string, now: number) => tokens.touchApiToken(this.#ctx, id, now);
  replaceEnvApiToken = (tokenHash: string | null, name: string) =>
    tokens.replaceEnvApiToken(this.#ctx, tokenHash, name);
  findApiTokenByHash = (tokenHash: string) => tokens.findApiTokenByHash(this.#ctx, tokenHash);
  listApiTokens = () => tokens.listApiTokens(this.#ctx);
  countApiTokens = () => tokens.countApiTokens(this.#ctx);
  deleteApiToken = (id: string) => tokens.deleteApiToken(this.#ctx, id);

  getSetting = (key: string) => tokens.getSetting(this.#ctx, key);
  setSetting = (key: string, value: JsonValue) => tokens.setSetting(this.#ctx, key, value);

  takeLock = (input: S.LockInput) => locks.takeLock(this.#ctx, input);
  releaseLock = (name: string, owner: string) => locks.releaseLock(this.#ctx, name, owner);

  onRunsDue = (listener: () => void) => this.#ctx.signals.subscribe(listener);

  health = () => this.#health();

  /** Closes the database; safe to call twice. */
  close = async (): Promise<void> => {
    if (this.#closed) return;
    this.#closed = true;
    await this.#ctx.signals.close();
    await this.#ctx.db.destroy();
  };
}
