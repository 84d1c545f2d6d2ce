// Integrations and their secrets. Secret values are encrypted here, on the way in, so no caller
// can write a plaintext secret to the database by mistake.
import type { Selectable } from "kysely";
import { FINAL_STATUSES, type RunStatus } from "../../engine/index.ts";
import type { HirewireError } from "../../errors/index.ts";
import { hirewireError, problem, type Problem } from "../../errors/index.ts";
import type { JsonValue } from "../../manifest/types.ts";
import { newId, notFound, translateConstraint, write, type StoreContext } from "../context.ts";
import { decodeJson, encodeJson, toMillis } from "../json-codec.ts";
import { deepFreeze } from "../../json/deep-freeze.ts";
import type { IntegrationOptions, IntegrationRecord, SecretKeyRecord } from "../records.ts";
import type { IntegrationsTable } from "../schema.ts";
import type { CreateIntegrationInput, UpdateIntegrationInput } from "../store.ts";

/**
 * Manifests decoded lately, by their text, frozen. Every run reads its integration's row (when it
 * is triggered and when it is driven), and parsing the manifest was most of reading it; a text
 * seen before is looked up instead (hashing and comparing it is much cheaper than parsing it).
 */
const decodedManifests = new Map<string, JsonValue>();
const DECODED_LIMIT = 64;
const DECODED_MAX_CHARS = 256 * 1024;

/** The manifest column, decoded; a text decoded lately gives the same frozen value again. */
function decodeManifest(raw: unknown): JsonValue {
  // PostgreSQL hands a json column over already parsed: nothing to share.
  if (typeof raw !== "string" || raw.length > DECODED_MAX_CHARS) return decodeJson<JsonValue>(raw);
  const known = decodedManifests.get(raw);
  if (known !== undefined) return known;
  const value = deepFreeze(decodeJson<JsonValue>(raw));
  if (decodedManifests.size >= DECODED_LIMIT)
    decodedManifests.delete(decodedManifests.keys().next().value!);
  decodedManifests.set(raw, value);
  return value;
}

/** An integration row as a record; its manifest is frozen data shared with other reads of it. */
export function toIntegration(
  row: Omit<Selectable<IntegrationsTable>, "deleted_at">,
): IntegrationRecord {
  return {
    id: row.id,
    name: row.name,
    manifest: decodeManifest(row.manifest),
    options: decodeJson<IntegrationOptions>(row.options),
    createdAt: toMillis(row.created_at),
    updatedAt: toMillis(row.updated_at),
  };
}

function normalizeOptions(options: Partial<IntegrationOptions> | undefined): IntegrationOptions {
  const normalized: IntegrationOptions = { idempotencyKeys: options?.idempotencyKeys ?? false };
  if (options?.allowedHosts !== undefined) normalized.allowedHosts = [...options.allowedHosts];
  if (options?.rateLimit !== undefined) normalized.rateLimit = { ...options.rateLimit };
  return normalized;
}

function nameTaken(name: string): Problem {
  return problem("CONFLICT", "nameTaken", { name });
}

export async function createIntegration(
  ctx: StoreContext,
  input: CreateIntegrationInput,
): Promise<IntegrationRecord> {
  const now = ctx.now();
  const row = {
    id: input.id ?? newId("int"),
    name: input.name,
    manifest: encodeJson(input.manifest, "manifest"),
    options: encodeJson(normalizeOptions(input.options), "integration options"),
    created_at: now,
    updated_at: now,
  };
  try {
    await write(ctx, (trx) => trx.insertInto("integrations").values(row).execute());
  } catch (error) {
    throw translateConstraint(ctx, error, { unique: nameTaken(input.name) });
  }
  return toIntegration(row);
}

export async function getIntegration(
  ctx: StoreContext,
  id: string,
): Promise<IntegrationRecord | undefined> {
  const row = await ctx.db
    .selectFrom("integrations")
    .selectAll()
    .where("id", "=", id)
    .where("deleted_at", "is", null)
    .executeTakeFirst();
  return row && toIntegration(row);
}

export async function listIntegrations(ctx: StoreContext): Promise<IntegrationRecord[]> {
  const rows = await ctx.db
    .selectFrom("integrations")
    .selectAll()
    .where("deleted_at", "is", null)
    .orderBy("name")
    .orderBy("id")
    .execute();
  return rows.map(toIntegration);
}

export async function updateIntegration(
  ctx: StoreContext,
  id: string,
  patch: UpdateIntegrationInput,
): Promise<IntegrationRecord> {
  const changes: Partial<Selectable<IntegrationsTable>> = { updated_at: ctx.now() };
  if (patch.name !== undefined) changes.name = patch.name;
  if (patch.manifest !== undefined) changes.manifest = encodeJson(patch.manifest, "manifest");
  if (patch.options !== undefined)
    changes.options = encodeJson(normalizeOptions(patch.options), "integration options");
  try {
    return await write(ctx, async (trx) => {
      const row = await trx
        .updateTable("integrations")
        .set(changes)
        .where("id", "=", id)
        .where("deleted_at", "is", null)
        .returningAll()
        .executeTakeFirst();
      if (!row) throw notFound("integration", id);
      return toIntegration(row);
    });
  } catch (error) {
    throw translateConstraint(ctx, error, { unique: nameTaken(patch.name ?? "") });
  }
}

