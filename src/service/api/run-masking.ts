// A second line of defence for run output: the runner masks attempts, errors and state before
// they are stored, and the API masks them again with the integration's current secrets, the
// run's generated values and the secrets in its hire's stored fields, so a secret set after a
// run, or a recorder gap, never reaches a client.
import { isHirewireError } from "../../errors/index.ts";
import type { Manifest } from "../../manifest/index.ts";
import type { Redactor, SecretEntry } from "../../redact/index.ts";
import { runRedactor } from "../../runner/lifecycle.ts";
import { splitOAuthSecret, type OAuthTokens } from "../../secrets/oauth-secret.ts";
import { storedInputs } from "../../runner/stored-secrets.ts";
import type { IntegrationRecord, RunRecord } from "../../store/records.ts";
import type { Store } from "../../store/store.ts";

interface IntegrationSecrets {
  manifest: Manifest;
  secrets: Record<string, string>;
  /** The current OAuth tokens, masked one by one (older, rotated ones were masked by the runner). */
  oauth?: OAuthTokens;
}

/** Builds one Redactor per run, loading each integration's secrets once. */
/**
 * Secrets that cannot be decrypted were not known to this key's runs either, and what older runs
 * recorded was masked when it was written: showing runs must not fail because of them.
 */
async function secretsOrNone(store: Store, integrationId: string): Promise<Record<string, string>> {
  try {
    return await store.getSecrets(integrationId);
  } catch (error) {
    if (isHirewireError(error, "SECRETS_UNREADABLE")) return {};
    throw error;
  }
}

export class RunMasker {
  readonly #store: Store;
  readonly #cache = new Map<string, Promise<IntegrationSecrets>>();
  readonly #hires = new Map<string, Promise<SecretEntry[]>>();

  readonly #withStored: boolean;
  readonly #known: IntegrationRecord | undefined;
  readonly #knownSecrets: Record<string, string> | undefined;

  /**
   * @param options.storedSecrets also mask the secrets in the run's hire's stored fields: one
   * more read per hire, so the run detail asks for it and listings (whose stored fields the
   * runner already masked) do not.
   * @param options.integration the integration as the caller has just read it (a run it has
   * just started): its manifest is used instead of reading it again.
   * @param options.secrets that integration's secrets as the caller read them in the same request;
   * without them they are read.
   */
  constructor(
    store: Store,
    options: {
      storedSecrets?: boolean;
      integration?: IntegrationRecord;
      secrets?: Record<string, string>;
    } = {},
  ) {
    this.#store = store;
    this.#withStored = options.storedSecrets === true;
    this.#known = options.integration;
    this.#knownSecrets = options.integration !== undefined ? options.secrets : undefined;
  }

  #load(integrationId: string): Promise<IntegrationSecrets> {
    let entry = this.#cache.get(integrationId);
    if (entry === undefined) {
      entry = (async () => {
        const known = this.#known?.id === integrationId;
        const integration = known ? this.#known : await this.#store.getIntegration(integrationId);
        const manifest = integration?.manifest;
        // secretsToMask only reads initial_data_form; a manifest that is not an object has none.
        const usable =
          typeof manifest === "object" && manifest !== null && !Array.isArray(manifest);
        const stored =
          integration === undefined
            ? { secrets: {} }
            : splitOAuthSecret(
                (known ? this.#knownSecrets : undefined) ??
                  (await secretsOrNone(this.#store, integrationId)),
              );
        return { manifest: (usable ? manifest : {}) as unknown as Manifest, ...stored };
      })();
      this.#cache.set(integrationId, entry);
    }
    return entry;
  }

  #storedSecrets(hireId: string | null): Promise<SecretEntry[]> {
    if (hireId === null || !this.#withStored) return Promise.resolve([]);
    let entry = this.#hires.get(hireId);
    if (entry === undefined) {
      entry = this.#store
        .getStoredValues(hireId)
        .then((values) => storedInputs(values).storedSecrets);
      this.#hires.set(hireId, entry);
    }
    return entry;
  }

  /** A Redactor for everything shown about `run`. */
  async redactorFor(run: RunRecord): Promise<Redactor> {
    const { manifest, secrets, oauth } = await this.#load(run.integrationId);
    const storedSecrets = await this.#storedSecrets(run.hireId);
    return runRedactor(
      manifest,
      { secrets, storedSecrets, ...(oauth !== undefined ? { oauth } : {}) },
      run.state?.generated ?? {},
    );
  }
}
