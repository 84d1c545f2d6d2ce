// Authenticated encryption for secrets at rest: AES-256-GCM with a fresh IV per value, written
// as a versioned text token so the format can change without guessing what old values are.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { HirewireError } from "../errors/index.ts";
import { hirewireError } from "../errors/index.ts";

const FORMAT = "v1";
const ALGORITHM = "aes-256-gcm";
const KEY_BYTES = 32;
// 12 bytes is the IV length GCM is specified for; other lengths are hashed and lose guarantees.
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Decrypted tokens kept (the oldest goes first). */
const RECENT_LIMIT = 512;

/** Encrypts and decrypts short strings (secrets, generated values) with one 256-bit key. */
export class SecretCipher {
  readonly #key: Buffer;
  /**
   * Tokens decrypted lately, with their plaintext: every run of an integration reads the same
   * stored secret tokens (a token, with its random IV and tag, always decrypts the same). This
   * keeps nothing the key held in the same memory could not give.
   */
  readonly #recent = new Map<string, string>();

  /** @param key exactly 32 bytes; see `loadOrCreateKey` for where it comes from. */
  constructor(key: Uint8Array) {
    if (key.length !== KEY_BYTES) {
      throw hirewireError("INPUT_INVALID", "secretKeyLength", {
        expected: KEY_BYTES,
        actual: key.length,
      });
    }
    this.#key = Buffer.from(key);
  }

  /** Returns `v1:<iv>:<tag>:<ciphertext>`, each part base64. Equal inputs give different tokens. */
  encrypt(plaintext: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.#key, iv, { authTagLength: TAG_BYTES });
    const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [FORMAT, iv.toString("base64"), tag.toString("base64"), body.toString("base64")].join(
      ":",
    );
  }

  /** Reverses `encrypt`; throws INTERNAL when the token was altered or made with another key. */
  decrypt(token: string): string {
    const known = this.#recent.get(token);
    if (known !== undefined) return known;
    const plain = this.#decrypt(token);
    if (this.#recent.size >= RECENT_LIMIT) this.#recent.delete(this.#recent.keys().next().value!);
    this.#recent.set(token, plain);
    return plain;
  }

  #decrypt(token: string): string {
    const parts = token.split(":");
    if (parts.length !== 4 || parts[0] !== FORMAT) {
      throw unreadable("it is not in the v1 format");
    }
    const [, ivText, tagText, bodyText] = parts as [string, string, string, string];
    const iv = Buffer.from(ivText, "base64");
    const tag = Buffer.from(tagText, "base64");
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
      throw unreadable("its IV or tag has the wrong length");
    }
    try {
      const decipher = createDecipheriv(ALGORITHM, this.#key, iv, { authTagLength: TAG_BYTES });
      decipher.setAuthTag(tag);
      const body = Buffer.from(bodyText, "base64");
      return Buffer.concat([decipher.update(body), decipher.final()]).toString("utf8");
    } catch (error) {
      throw unreadable("it was altered or encrypted with a different key", error);
    }
  }
}

function unreadable(reason: string, cause?: unknown): HirewireError {
  return hirewireError("INTERNAL", "decrypt", { reason }, cause === undefined ? {} : { cause });
}
