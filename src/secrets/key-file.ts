// Where the secret key comes from: an explicit base64 key (e.g. from the environment) or a
// `secret.key` file in the data directory, created on first start with owner-only permissions.
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { hirewireError } from "../errors/index.ts";
import { SecretCipher } from "./cipher.ts";

export const KEY_FILE_NAME = "secret.key";

/** Decodes a base64 key and checks its length (32 bytes). */
function parseKey(base64: string): Buffer {
  const key = Buffer.from(base64.trim(), "base64");
  if (key.length !== 32) {
    throw hirewireError("INPUT_INVALID", "secretKeyEncoding", {
      expected: 32,
      actual: key.length,
    });
  }
  return key;
}

/**
 * Returns the 32-byte key: the given one, else the data directory's `secret.key`, else a new random
 * key written there (mode 0600). Losing this file makes stored secrets unreadable.
 * @param givenKey a base64 key from the operator (e.g. an environment variable); wins over the
 *   file and is never written to disk.
 */
export async function loadOrCreateKey(dataDir: string, givenKey?: string): Promise<Buffer> {
  if (givenKey !== undefined) return parseKey(givenKey);
  const file = join(dataDir, KEY_FILE_NAME);
  const existing = await readKeyFile(file);
  if (existing !== undefined) return existing;
  await mkdir(dataDir, { recursive: true });
  const key = randomBytes(32);
  try {
    // "wx": if another process created the file first, keep theirs rather than overwrite it.
    await writeFile(file, `${key.toString("base64")}\n`, { mode: 0o600, flag: "wx" });
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    const theirs = await readKeyFile(file);
    if (theirs === undefined) throw error;
    return theirs;
  }
}

/** Shorthand for `new SecretCipher(await loadOrCreateKey(dataDir, givenKey))`. */
export async function openCipher(dataDir: string, givenKey?: string): Promise<SecretCipher> {
  return new SecretCipher(await loadOrCreateKey(dataDir, givenKey));
}

async function readKeyFile(file: string): Promise<Buffer | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  return parseKey(text);
}
