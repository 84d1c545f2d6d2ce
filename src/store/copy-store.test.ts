// The SQLite → PostgreSQL copy on its own: many batches come out row for row the same (read back
// through the PostgreSQL store, ciphertext included), and a row PostgreSQL refuses part-way
// leaves the target empty, so the copy can be run again once the row is fixed.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { afterEach, expect, it } from "vitest";
import { SecretCipher } from "../secrets/index.ts";
import { copySqliteToPostgres } from "./copy-store.ts";
import { openPostgresStore } from "./postgres/open-postgres-store.ts";
import { createTestSchema, type TestSchema } from "./postgres/test-database.ts";
import { openSqliteStore } from "./sqlite/open-sqlite-store.ts";

const cipher = new SecretCipher(randomBytes(32));
let dir: string | undefined;
let db: TestSchema | undefined;
afterEach(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  await db?.drop();
  dir = undefined;
  db = undefined;
});

async function sqliteWith(hires: number): Promise<string> {
  dir = await mkdtemp(join(tmpdir(), "hirewire-copy-"));
  const file = join(dir, "hirewire.sqlite");
  const store = await openSqliteStore({ file, cipher });
  const integration = await store.createIntegration({ name: "Directory", manifest: {} });
  await store.setSecret(integration.id, "API_TOKEN", "tok_copy_secret");
  for (let i = 0; i < hires; i++) {
    const hire = await store.createHire({ props: { email: `h${i}@example.com`, n: i } });
    await store.setStoredField(hire.id, "PASSWORD", `pw-${i}`, { shown: "***PASSWORD***" });
    await store.createRun({ integrationId: integration.id, hireId: hire.id, block: "execute" });
  }
  await store.close();
  return file;
}

async function tableCounts(schema: TestSchema): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: schema.url });
  await client.connect();
  try {
    const counts: Record<string, number> = {};
    for (const table of ["integrations", "integration_secrets", "hires", "stored_fields", "runs"]) {
      const { rows } = await client.query<{ n: string }>(
        `select count(*) as n from "${schema.schema}".${table}`,
      );
      counts[table] = Number(rows[0]!.n);
    }
    return counts;
  } finally {
    await client.end();
  }
}

it("copies in many batches, and the PostgreSQL store reads the same records and secrets", async () => {
  const file = await sqliteWith(25);
  db = await createTestSchema();
  const seen: string[] = [];
  const result = await copySqliteToPostgres({
    file,
    url: db.urlWithSchema,
    batchSize: 4,
    onTable: (table, rows) => seen.push(`${table}:${rows}`),
  });
  expect(result.schema).toBe(db.schema);
  expect(result.counts).toMatchObject({
    integrations: 1,
    integration_secrets: 1,
    hires: 25,
    stored_fields: 25,
    runs: 25,
  });
  expect(seen[0]).toBe("integrations:1");

  const source = await openSqliteStore({ file, cipher });
  const target = await openPostgresStore({ url: db.urlWithSchema, cipher });
  try {
    const [integration] = await target.listIntegrations();
    expect(await target.getSecrets(integration!.id)).toEqual({ API_TOKEN: "tok_copy_secret" });
    const all = { limit: 100 };
    expect((await target.listHires(all)).items).toEqual((await source.listHires(all)).items);
    expect((await target.listRuns(all)).items).toEqual((await source.listRuns(all)).items);
    const hire = (await source.listHires({ limit: 1 })).items[0]!;
    expect(await target.getStoredValues(hire.id)).toEqual(await source.getStoredValues(hire.id));
  } finally {
    await source.close();
    await target.close();
  }
});

it("keeps nothing when PostgreSQL refuses a row part-way, and copies once the row is fixed", async () => {
  const file = await sqliteWith(3);
  // SQLite keeps any text in a JSON column; PostgreSQL's json type refuses this one.
  const raw = new Database(file);
  raw
    .prepare("INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)")
    .run("broken", "{not json", 1);
  raw.close();
  db = await createTestSchema();
  await expect(copySqliteToPostgres({ file, url: db.urlWithSchema })).rejects.toMatchObject({
    code: "STORE_UNUSABLE",
    message: expect.stringMatching(/refused a row of settings after row 0 .*nothing was copied/),
  });
  expect(await tableCounts(db)).toEqual({
    integrations: 0,
    integration_secrets: 0,
    hires: 0,
    stored_fields: 0,
    runs: 0,
  });

  const fix = new Database(file);
  fix.prepare("UPDATE settings SET value = ? WHERE key = ?").run('"fixed"', "broken");
  fix.close();
  const result = await copySqliteToPostgres({ file, url: db.urlWithSchema });
  expect(result.counts.hires).toBe(3);
  await expect(copySqliteToPostgres({ file, url: db.urlWithSchema })).rejects.toMatchObject({
    code: "CONFLICT",
    message: expect.stringContaining(
      "already holds hirewire data (1 integrations, 1 integration_secrets, 3 hires",
    ),
  });
});
