// A hire's stored fields. A field whose value holds a secret is "sensitive": its value is kept
// encrypted in `value_enc` (the same cipher as integration secrets) and `value` holds only its
// masked view, so reading the table, a backup or the WAL never shows the secret. Only runs get
// the decrypted value (getStoredValues); everything shown to people reads the masked view.
import type { JsonValue } from "../../manifest/types.ts";
import { notFound, write, type StoreContext } from "../context.ts";
import { decodeJson, encodeJson, toMillis } from "../json-codec.ts";
import type { SensitiveView, StoredFieldRecord, StoredValue } from "../records.ts";

/** The value columns of one field: plain, or masked view plus encrypted value. */
export interface StoredFieldColumns {
  value: string;
  sensitive: number;
  value_enc: string | null;
}

/** Encodes a field for writing; a sensitive one is encrypted and only its view is left readable. */
export function storedFieldColumns(
  ctx: StoreContext,
  name: string,
  value: JsonValue,
  sensitive: SensitiveView | undefined,
): StoredFieldColumns {
  const encoded = encodeJson(value, `stored field "${name}"`);
  if (sensitive === undefined) return { value: encoded, sensitive: 0, value_enc: null };
  return {
    value: encodeJson(sensitive.shown, `stored field "${name}"`),
    sensitive: 1,
    value_enc: ctx.cipher.encrypt(encoded),
  };
}

function readRows(ctx: StoreContext, hireId: string) {
  return ctx.db
    .selectFrom("stored_fields")
    .select(["name", "value", "sensitive", "value_enc", "run_id", "updated_at"])
    .where("hire_id", "=", hireId)
    .orderBy("name")
    .execute();
}

export async function getStoredFields(
  ctx: StoreContext,
  hireId: string,
): Promise<Record<string, StoredFieldRecord>> {
  const fields: Record<string, StoredFieldRecord> = {};
  for (const row of await readRows(ctx, hireId)) {
    fields[row.name] = {
      value: decodeJson<JsonValue>(row.value),
      sensitive: Number(row.sensitive) === 1,
      updatedAt: toMillis(row.updated_at),
      runId: row.run_id,
    };
  }
  return fields;
}

export async function getStoredValues(
  ctx: StoreContext,
  hireId: string,
): Promise<Record<string, StoredValue>> {
  return toStoredValues(ctx, await readRows(ctx, hireId));
}

/** Stored field rows as runs get them: sensitive values decrypted (null and flagged when unreadable). */
export function toStoredValues(
  ctx: StoreContext,
  rows: ReadonlyArray<{
    name: string;
    value: unknown;
    sensitive: unknown;
    value_enc: string | null;
    run_id: string | null;
  }>,
): Record<string, StoredValue> {
  const values: Record<string, StoredValue> = {};
  for (const row of rows) {
    const shown = decodeJson<JsonValue>(row.value);
    const sensitive = Number(row.sensitive) === 1 && row.value_enc !== null;
    const field: StoredValue = { value: shown, shown, sensitive, runId: row.run_id };
    if (sensitive) {
      try {
        field.value = decodeJson<JsonValue>(ctx.cipher.decrypt(row.value_enc!));
      } catch {
        // Encrypted with a lost key: one such field must not stop every run of this hire.
        field.value = null;
        field.unreadable = true;
      }
    }
    values[row.name] = field;
  }
  return values;
}

export async function setStoredField(
  ctx: StoreContext,
  hireId: string,
  name: string,
  value: JsonValue,
  sensitive?: SensitiveView,
): Promise<StoredFieldRecord> {
  const now = ctx.now();
  const columns = storedFieldColumns(ctx, name, value, sensitive);
  await write(ctx, async (trx) => {
    const exists = await trx
      .selectFrom("hires")
      .select("id")
      .where("id", "=", hireId)
      .executeTakeFirst();
    if (!exists) throw notFound("hire", hireId);
    await trx
      .insertInto("stored_fields")
      .values({ hire_id: hireId, name, ...columns, run_id: null, updated_at: now })
      .onConflict((oc) =>
        oc.columns(["hire_id", "name"]).doUpdateSet({ ...columns, run_id: null, updated_at: now }),
      )
      .execute();
  });
  return {
    value: decodeJson<JsonValue>(columns.value),
    sensitive: columns.sensitive === 1,
    updatedAt: now,
    runId: null,
  };
}

export async function deleteStoredField(
  ctx: StoreContext,
  hireId: string,
  name: string,
): Promise<boolean> {
  const result = await write(ctx, (trx) =>
    trx
      .deleteFrom("stored_fields")
      .where("hire_id", "=", hireId)
      .where("name", "=", name)
      .executeTakeFirst(),
  );
  return Number(result.numDeletedRows) > 0;
}
