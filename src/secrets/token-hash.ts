// API tokens are stored only as a SHA-256 digest: enough to look one up, useless if the store leaks.
import { createHash, randomBytes } from "node:crypto";

/** Hex SHA-256 of an API token, as kept by the store. */
export function hashApiToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** A new random API token (`hw_` + 32 random bytes, base64url), shown to the user once. */
export function generateApiToken(): string {
  return `hw_${randomBytes(32).toString("base64url")}`;
}
