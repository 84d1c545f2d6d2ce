// At start: does the secret key still open what this data directory holds? A lost secret.key is
// silently replaced by a new one (loadOrCreateKey), and a wrong HIREWIRE_SECRET_KEY looks like
// any other; either way the stored secrets became unreadable. A value encrypted with the key is
// kept in settings; when it no longer decrypts, the integrations whose secrets cannot be read
// are named in one loud warning, so the operator restores the key or sets them again.
import { access } from "node:fs/promises";
import { join } from "node:path";
import { isHirewireError } from "../errors/index.ts";
import { KEY_FILE_NAME, type SecretCipher } from "../secrets/index.ts";
import type { Store } from "../store/index.ts";

/** The settings key of the check value. */
const KEY_CHECK_SETTING = "secret_key_check";
const KEY_CHECK_TEXT = "hirewire secret key check v1";

/** Whether `loadOrCreateKey` is about to create a key file (no key given, none on disk). */
export async function keyFileMissing(dataDir: string, givenKey: string | undefined) {
  if (givenKey !== undefined) return false;
  return access(join(dataDir, KEY_FILE_NAME)).then(
    () => false,
    () => true,
  );
}

export interface KeyCheckInput {
  store: Store;
  cipher: SecretCipher;
  /** The database file, for the warning. */
  file: string;
  /** A new key file was just written (the old one was missing). */
  keyCreated: boolean;
}

/**
 * Returns a warning when stored secrets cannot be decrypted with this key, else undefined (and
 * records the key's check value once every stored secret is readable with it).
 */
export async function checkSecretKey(input: KeyCheckInput): Promise<string | undefined> {
  const { store, cipher } = input;
  const stored = await store.getSetting(KEY_CHECK_SETTING);
  if (typeof stored === "string" && opens(cipher, stored)) return undefined;
  const unreadable: string[] = [];
  for (const integration of await store.listIntegrations()) {
    try {
      await store.getSecrets(integration.id);
    } catch (error) {
      if (!isHirewireError(error, "SECRETS_UNREADABLE")) throw error;
      const keys = (error.details?.keys as string[] | undefined) ?? [];
      unreadable.push(`"${integration.name}" (${keys.join(", ")})`);
    }
  }
  if (unreadable.length === 0) {
    await store.setSetting(KEY_CHECK_SETTING, cipher.encrypt(KEY_CHECK_TEXT));
    return undefined;
  }
  const why = input.keyCreated
    ? `${KEY_FILE_NAME} was missing, so a new key was written`
    : "the key differs from the one they were saved with";
  const count = unreadable.length === 1 ? "1 integration" : `${unreadable.length} integrations`;
  return (
    `The secret key cannot decrypt the secrets stored in ${input.file} (${why}): ` +
    `${count} cannot run until their secrets are set again: ${unreadable.join(", ")}. ` +
    `Restore the old ${KEY_FILE_NAME} (or HIREWIRE_SECRET_KEY) and restart, or set those secrets ` +
    `again; see docs/operations.md, "Losing the secret key".`
  );
}

function opens(cipher: SecretCipher, token: string): boolean {
  try {
    return cipher.decrypt(token) === KEY_CHECK_TEXT;
  } catch {
    return false;
  }
}
