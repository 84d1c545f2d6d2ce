// Named locks shared by every process on the store: a row per held lock, with its holder and the
// time it lapses. Taking one is a single upsert that only wins over a lapsed (or own) row, then a
// read of who holds it, in one write transaction: SQLite serializes writers, and in PostgreSQL a
// second taker waits on the row and re-checks the condition against the winner's row.
import { sql } from "kysely";
import { write, type StoreContext } from "../context.ts";
import type { LockInput } from "../store.ts";

export async function takeLock(ctx: StoreContext, input: LockInput): Promise<boolean> {
  const expiresAt = input.now + input.leaseMs;
  return write(ctx, async (trx) => {
    await trx
      .insertInto("locks")
      .values({ name: input.name, owner: input.owner, expires_at: expiresAt })
      .onConflict((oc) =>
        oc
          .column("name")
          .doUpdateSet({ owner: input.owner, expires_at: expiresAt })
          .where((eb) =>
            eb.or([
              eb(sql.ref("locks.expires_at"), "<=", input.now),
              eb(sql.ref("locks.owner"), "=", input.owner),
            ]),
          ),
      )
      .execute();
    const row = await trx
      .selectFrom("locks")
      .select("owner")
      .where("name", "=", input.name)
      .executeTakeFirst();
    return row?.owner === input.owner;
  });
}

export async function releaseLock(ctx: StoreContext, name: string, owner: string): Promise<void> {
  await write(ctx, (trx) =>
    trx.deleteFrom("locks").where("name", "=", name).where("owner", "=", owner).execute(),
  );
}
