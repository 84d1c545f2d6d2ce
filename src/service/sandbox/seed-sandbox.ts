// First start: example integrations that target the sandbox on this server, with their secrets
// set. Every start: the sandbox's base URL is set again, since the port may have changed.
import { generateApiToken } from "../../secrets/index.ts";
import type { Store } from "../../store/index.ts";
import { SANDBOX_INTEGRATIONS } from "./sandbox-integrations.ts";

const SEEDED = "sandbox.integrations";
const TOKEN = "sandbox.token";

/** The sandbox API's bearer token, made on first start and kept in settings. */
export async function sandboxToken(store: Store): Promise<string> {
  const existing = await store.getSetting(TOKEN);
  if (typeof existing === "string") return existing;
  const token = `sbx_${generateApiToken().slice(0, 24)}`;
  await store.setSetting(TOKEN, token);
  return token;
}

export async function seedSandbox(store: Store, baseUrl: string): Promise<string[]> {
  const token = await sandboxToken(store);
  let ids = (await store.getSetting(SEEDED)) as string[] | undefined;
  if (ids === undefined) {
    ids = [];
    for (const example of SANDBOX_INTEGRATIONS) {
      const integration = await store.createIntegration({
        name: example.name,
        manifest: example.manifest as never,
        options: { idempotencyKeys: true },
      });
      ids.push(integration.id);
      await store.setSecret(integration.id, "SANDBOX_TOKEN", token);
    }
    await store.setSetting(SEEDED, ids);
  }
  for (const id of ids) {
    if ((await store.getIntegration(id)) !== undefined)
      await store.setSecret(id, "BASE_URL", baseUrl);
  }
  return ids;
}