/**
 * Deletes an integration and its secrets. When finished runs refer to it, the row stays as a
 * tombstone (hidden from reads, manifest emptied, name freed for reuse) so they keep their skeleton.
 */
export async function deleteIntegration(ctx: StoreContext, id: string): Promise<void> {
  const now = ctx.now();
  try {
    await write(ctx, async (trx) => {
      const found = await trx
        .selectFrom("integrations")
        .select(["id", "name"])
        .where("id", "=", id)
        .where("deleted_at", "is", null)
        .executeTakeFirst();
      if (!found) throw notFound("integration", id);
      const runs = await trx
        .selectFrom("runs")
        .select(["id", "status"])
        .where("integration_id", "=", id)
        .execute();
      const unfinished = runs.filter((run) => !FINAL_STATUSES.has(run.status as RunStatus));
      if (unfinished.length > 0) {
        const first = unfinished[0]!;
        throw hirewireError(
          "CONFLICT",
          "hasUnfinishedRuns",
          {
            owner: `The integration "${found.name}"`,
            count: unfinished.length,
            first,
            then: "delete the integration",
          },
          { details: { unfinished_run_ids: unfinished.map((run) => run.id) } },
        );
      }
      await trx.deleteFrom("integration_secrets").where("integration_id", "=", id).execute();
      await trx.deleteFrom("rate_limits").where("integration_id", "=", id).execute();
      if (runs.length === 0) {
        await trx.deleteFrom("integrations").where("id", "=", id).execute();
        return;
      }
      await trx
        .updateTable("integrations")
        .set({
          name: `${found.name} (deleted ${id})`,
          manifest: "{}",
          deleted_at: now,
          updated_at: now,
        })
        .where("id", "=", id)
        .execute();
    });
  } catch (error) {
    throw translateConstraint(ctx, error, {
      foreignKey: problem("CONFLICT", "stillReferenced", { id }),
    });
  }
}

export async function setSecret(
  ctx: StoreContext,
  integrationId: string,
  key: string,
  value: string,
): Promise<void> {
  const now = ctx.now();
  const valueEnc = ctx.cipher.encrypt(value);
  await write(ctx, async (trx) => {
    const exists = await trx
      .selectFrom("integrations")
      .select("id")
      .where("id", "=", integrationId)
      .where("deleted_at", "is", null)
      .executeTakeFirst();
    if (!exists) throw notFound("integration", integrationId);
    await trx
      .insertInto("integration_secrets")
      .values({
        integration_id: integrationId,
        key,
        value_enc: valueEnc,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) =>
        oc.columns(["integration_id", "key"]).doUpdateSet({ value_enc: valueEnc, updated_at: now }),
      )
      .execute();
  });
}

export async function getSecrets(
  ctx: StoreContext,
  integrationId: string,
): Promise<Record<string, string>> {
  const rows = await ctx.db
    .selectFrom("integration_secrets")
    .select(["key", "value_enc"])
    .where("integration_id", "=", integrationId)
    .execute();
  return decryptSecrets(ctx, integrationId, rows);
}

/** Decrypted secret rows; SECRETS_UNREADABLE naming those another key encrypted. */
export function decryptSecrets(
  ctx: StoreContext,
  integrationId: string,
  rows: ReadonlyArray<{ key: string; value_enc: string }>,
): Record<string, string> {
  const secrets: Record<string, string> = {};
  const unreadable: string[] = [];
  for (const row of rows) {
    try {
      secrets[row.key] = ctx.cipher.decrypt(row.value_enc);
    } catch {
      unreadable.push(row.key);
    }
  }
  if (unreadable.length > 0) throw unreadableSecrets(integrationId, unreadable);
  return secrets;
}

/**
 * SECRETS_UNREADABLE naming the secrets (names only) that were encrypted with another key: the
 * key file was lost or replaced. `details.keys` lists them; `details.problems` too, for the API.
 */
function unreadableSecrets(integrationId: string, keys: string[]): HirewireError {
  return hirewireError(
    "SECRETS_UNREADABLE",
    "integration",
    { integrationId, keys },
    {
      details: {
        integrationId,
        keys,
        problems: keys.map((key) => ({ path: key, message: "cannot be decrypted; set it again" })),
      },
    },
  );
}

export async function listSecretKeys(
  ctx: StoreContext,
  integrationId: string,
): Promise<SecretKeyRecord[]> {
  const rows = await ctx.db
    .selectFrom("integration_secrets")
    .select(["key", "updated_at"])
    .where("integration_id", "=", integrationId)
    .orderBy("key")
    .execute();
  return rows.map((row) => ({ key: row.key, updatedAt: toMillis(row.updated_at) }));
}

export async function deleteSecret(
  ctx: StoreContext,
  integrationId: string,
  key: string,
): Promise<boolean> {
  const result = await write(ctx, (trx) =>
    trx
      .deleteFrom("integration_secrets")
      .where("integration_id", "=", integrationId)
      .where("key", "=", key)
      .executeTakeFirst(),
  );
  return Number(result.numDeletedRows) > 0;
}
