// A store file that is not what hirewire wrote — empty, not a database, pages overwritten, tables
// dropped, a newer schema — is refused at open with a sentence naming the file and what to do;
// only a missing file means "new installation". A store that breaks while open reports it in
// `health()`.
import { randomBytes } from "node:crypto";
import Database from "better-sqlite3";
import { mkdtemp, open, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { isHirewireError } from "../../errors/index.ts";
import { SecretCipher } from "../../secrets/index.ts";
import { storeMigrations } from "../migrations/index.ts";
import { openSqliteStore } from "./open-sqlite-store.ts";
import { sqliteTraits } from "./sqlite-dialect.ts";

const dirs: string[] = [];
const cipher = new SecretCipher(randomBytes(32));
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function newFile(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "hirewire-check-"));
  dirs.push(dir);
  return join(dir, "hirewire.sqlite");
}

/** A store file with some rows in it, closed (its WAL folded into the main file). */
async function populated(): Promise<string> {
  const file = await newFile();
  const store = await openSqliteStore({ file, cipher });
  const integration = await store.createIntegration({ name: "A", manifest: { execute: [] } });
  for (let i = 0; i < 300; i++) {
    await store.createRun({
      integrationId: integration.id,
      block: "execute",
      params: { note: "x".repeat(200) },
    });
  }
  await store.close();
  return file;
}

async function refusal(file: string): Promise<string> {
  try {
    const store = await openSqliteStore({ file, cipher });
    await store.close();
  } catch (error) {
    expect(isHirewireError(error, "STORE_UNUSABLE"), String(error)).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain(file);
    return message;
  }
  throw new Error(`${file} was opened`);
}

it("creates a new database only when the file is missing", async () => {
  const file = await newFile();
  const store = await openSqliteStore({ file, cipher });
  expect(await store.health()).toEqual({ ok: true });
  await store.close();
  expect((await stat(file)).size).toBeGreaterThan(0);
});

it("refuses an empty (0-byte) file and leaves it as it is", async () => {
  const file = await newFile();
  await writeFile(file, "");
  const old = new Date(Date.now() - 60_000);
  await utimes(file, old, old);
  const message = await refusal(file);
  expect(message).toMatch(/empty \(0 bytes\)/);
  expect(message).toMatch(/restore the latest backup/i);
  expect(message).toContain("docs/operations.md");
  expect((await stat(file)).size).toBe(0);
});

it("refuses a file that is not a database", async () => {
  const file = await newFile();
  await writeFile(file, "these are my notes, not a database\n".repeat(200));
  expect(await refusal(file)).toMatch(/is not a database: it is not in SQLite/);
});

it("refuses a file whose pages were overwritten", async () => {
  const file = await populated();
  const size = (await stat(file)).size;
  const handle = await open(file, "r+");
  // Keep page 1 (the header and schema) intact; scribble over the middle of the file.
  await handle.write(randomBytes(Math.floor(size / 2)), 0, Math.floor(size / 2), 4096 * 2);
  await handle.close();
  const message = await refusal(file);
  expect(message).toMatch(/damaged/);
  expect(message).toMatch(/restore the latest backup/i);
});

it("refuses a database with tables dropped", async () => {
  const file = await populated();
  const db = new Database(file);
  db.exec("drop table attempts; drop table stored_fields");
  db.close();
  expect(await refusal(file)).toMatch(/damaged: it is missing the tables stored_fields, attempts/);
});

it("refuses a newer schema, saying which version the file has and which this one reads", async () => {
  const file = await populated();
  const newest = Object.keys(storeMigrations(sqliteTraits)).sort().at(-1)!;
  const newer = String(Number(newest) + 1).padStart(4, "0");
  const db = new Database(file);
  db.prepare("insert into kysely_migration (name, timestamp) values (?, ?)").run(
    newer,
    new Date().toISOString(),
  );
  db.close();
  const message = await refusal(file);
  expect(message).toMatch(new RegExp(`schema version ${newer}`));
  expect(message).toMatch(new RegExp(`reads schema versions up to ${newest}`));
});

it("refuses a SQLite database that is not a hirewire store", async () => {
  const file = await newFile();
  const db = new Database(file);
  db.exec("create table notes (text)");
  db.close();
  expect(await refusal(file)).toMatch(/not a hirewire store/);
});

it("reports a table dropped while it is open in health()", async () => {
  const file = await populated();
  const store = await openSqliteStore({ file, cipher });
  expect(await store.health()).toEqual({ ok: true });
  const db = new Database(file);
  db.exec("drop table attempts");
  db.close();
  const health = await store.health();
  expect(health.ok).toBe(false);
  expect(health.ok ? "" : health.reason).toMatch(/missing the table attempts/);
  await store.close();
  expect((await readFile(file)).length).toBeGreaterThan(0);
});
