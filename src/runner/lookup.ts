// Fetching the record a request is about, with the 404 (or 409) the API answers when it cannot.
import type { HirewireError } from "../errors/index.ts";
import { hirewireError } from "../errors/index.ts";
import type { HireRecord, IntegrationRecord, RunRecord } from "../store/records.ts";
import type { Store } from "../store/store.ts";

/** 404 NOT_FOUND: `no integration with id "x"`. */
export function notFound(what: string, id: string, path?: string): HirewireError {
  return hirewireError("NOT_FOUND", "id", { what, id }, { path });
}

/** 409 CONFLICT with a message saying what is not allowed and why. */
export function conflict(message: string): HirewireError {
  return hirewireError("CONFLICT", "refused", { reason: message });
}

export async function mustGetIntegration(
  store: Store,
  id: string,
  path?: string,
): Promise<IntegrationRecord> {
  const record = await store.getIntegration(id);
  if (record === undefined) throw notFound("integration", id, path);
  return record;
}

export async function mustGetHire(store: Store, id: string, path?: string): Promise<HireRecord> {
  const record = await store.getHire(id);
  if (record === undefined) throw notFound("hire", id, path);
  return record;
}

export async function mustGetRun(store: Store, id: string): Promise<RunRecord> {
  const record = await store.getRun(id);
  if (record === undefined) throw notFound("run", id);
  return record;
}
