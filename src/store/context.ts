// What every query function needs: the Kysely handle, the dialect's traits, the cipher and a
// clock, plus the helpers shared by all of them (ids, write transactions, error translation).
import { randomFillSync } from "node:crypto";
import type { Kysely } from "kysely";
import { HirewireError, hirewireError, isHirewireError, type Problem } from "../errors/index.ts";
import type { SecretCipher } from "../secrets/index.ts";
import type { DialectTraits, RunNow, WriteNow } from "./dialect.ts";
import type { RunSignals } from "./run-signals.ts";
import type { Database } from "./schema.ts";

export interface StoreContext {
  readonly db: Kysely<Database>;
  readonly traits: DialectTraits;
  readonly cipher: SecretCipher;
  /** Epoch milliseconds, for created_at/updated_at. */
  readonly now: () => number;
  /** Where the data lives (the SQLite file), named when the disk under it is full. */
  readonly location?: string;
  /**
   * Called after personal data was erased, so the dialect can also clear it from places rows
   * do not reach (SQLite: the write-ahead log). Best effort; never throws.
   */
  readonly afterErase?: () => Promise<void>;
  /** Wake-ups for schedulers when a write makes a run due (run-signals.ts). */
  readonly signals: RunSignals;
  /**
   * Where the driver is synchronous (SQLite): a write transaction run in one stretch, for the
   * writes every run makes several times (its trigger, its checkpoints). Use `writeAtOnce`.
   */
  readonly writeNow?: WriteNow;
}

let lastMs = 0;
let sequence = 0;

/**
 * A new id such as `run_mf3k2x1a00007c1e…`: the prefix tells what a bare id in a log refers to;
 * time and a per-process sequence come first so ids made in the same millisecond still sort in
 * creation order (listings break created_at ties by id); 64 random bits keep processes apart.
 */
export function newId(prefix: string): string {
  const ms = Date.now();
  if (ms === lastMs) sequence += 1;
  else {
    lastMs = ms;
    sequence = 0;
  }
  const time = ms.toString(36).padStart(9, "0");
  const seq = sequence.toString(36).padStart(4, "0");
  if (randomOffset + 8 > randomPool.length) {
    randomFillSync(randomPool);
    randomOffset = 0;
  }
  const random = randomPool.toString("hex", randomOffset, randomOffset + 8);
  randomOffset += 8;
  return `${prefix}_${time}${seq}${random}`;
}

// Random bytes for ids, drawn 4 KiB at a time: one call into the system's generator per 512 ids
// instead of one per id (ids only need to be unique across processes, not secret).
const randomPool = Buffer.alloc(4096);
let randomOffset = randomPool.length;

/**
 * Runs `fn` in a write transaction. Every mutation goes through here, even single statements, so
 * that SQLite takes its write lock up front and waits for it without blocking the event loop.
 */
export async function write<T>(
  ctx: StoreContext,
  fn: (trx: Kysely<Database>) => Promise<T>,
): Promise<T> {
  try {
    return await ctx.db.transaction().execute(fn);
  } catch (error) {
    if (!ctx.traits.isDiskFull(error)) throw error;
    // The transaction was rolled back whole: nothing of this write was kept.
    throw hirewireError("DISK_FULL", "database", { location: ctx.location }, { cause: error });
  }
}

/**
 * `ctx.writeNow` with `write`'s treatment of a full disk; undefined where the dialect has none
 * (the caller then uses `write`).
 */
export function writeAtOnce<T>(
  ctx: StoreContext,
  work: (run: RunNow) => T,
): Promise<T> | undefined {
  const writeNow = ctx.writeNow;
  if (writeNow === undefined) return undefined;
  return writeNow(work).catch((error: unknown) => {
    if (!ctx.traits.isDiskFull(error)) throw error;
    throw hirewireError("DISK_FULL", "database", { location: ctx.location }, { cause: error });
  });
}

/**
 * Runs one write statement on its own where the dialect allows it (`traits.standaloneWrites`),
 * else inside `write`'s transaction. Either way a full disk is DISK_FULL.
 */
export async function writeStatement<T>(ctx: StoreContext, fn: () => Promise<T>): Promise<T> {
  if (!ctx.traits.standaloneWrites) return write(ctx, () => fn());
  try {
    return await fn();
  } catch (error) {
    if (!ctx.traits.isDiskFull(error)) throw error;
    throw hirewireError("DISK_FULL", "database", { location: ctx.location }, { cause: error });
  }
}

/** Inside a write transaction that made a run due (or moved its wake time): wake the schedulers. */
export function announceDue(ctx: StoreContext, trx: Kysely<Database>): Promise<void> {
  return ctx.signals.announce(trx);
}

export interface ConstraintMessages {
  unique?: Problem;
  foreignKey?: Problem;
}

/** Turns a unique or foreign-key violation into a CONFLICT with a readable message. */
export function translateConstraint(
  ctx: StoreContext,
  error: unknown,
  messages: ConstraintMessages,
): unknown {
  if (isHirewireError(error)) return error;
  if (messages.unique !== undefined && ctx.traits.isUniqueViolation(error)) {
    return new HirewireError(messages.unique, { cause: error });
  }
  if (messages.foreignKey !== undefined && ctx.traits.isForeignKeyViolation(error)) {
    return new HirewireError(messages.foreignKey, { cause: error });
  }
  return error;
}

/** Throws NOT_FOUND naming what is missing. */
export function notFound(what: string, id: string): HirewireError {
  return hirewireError("NOT_FOUND", "record", { what, id });
}
