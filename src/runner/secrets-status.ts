// What is known about an integration's secrets without reading a value: which `initial_data_form`
// items are set, which are missing, which are generated per run — and any extra keys set.
import type { InitialDataFormItem } from "../manifest/index.ts";
import { OAUTH_SECRET_KEY } from "../secrets/oauth-secret.ts";
import type { SecretKeyRecord } from "../store/records.ts";

/** One secret's status (never its value). */
export interface SecretStatus {
  id: string;
  name: string;
  description?: string;
  /** Listed in the manifest's initial_data_form. */
  declared: boolean;
  /** Masked in every output (false for items with "secret": false). */
  secret: boolean;
  /** A fresh random value per run; never set by hand. */
  generated: boolean;
  set: boolean;
  /** When it was last set (epoch ms). */
  updatedAt?: number;
}

/** The `initial_data_form` items of a stored manifest, tolerating anything a store may hold. */
function formItems(manifest: unknown): InitialDataFormItem[] {
  if (typeof manifest !== "object" || manifest === null) return [];
  const items = (manifest as { initial_data_form?: unknown }).initial_data_form;
  if (!Array.isArray(items)) return [];
  return items.filter(
    (item): item is InitialDataFormItem =>
      typeof item === "object" &&
      item !== null &&
      typeof item.id === "string" &&
      typeof item.name === "string",
  );
}

/** Ids of items named "generate": the runner fills them, the admin never does. */
export function generatedIds(manifest: unknown): Set<string> {
  return new Set(
    formItems(manifest)
      .filter((item) => item.name === "generate")
      .map((item) => item.id),
  );
}

/** Declared items first (in manifest order), then extra keys that are set, by name. */
export function secretsStatus(manifest: unknown, keys: SecretKeyRecord[]): SecretStatus[] {
  const setAt = new Map(keys.map((key) => [key.key, key.updatedAt]));
  const declared = new Set<string>();
  const list: SecretStatus[] = [];
  for (const item of formItems(manifest)) {
    if (declared.has(item.id)) continue;
    declared.add(item.id);
    const generated = item.name === "generate";
    const updatedAt = generated ? undefined : setAt.get(item.id);
    list.push({
      id: item.id,
      name: item.name,
      ...(item.description !== undefined ? { description: item.description } : {}),
      declared: true,
      secret: item.secret !== false,
      generated,
      set: updatedAt !== undefined,
      ...(updatedAt !== undefined ? { updatedAt } : {}),
    });
  }
  // The OAuth tokens are shown as the integration's `oauth` status, not as a secret.
  const extra = keys
    .filter((key) => !declared.has(key.key) && key.key !== OAUTH_SECRET_KEY)
    .sort((a, b) => a.key.localeCompare(b.key));
  for (const key of extra) {
    list.push({
      id: key.key,
      name: key.key,
      declared: false,
      secret: true,
      generated: false,
      set: true,
      updatedAt: key.updatedAt,
    });
  }
  return list;
}

/** Declared, asked-for items that have no value yet. */
export function missingSecrets(status: SecretStatus[]): SecretStatus[] {
  return status.filter((item) => item.declared && !item.generated && !item.set);
}
