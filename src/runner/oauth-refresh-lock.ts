// One OAuth token refresh at a time per integration, across every process sharing the store: a
// provider that rotates refresh tokens revokes the old one on each refresh, so a second refresh
// sent with it would fail its run. The driver re-reads the tokens after taking the lock and uses
// them when another run has refreshed meanwhile (drive.ts, `refreshLock`).
import type { JsonValue } from "../manifest/types.ts";
import { withLock, type Store } from "../store/index.ts";
import type { DriveHooks } from "./drive.ts";
import { splitOAuthSecret } from "../secrets/oauth-secret.ts";

/** The store lock an integration's refreshes take. */
export function refreshLockName(integrationId: string): string {
  return `oauth-refresh:${integrationId}`;
}

/** The driver's `refreshLock` for one integration's runs and checks. */
export function storeRefreshLock(
  store: Store,
  integrationId: string,
): NonNullable<DriveHooks["refreshLock"]> {
  return <T>(refresh: (stored: Record<string, JsonValue> | undefined) => Promise<T>) =>
    withLock(
      store,
      refreshLockName(integrationId),
      async () => refresh(splitOAuthSecret(await store.getSecrets(integrationId)).oauth),
      { what: "the OAuth token refresh of this integration" },
    );
}
