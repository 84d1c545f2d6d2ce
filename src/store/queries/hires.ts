// Hires (their stored fields are in stored-fields.ts). The email is copied into its own lower-cased
// column so that lookups by email use an index instead of parsing every props document, and so a
// partial unique index keeps one hire per email (hires that shared an email before migration 4
// are marked `email_duplicate` and kept). Deleting a hire erases it (see erasure.ts).
import type { Kysely, Selectable } from "kysely";
import { FINAL_STATUSES, type RunStatus } from "../../engine/index.ts";
import type { HirewireError } from "../../errors/index.ts";
import { hirewireError, problem } from "../../errors/index.ts";
import type { JsonValue } from "../../manifest/types.ts";
import { newId, notFound, translateConstraint, write, type StoreContext } from "../context.ts";
import { newestFirst, pageLimit, toPage } from "../cursor.ts";
import { decodeJson, encodeJson, toMillis } from "../json-codec.ts";
import type { FileRecord, HireRecord, Page } from "../records.ts";
import type { Database, HiresTable } from "../schema.ts";
import type { CreateHireInput, HireErasure, ListHiresInput } from "../store.ts";
import { eraseRunDetails } from "./erasure.ts";
import { toFile } from "./files.ts";

export type HireRow = Pick<Selectable<HiresTable>, "id" | "props" | "created_at" | "updated_at">;

export function toHire(row: HireRow): HireRecord {
  return {
    id: row.id,
    props: decodeJson<Record<string, JsonValue>>(row.props),
    createdAt: toMillis(row.created_at),
    updatedAt: toMillis(row.updated_at),
  };
}

export function emailKey(email: unknown): string | null {
  return typeof email === "string" && email.trim() !== "" ? email.trim().toLowerCase() : null;
}

/** CONFLICT naming the hire that already has this email; details carry its id for clients. */
function emailTaken(existing: { id: string; email: string | null }, email: string): HirewireError {
  return hirewireError(
    "CONFLICT",
    "duplicateEmail",
    { email, existing: existing.id },
    { path: "email", details: { existing_hire_id: existing.id, existing_email: existing.email } },
  );
}

/** The hire (other than `exceptId`) that already has `key` as its email, if any. */
async function holderOf(trx: Kysely<Database>, key: string | null, exceptId?: string) {
  if (key === null) return undefined;
  let query = trx.selectFrom("hires").select(["id", "email"]).where("email", "=", key);
  if (exceptId !== undefined) query = query.where("id", "!=", exceptId);
  return query.orderBy("created_at").orderBy("id").limit(1).executeTakeFirst();
}

export async function createHire(ctx: StoreContext, input: CreateHireInput): Promise<HireRecord> {
  const now = ctx.now();
  const row = {
    id: input.id ?? newId("hire"),
    email: emailKey(input.props.email),
    props: encodeJson(input.props, "hire"),
    created_at: now,
    updated_at: now,
  };
  try {
    await write(ctx, async (trx) => {
      const holder = await holderOf(trx, row.email);
      if (holder) throw emailTaken(holder, String(input.props.email));
      await trx.insertInto("hires").values(row).execute();
    });
  } catch (error) {
    throw translateConstraint(ctx, error, {
      unique: problem("CONFLICT", "hireTaken", { id: row.id, email: String(input.props.email) }),
    });
  }
  return toHire(row);
}

export async function getHire(ctx: StoreContext, id: string): Promise<HireRecord | undefined> {
  const row = await ctx.db.selectFrom("hires").selectAll().where("id", "=", id).executeTakeFirst();
  return row && toHire(row);
}

export async function findHireByEmail(
  ctx: StoreContext,
  email: string,
): Promise<HireRecord | undefined> {
  const key = emailKey(email);
  if (key === null) return undefined;
  const row = await ctx.db
    .selectFrom("hires")
    .selectAll()
    .where("email", "=", key)
    .orderBy("created_at")
    .orderBy("id")
    .limit(1)
    .executeTakeFirst();
  return row && toHire(row);
}

export async function listHires(
  ctx: StoreContext,
  input: ListHiresInput = {},
): Promise<Page<HireRecord>> {
  const limit = pageLimit(input.limit);
  let query = ctx.db.selectFrom("hires").selectAll();
  if (input.email !== undefined) query = query.where("email", "=", emailKey(input.email) ?? "");
  const rows = await newestFirst(query, input.cursor, limit).execute();
  return toPage(rows.map(toHire), limit);
}

export async function updateHire(
  ctx: StoreContext,
  id: string,
  props: Record<string, JsonValue>,
): Promise<HireRecord> {
  const email = emailKey(props.email);
  const encoded = encodeJson(props, "hire");
  try {
    return await write(ctx, async (trx) => {
      const current = await trx
        .selectFrom("hires")
        .select(["email"])
        .where("id", "=", id)
        .executeTakeFirst();
      if (!current) throw notFound("hire", id);
      const changes = { email, props: encoded, updated_at: ctx.now() };
      // A kept duplicate may be edited as long as its email stays; a new email must be free.
      if (current.email !== email) {
        const holder = await holderOf(trx, email, id);
        if (holder) throw emailTaken(holder, String(props.email));
        Object.assign(changes, { email_duplicate: 0 });
      }
      const row = await trx
        .updateTable("hires")
        .set(changes)
        .where("id", "=", id)
        .returningAll()
        .executeTakeFirstOrThrow();
      return toHire(row);
    });
  } catch (error) {
    throw translateConstraint(ctx, error, {
      unique: problem("CONFLICT", "hireTaken", { email: String(props.email) }),
    });
  }
}

/**
 * Erases a hire: its props and stored fields are deleted, and its runs keep only their skeleton
 * (erasure.ts) and lose their link to it. CONFLICT while one of its runs is unfinished.
 */
export async function deleteHire(ctx: StoreContext, id: string): Promise<HireErasure> {
  const now = ctx.now();
  const erased = await write(ctx, async (trx) => {
    const hire = await trx.selectFrom("hires").select("id").where("id", "=", id).executeTakeFirst();
    if (!hire) throw notFound("hire", id);
    const runs = await trx
      .selectFrom("runs")
      .select(["id", "status"])
      .where("hire_id", "=", id)
      .execute();
    const unfinished = runs.filter((run) => !FINAL_STATUSES.has(run.status as RunStatus));
    if (unfinished.length > 0) {
      const first = unfinished[0]!;
      throw hirewireError(
        "CONFLICT",
        "hasUnfinishedRuns",
        { owner: `The hire "${id}"`, count: unfinished.length, first, then: "delete the hire" },
        { details: { unfinished_run_ids: unfinished.map((run) => run.id) } },
      );
    }
    const runIds = runs.map((run) => run.id);
    await eraseRunDetails(trx, runIds, "hire deleted", now);
    const files =
      runIds.length === 0
        ? []
        : await trx.selectFrom("files").selectAll().where("run_id", "in", runIds).execute();
    if (runIds.length > 0)
      await trx.updateTable("runs").set({ hire_id: null }).where("hire_id", "=", id).execute();
    await trx.deleteFrom("stored_fields").where("hire_id", "=", id).execute();
    await trx.deleteFrom("hires").where("id", "=", id).execute();
    return { runs: runIds.length, files: files.map(toFile) as FileRecord[] };
  });
  await ctx.afterErase?.();
  return erased;
}
