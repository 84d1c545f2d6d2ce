// Migration 4 on a store made by an older version that let two hires share an email: both are
// kept (the older one is found by email), but no new hire may take that email again.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { Kysely, Migrator, SqliteDialect } from "kysely";
import { afterEach, expect, it } from "vitest";
import { SecretCipher } from "../../secrets/index.ts";
import { openSqliteStore } from "../sqlite/index.ts";
import { sqliteTraits } from "../sqlite/sqlite-dialect.ts";
import { migrationProvider } from "./provider.ts";

let dir: string;
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

it("keeps hires that already shared an email and refuses new ones", async () => {
  dir = await mkdtemp(join(tmpdir(), "hirewire-mig4-"));
  const file = join(dir, "old.sqlite");
  const old = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new Database(file) }) });
  const migrated = await new Migrator({
    db: old,
    provider: migrationProvider(sqliteTraits),
  }).migrateTo("0003");
  expect(migrated.error).toBeUndefined();
  await old.destroy();
  const raw = new Database(file);
  const insert = raw.prepare(
    "INSERT INTO hires (id, email, props, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
  );
  insert.run("hire_old", "dup@example.com", '{"email":"dup@example.com"}', 1, 1);
  insert.run("hire_new", "dup@example.com", '{"email":"Dup@example.com"}', 2, 2);
  raw.close();

  const store = await openSqliteStore({ file, cipher: new SecretCipher(randomBytes(32)) });
  try {
    expect((await store.listHires({ email: "dup@example.com" })).items).toHaveLength(2);
    expect((await store.findHireByEmail("DUP@example.com"))?.id).toBe("hire_old");
    await expect(store.createHire({ props: { email: "dup@example.com" } })).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringContaining("hire_old"),
    });
    // The kept duplicate can still be edited, and deleted.
    const edited = await store.updateHire("hire_new", {
      email: "dup@example.com",
      first_name: "Dee",
    });
    expect(edited.props.first_name).toBe("Dee");
    await store.deleteHire("hire_new");
    expect((await store.listHires({ email: "dup@example.com" })).items).toHaveLength(1);
  } finally {
    await store.close();
  }
});
