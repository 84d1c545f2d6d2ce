import Database from "better-sqlite3";
import { afterEach, expect, it } from "vitest";
import { cachingStatements } from "./statement-cache.ts";

const open: Database.Database[] = [];
afterEach(() => {
  for (const database of open.splice(0)) if (database.open) database.close();
});

function memoryDatabase(): Database.Database {
  const database = new Database(":memory:");
  open.push(database);
  database.exec("create table t (id integer primary key, name text)");
  return database;
}

it("prepares each SQL text once and the statements keep working", () => {
  const cached = cachingStatements(memoryDatabase());
  const insert = cached.prepare("insert into t (name) values (?)");
  expect(cached.prepare("insert into t (name) values (?)")).toBe(insert);
  insert.run(["a"]);
  cached.prepare("insert into t (name) values (?)").run(["b"]);
  const select = cached.prepare("select name from t order by id");
  expect(select).not.toBe(insert);
  expect(select.all([])).toEqual([{ name: "a" }, { name: "b" }]);
});

it("drops the oldest statement when full", () => {
  const cached = cachingStatements(memoryDatabase(), 2);
  const first = cached.prepare("select 1");
  const second = cached.prepare("select 2");
  cached.prepare("select 3");
  expect(cached.prepare("select 2")).toBe(second);
  expect(cached.prepare("select 1")).not.toBe(first);
});

it("never hands out a statement that is still being iterated", () => {
  const database = memoryDatabase();
  database.exec("insert into t (name) values ('a'), ('b')");
  const cached = cachingStatements(database);
  const sql = "select name from t order by id";
  const rows = cached.prepare(sql).iterate([]);
  expect(rows.next().value).toEqual({ name: "a" });
  expect(cached.prepare(sql).all([])).toEqual([{ name: "a" }, { name: "b" }]);
  expect(rows.next().value).toEqual({ name: "b" });
  rows.return?.();
});

it("closes the database", () => {
  const database = memoryDatabase();
  cachingStatements(database).close();
  expect(database.open).toBe(false);
});
