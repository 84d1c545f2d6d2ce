// Opaque cursors for newest-first listings: the (created_at, id) of the last row of a page.
// Ordering by both keeps pages stable when many rows share a millisecond.
import { sql, type RawBuilder } from "kysely";
import { hirewireError } from "../errors/index.ts";
import type { Page } from "./records.ts";

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 500;

export interface CursorPosition {
  createdAt: number;
  id: string;
}

function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id])).toString("base64url");
}

/** Throws INPUT_INVALID for a cursor this store did not make. */
function decodeCursor(cursor: string): CursorPosition {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(parsed) && typeof parsed[0] === "number" && typeof parsed[1] === "string") {
      return { createdAt: parsed[0], id: parsed[1] };
    }
  } catch {
    // fall through to the error below: a garbled cursor is the caller's input problem
  }
  throw hirewireError("INPUT_INVALID", "foreignCursor", {});
}

/** Clamps a requested page size to 1…500 (default 50). */
export function pageLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_LIMIT;
  return Math.min(MAX_LIMIT, Math.max(1, Math.floor(limit)));
}

/** Cuts the one extra row a listing fetched (limit + 1) and makes the next cursor from the last kept row. */
export function toPage<R extends { createdAt: number; id: string }>(
  rows: R[],
  limit: number,
): Page<R> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return {
    items,
    nextCursor:
      rows.length > limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null,
  };
}

/**
 * Narrows a newest-first listing to the rows after `cursor` and orders it by (created_at, id),
 * fetching one row more than `limit` so `toPage` can tell whether another page follows.
 */
export function newestFirst<Q extends PageableQuery<Q>>(
  query: Q,
  cursor: string | null | undefined,
  limit: number,
): Q {
  let narrowed = query;
  if (cursor) {
    const at = decodeCursor(cursor);
    narrowed = narrowed.where(
      sql<boolean>`(created_at < ${at.createdAt} or (created_at = ${at.createdAt} and id < ${at.id}))`,
    );
  }
  return narrowed
    .orderBy(sql`created_at`, "desc")
    .orderBy(sql`id`, "desc")
    .limit(limit + 1);
}

/** The part of Kysely's select builder `newestFirst` uses. */
export interface PageableQuery<Q> {
  where(expression: RawBuilder<boolean>): Q;
  orderBy(expression: RawBuilder<unknown>, direction: "desc"): Q;
  limit(limit: number): Q;
}
