import Database from "better-sqlite3";
import { Kysely, SqliteDialect, sql } from "kysely";
import { describe, expect, it } from "vitest";
import { compiledShape } from "./query-shapes.ts";

interface Schema {
  notes: { id: number; body: string | null; tag: string };
}

const db = new Kysely<Schema>({
  dialect: new SqliteDialect({ database: new Database(":memory:") }),
});

describe("compiledShape", () => {
  it("gives the SQL and parameters Kysely compiles, for every call of one shape", () => {
    const direct = (id: number, body: string | null, tag: string) =>
      db
        .updateTable("notes")
        .set({ body, tag: sql<string>`coalesce(${tag}, 'none')` })
        .where("id", "=", id)
        .where("tag", "!=", "archived")
        .returning("id")
        .compile();
    for (const [id, body, tag] of [
      [1, "a", "x"],
      [2, null, "y"],
      [3, '{"json": true}', "z"],
    ] as const) {
      const shaped = compiledShape("test:update", [body, tag, id], (value) =>
        db
          .updateTable("notes")
          .set({ body: value(0), tag: sql<string>`coalesce(${value(1)}, 'none')` })
          .where("id", "=", value(2))
          .where("tag", "!=", "archived")
          .returning("id"),
      );
      const expected = direct(id, body, tag);
      expect(shaped.sql).toBe(expected.sql);
      expect(shaped.parameters).toEqual(expected.parameters);
    }
  });

  it("runs against the database like the query it stands for", async () => {
    await db.schema
      .createTable("notes")
      .addColumn("id", "integer", (c) => c.primaryKey())
      .addColumn("body", "text")
      .addColumn("tag", "text", (c) => c.notNull())
      .execute();
    for (const id of [1, 2]) {
      const insert = compiledShape("test:insert", [id, `body ${id}`], (value) =>
        db
          .insertInto("notes")
          .values({ id: value(0), body: value(1), tag: "t" })
          .returningAll(),
      );
      expect((await db.executeQuery(insert)).rows).toEqual([{ id, body: `body ${id}`, tag: "t" }]);
    }
    expect(await db.selectFrom("notes").select("id").orderBy("id").execute()).toEqual([
      { id: 1 },
      { id: 2 },
    ]);
  });
});
