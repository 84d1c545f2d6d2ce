// A batch of hire changes applied at most once, whichever process asks: the record of the batch
// is inserted under its settings key first, in the same transaction as the changes, so of two
// appliers the second finds the key taken (PostgreSQL: waits for the first to commit) and writes
// nothing. Used to apply a directory sync.
import type { JsonValue } from "../../manifest/types.ts";
import { newId, write, type StoreContext } from "../context.ts";
import { decodeJson, encodeJson } from "../json-codec.ts";
import type { ApplyHireChangesInput, AppliedHireChanges } from "../store.ts";
import { emailKey } from "./hires.ts";
import { storedFieldColumns } from "./stored-fields.ts";

/** Thrown inside the transaction to roll it back when the key turns out to be taken. */
class KeyTaken extends Error {}

export async function applyHireChanges(
  ctx: StoreContext,
  input: ApplyHireChangesInput,
): Promise<AppliedHireChanges> {
  const now = ctx.now();
  const created = input.create.map((props) => ({
    id: newId("hire"),
    email: emailKey(props.email),
    props: encodeJson(props, "hire"),
    created_at: now,
    updated_at: now,
  }));
  const updates = input.update.map((update) => ({
    hireId: update.hireId,
    fields: Object.entries(update.fields).map(([name, value]) => ({
      name,
      columns: storedFieldColumns(ctx, name, value, undefined),
    })),
  }));
  try {
    return await write(ctx, async (trx) => {
      const claim = await trx
        .insertInto("settings")
        .values({ key: input.key, value: encodeJson(null, "record"), updated_at: now })
        .onConflict((oc) => oc.column("key").doNothing())
        .executeTakeFirst();
      if (Number(claim.numInsertedOrUpdatedRows ?? 0) === 0) throw new KeyTaken();
      let createdCount = 0;
      for (const row of created) {
        // A hire with this email (added since the plan, or by another batch) wins: skip.
        const result = await trx
          .insertInto("hires")
          .values(row)
          .onConflict((oc) => oc.doNothing())
          .executeTakeFirst();
        createdCount += Number(result.numInsertedOrUpdatedRows ?? 0);
      }
      let updatedCount = 0;
      for (const update of updates) {
        const exists = await trx
          .selectFrom("hires")
          .select("id")
          .where("id", "=", update.hireId)
          .executeTakeFirst();
        // A hire deleted since the plan is left alone.
        if (exists === undefined) continue;
        for (const { name, columns } of update.fields) {
          await trx
            .insertInto("stored_fields")
            .values({ hire_id: update.hireId, name, ...columns, run_id: null, updated_at: now })
            .onConflict((oc) =>
              oc
                .columns(["hire_id", "name"])
                .doUpdateSet({ ...columns, run_id: null, updated_at: now }),
            )
            .execute();
        }
        updatedCount += 1;
      }
      const record = input.record({ created: createdCount, updated: updatedCount });
      await trx
        .updateTable("settings")
        .set({ value: encodeJson(record, `setting "${input.key}"`), updated_at: now })
        .where("key", "=", input.key)
        .execute();
      return { applied: true, record };
    });
  } catch (error) {
    if (!(error instanceof KeyTaken)) throw error;
  }
  const row = await ctx.db
    .selectFrom("settings")
    .select("value")
    .where("key", "=", input.key)
    .executeTakeFirst();
  return { applied: false, record: row === undefined ? null : decodeJson<JsonValue>(row.value) };
}
