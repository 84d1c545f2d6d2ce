// Group commit (sqlite-dialect.ts): write transactions of one event-loop turn share one COMMIT.
// What a caller may rely on: a write that resolved is on disk (another connection sees it), one
// that rejected left nothing, and a failed write does not take the others down with it.
import Database from "better-sqlite3";
import { Kysely } from "kysely";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ImmediateSqliteDialect } from "./sqlite-dialect.ts";

interface Schema {
  notes: { id: number; body: string };
}

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A Kysely handle on a fresh WAL file, a second connection to look from, and COMMITs counted. */
async function open() {
  const dir = await mkdtemp(join(tmpdir(), "hirewire-group-"));
  dirs.push(dir);
  const file = join(dir, "db.sqlite");
  const database = new Database(file);
  database.pragma("journal_mode = WAL");
  database.exec("create table notes (id integer primary key, body text not null)");
  let commits = 0;
  // Counts the COMMIT statements SQLite runs (better-sqlite3's own prepare, observed).
  const prepare = database.prepare.bind(database);
  database.prepare = ((source: string) => {
    const statement = prepare(source);
    if (source.trim().toLowerCase() !== "commit") return statement;
    const run = statement.run.bind(statement);
    statement.run = ((...args: unknown[]) => {
      commits += 1;
      return run(...(args as []));
    }) as typeof statement.run;
    return statement;
  }) as typeof database.prepare;
  const dialect = new ImmediateSqliteDialect({
    database,
    busyTimeoutMs: 1000,
    lockTimeoutMs: 1000,
  });
  const db = new Kysely<Schema>({ dialect });
  const observer = new Database(file, { readonly: true });
  const visible = (): number[] =>
    (observer.prepare("select id from notes order by id").all() as Array<{ id: number }>).map(
      (row) => row.id,
    );
  return {
    db,
    dialect,
    database,
    visible,
    commits: () => commits,
    observer,
    async close() {
      observer.close();
      await db.destroy();
    },
  };
}

const insert = (db: Kysely<Schema>, id: number, body = "x") =>
  db.transaction().execute((trx) => trx.insertInto("notes").values({ id, body }).execute());

/** The same insert as a synchronous write (`writeNow`), rows given as [id, body]. */
const insertNow = (
  store: { db: Kysely<Schema>; dialect: ImmediateSqliteDialect },
  ...rows: Array<[number, string]>
) =>
  store.dialect.writeNow((run) => {
    for (const [id, body] of rows) run(store.db.insertInto("notes").values({ id, body }).compile());
    return rows.length;
  });

