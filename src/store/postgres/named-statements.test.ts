// Named statements (named-statements.ts) against the local PostgreSQL: a text with values is
// prepared once per connection and reused, the answers are those of the unnamed query, and what
// should stay unnamed (no values, texts past the limit) does.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nameStatements } from "./named-statements.ts";
import { createTestSchema, type TestSchema } from "./test-database.ts";

let schema: TestSchema;
let pool: pg.Pool;

beforeAll(async () => {
  schema = await createTestSchema();
  pool = new pg.Pool({ connectionString: schema.urlWithSchema, max: 1 });
  nameStatements(pool);
  await pool.query("create table notes (id integer primary key, body text)");
});
afterAll(async () => {
  await pool.end();
  await schema.drop();
});

const prepared = async (): Promise<string[]> =>
  (await pool.query("select name from pg_prepared_statements order by name")).rows.map(
    (row: { name: string }) => row.name,
  );

describe("named statements", () => {
  it("prepares a text with values once per connection and answers as the plain query does", async () => {
    for (const id of [1, 2, 3]) {
      const inserted = await pool.query(
        "insert into notes (id, body) values ($1, $2) returning *",
        [id, `note ${id}`],
      );
      expect(inserted.rows).toEqual([{ id, body: `note ${id}` }]);
    }
    const read = await pool.query("select body from notes where id = $1", [2]);
    expect(read.rows).toEqual([{ body: "note 2" }]);
    const names = await prepared();
    expect(names).toHaveLength(2);
    for (const name of names) expect(name).toMatch(/^hw_[0-9a-f]{24}$/);
    // A query without values stays unnamed.
    expect((await pool.query("select count(*)::int as n from notes")).rows).toEqual([{ n: 3 }]);
    expect(await prepared()).toHaveLength(2);
  });

  it("names at most 200 texts, then sends the rest unnamed", async () => {
    for (let i = 0; i < 210; i += 1) {
      const { rows } = await pool.query(`select $1::int + ${i} as n`, [1]);
      expect(rows).toEqual([{ n: 1 + i }]);
    }
    expect(await prepared()).toHaveLength(200);
  });

  it("sends a statement unnamed once a table changed shape under its prepared plan", async () => {
    // A pool of its own: the one above has used up its names.
    const own = new pg.Pool({ connectionString: schema.urlWithSchema, max: 1 });
    nameStatements(own);
    const client = await own.connect();
    try {
      const read = () => client.query("select * from notes where id = $1", [1]);
      expect((await read()).rows).toEqual([{ id: 1, body: "note 1" }]);
      expect(
        (await client.query("select count(*)::int as n from pg_prepared_statements")).rows,
      ).toEqual([{ n: 1 }]);
      await client.query("alter table notes add column extra text");
      expect((await read()).rows).toEqual([{ id: 1, body: "note 1", extra: null }]);
      expect((await read()).rows).toEqual([{ id: 1, body: "note 1", extra: null }]);
    } finally {
      client.release();
      await own.end();
    }
  });
});
