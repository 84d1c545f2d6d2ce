// First start: example integrations that target the sandbox on this server, with their secrets
// set. Every start: the sandbox's base URL is set again, since the port may have changed.
// The sandbox's bearer token is only compared, so settings keep its SHA-256, never the token: the
// seeded integrations hold it as an (encrypted) secret, which is the only copy a run needs.
import { createHash, timingSafeEqual } from "node:crypto";
import { generateApiToken } from "../../secrets/index.ts";
import type { Store } from "../../store/index.ts";
import { SANDBOX_INTEGRATIONS } from "./sandbox-integrations.ts";

const SEEDED = "sandbox.integrations";
const TOKEN = "sandbox.token";

/** What the sandbox checks bearer tokens against; `token` only when made on this start. */
export interface SandboxCredential {
  sha256: string;
  token?: string;
}

function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** True when `token` is the sandbox's token (constant time). */
export function matchesSandboxToken(credential: SandboxCredential, token: string): boolean {
  const expected = Buffer.from(credential.sha256, "hex");
  const actual = Buffer.from(sha256(token), "hex");
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/**
 * The sandbox's credential. A token kept in plaintext by an older version is replaced by its
 * hash (same token, so seeded integrations keep working); a new token is made only when the
 * examples are still to be seeded, since nothing else could learn it.
 */
export async function sandboxCredential(store: Store): Promise<SandboxCredential> {
  const existing = await store.getSetting(TOKEN);
  if (typeof existing === "string") {
    const credential = { sha256: sha256(existing) };
    await store.setSetting(TOKEN, credential);
    return credential;
  }
  const seeded = (await store.getSetting(SEEDED)) !== undefined;
  const kept = existing as Partial<SandboxCredential> | null | undefined;
  if (typeof kept?.sha256 === "string" && seeded) return { sha256: kept.sha256 };
  const token = `sbx_${generateApiToken().slice(0, 24)}`;
  await store.setSetting(TOKEN, { sha256: sha256(token) });
  return { sha256: sha256(token), token };
}

/**
 * Seeds the examples once, with the credential's new token (one made on this start). Call it under
 * the first-start lock (first-start.ts) so two processes starting at once do not both seed.
 */
export async function seedSandboxIntegrations(
  store: Store,
  credential: SandboxCredential,
): Promise<void> {
  if ((await store.getSetting(SEEDED)) !== undefined || credential.token === undefined) return;
  const ids: string[] = [];
  for (const example of SANDBOX_INTEGRATIONS) {
    const integration = await store.createIntegration({
      name: example.name,
      manifest: example.manifest as never,
      options: { idempotencyKeys: true },
    });
    ids.push(integration.id);
    await store.setSecret(integration.id, "SANDBOX_TOKEN", credential.token);
  }
  await store.setSetting(SEEDED, ids);
}

/** Points the seeded examples at `baseUrl` (every start: the port may have changed). */
export async function pointSandboxAt(store: Store, baseUrl: string): Promise<string[]> {
  const ids = (await store.getSetting(SEEDED)) as string[] | undefined;
  for (const id of ids ?? []) {
    if ((await store.getIntegration(id)) !== undefined)
      await store.setSecret(id, "BASE_URL", baseUrl);
  }
  return ids ?? [];
}