describe("SQLite group commit", () => {
  it("commits the writes of one turn together, and each is on disk when it resolves", async () => {
    const store = await open();
    const seen: number[][] = [];
    await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        insert(store.db, i + 1).then(() => seen.push(store.visible())),
      ),
    );
    // Each caller, at the moment its write resolved, could already see its row from outside.
    expect(seen).toHaveLength(100);
    for (const rows of seen) expect(rows).toHaveLength(100);
    expect(store.commits()).toBeLessThanOrEqual(3);
    // A write in a later turn is a group of its own and is as durable.
    await insert(store.db, 101);
    expect(store.visible()).toContain(101);
    await store.close();
  });

  it("undoes a failed write alone: the other writes of its group are kept", async () => {
    const store = await open();
    await insert(store.db, 1);
    const outcomes = await Promise.allSettled([
      insert(store.db, 2),
      insert(store.db, 1), // a duplicate key
      store.db.transaction().execute(async (trx) => {
        await trx.insertInto("notes").values({ id: 3, body: "x" }).execute();
        throw new Error("the caller changed its mind");
      }),
      insert(store.db, 4),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      "fulfilled",
      "rejected",
      "rejected",
      "fulfilled",
    ]);
    expect(store.visible()).toEqual([1, 2, 4]);
    await store.close();
  });

  it("on a full disk reports no write as done that is not on disk, then works again", async () => {
    const store = await open();
    await insert(store.db, 1);
    const pages = Number(store.database.pragma("page_count", { simple: true }));
    store.database.pragma(`max_page_count = ${pages + 1}`);
    const big = "y".repeat(64 * 1024);
    const ids = [2, 3, 4, 5];
    const outcomes = await Promise.allSettled(
      ids.map((id) => insert(store.db, id, id === 3 ? big : "x")),
    );
    const rejected = outcomes.flatMap((outcome) =>
      outcome.status === "rejected" ? [outcome.reason as { code?: string }] : [],
    );
    expect(rejected.length).toBeGreaterThan(0);
    expect(rejected.every((error) => error.code === "SQLITE_FULL")).toBe(true);
    const kept = store.visible();
    ids.forEach((id, i) => {
      expect(kept.includes(id)).toBe(outcomes[i]!.status === "fulfilled");
    });
    store.database.pragma("max_page_count = 1073741823");
    await insert(store.db, 6, big);
    expect(store.visible()).toContain(6);
    await store.close();
  });

  it("commits the open group before the database closes", async () => {
    const store = await open();
    const writes = Promise.all([insert(store.db, 1), insert(store.db, 2)]);
    await new Promise((resolve) => setImmediate(resolve)); // writes in, COMMIT not yet run
    await store.db.destroy();
    await writes;
    expect(store.visible()).toEqual([1, 2]);
    store.observer.close();
  });

  describe("writeNow (a write run in one synchronous stretch)", () => {
    it("shares the turn's COMMIT with Kysely transactions, and is on disk when it resolves", async () => {
      const store = await open();
      const seen: number[][] = [];
      await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          (i % 2 === 0 ? insertNow(store, [i + 1, "x"]) : insert(store.db, i + 1)).then(() =>
            seen.push(store.visible()),
          ),
        ),
      );
      expect(seen).toHaveLength(60);
      for (const rows of seen) expect(rows).toHaveLength(60);
      expect(store.commits()).toBeLessThanOrEqual(3);
      expect(await insertNow(store, [61, "x"], [62, "x"])).toBe(2);
      expect(store.visible()).toEqual(expect.arrayContaining([61, 62]));
      await store.close();
    });

    it("undoes a failed write alone, all of its statements", async () => {
      const store = await open();
      await insert(store.db, 1);
      const outcomes = await Promise.allSettled([
        insertNow(store, [2, "x"]),
        insertNow(store, [3, "x"], [1, "duplicate"]),
        store.dialect.writeNow((run) => {
          run(store.db.insertInto("notes").values({ id: 4, body: "x" }).compile());
          throw new Error("the caller changed its mind");
        }),
        // Work that would go on after a wait is refused, and what it did at once is undone.
        store.dialect.writeNow(async (run) => {
          run(store.db.insertInto("notes").values({ id: 6, body: "x" }).compile());
          await Promise.resolve();
        }),
        insert(store.db, 5),
      ]);
      expect(outcomes.map((outcome) => outcome.status)).toEqual([
        "fulfilled",
        "rejected",
        "rejected",
        "rejected",
        "fulfilled",
      ]);
      expect(String((outcomes[3] as PromiseRejectedResult).reason)).toMatch(/returned a promise/);
      expect(store.visible()).toEqual([1, 2, 5]);
      await store.close();
    });

    it("on a full disk reports no write as done that is not on disk", async () => {
      const store = await open();
      await insert(store.db, 1);
      const pages = Number(store.database.pragma("page_count", { simple: true }));
      store.database.pragma(`max_page_count = ${pages + 1}`);
      const big = "y".repeat(64 * 1024);
      const ids = [2, 3, 4];
      const outcomes = await Promise.allSettled(
        ids.map((id) => insertNow(store, [id, id === 3 ? big : "x"])),
      );
      const rejected = outcomes.flatMap((outcome) =>
        outcome.status === "rejected" ? [outcome.reason as { code?: string }] : [],
      );
      expect(rejected.length).toBeGreaterThan(0);
      expect(rejected.every((error) => error.code === "SQLITE_FULL")).toBe(true);
      const kept = store.visible();
      ids.forEach((id, i) => {
        expect(kept.includes(id)).toBe(outcomes[i]!.status === "fulfilled");
      });
      store.database.pragma("max_page_count = 1073741823");
      await insertNow(store, [5, big]);
      expect(store.visible()).toContain(5);
      await store.close();
    });
  });
});
