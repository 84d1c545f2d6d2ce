// What a start sets up in the store before serving: the admin token (HIREWIRE_ADMIN_TOKEN, or one
// generated when no token is left) and, with the sandbox on, its credential and the example
// integrations. It runs under a store lock, so processes starting at once on one empty database
// (several `serve` on PostgreSQL) make one generated token and one set of examples between them.
import { withLock, type Store } from "../store/index.ts";
import { applyAdminToken, type AdminTokenOutcome } from "./api-tokens.ts";
import {
  sandboxCredential,
  seedSandboxIntegrations,
  type SandboxCredential,
} from "./sandbox/seed-sandbox.ts";

/** The store lock held while a process sets up its start. */
export const FIRST_START_LOCK = "first-start";

export interface FirstStart {
  admin: AdminTokenOutcome;
  /** What the sandbox checks tokens against; absent with the sandbox off. */
  sandbox?: SandboxCredential;
}

export function setUpStart(
  store: Store,
  options: { adminToken?: string; sandbox: boolean },
): Promise<FirstStart> {
  return withLock(
    store,
    FIRST_START_LOCK,
    async () => {
      const admin = await applyAdminToken(store, options.adminToken);
      if (!options.sandbox) return { admin };
      const sandbox = await sandboxCredential(store);
      await seedSandboxIntegrations(store, sandbox);
      return { admin, sandbox };
    },
    { what: "the start-up set-up (admin token, example integrations)" },
  );
}
