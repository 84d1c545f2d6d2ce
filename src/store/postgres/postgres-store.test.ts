import { randomBytes } from "node:crypto";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { SecretCipher } from "../../secrets/index.ts";
import { describeStoreConformance } from "../conformance.ts";
import type { Store } from "../store.ts";
import { storeMigrations } from "../migrations/index.ts";
import { openPostgresStore } from "./open-postgres-store.ts";
import { postgresTraits } from "./postgres-dialect.ts";
import { createTestSchema } from "./test-database.ts";

describeStoreConformance("postgres", {
  async create() {
    const db = await createTestSchema();
    const cipher = new SecretCipher(randomBytes(32));
    const opened: Store[] = [];
    return {
      async open() {
        const store = await openPostgresStore({
          url: db.url,
          schema: db.schema,
          cipher,
          max: 4,
          // Tests need no durability across a server crash; commits then skip the WAL flush.
          settings: { synchronous_commit: "off" },
        });
        opened.push(store);
        return store;
      },
      rawBytes: () => db.dump(),
      async dispose() {
        await Promise.all(opened.map((store) => store.close()));
        await db.drop();
      },
    };
  },
});

describe("openPostgresStore", () => {
  const cipher = new SecretCipher(randomBytes(32));

  it("migrates a new schema exactly once when four processes open it at the same moment", async () => {
    const db = await createTestSchema();
    const stores: Store[] = [];
    try {
      const opening = [1, 2, 3, 4].map(() =>
        openPostgresStore({ url: db.urlWithSchema, cipher, max: 2 }),
      );
      stores.push(...(await Promise.all(opening)));
      const integration = await stores[0]!.createIntegration({ name: "Directory", manifest: {} });
      for (const store of stores)
        expect((await store.getIntegration(integration.id))?.name).toBe("Directory");
      const raw = new pg.Client({ connectionString: db.url });
      await raw.connect();
      try {
        const { rows } = await raw.query<{ name: string }>(
          `select name from "${db.schema}".kysely_migration order by name`,
        );
        expect(rows.map((row) => row.name)).toEqual(
          Object.keys(storeMigrations(postgresTraits)).sort(),
        );
      } finally {
        await raw.end();
      }
    } finally {
      await Promise.all(stores.map((store) => store.close()));
      await db.drop();
    }
  });

  it("claims running, then woken, then queued runs in one statement and fails a damaged row", async () => {
    const db = await createTestSchema();
    const store = await openPostgresStore({ url: db.url, schema: db.schema, cipher, max: 2 });
    const raw = new pg.Client({ connectionString: db.url });
    await raw.connect();
    try {
      const integration = await store.createIntegration({ name: "Directory", manifest: {} });
      const runs = [];
      for (let i = 0; i < 5; i += 1)
        runs.push((await store.createRun({ integrationId: integration.id, block: "execute" })).run);
      const [queued, waiting, running, damaged, later] = runs.map((run) => run.id);
      const now = Date.now() + 10_000;
      const table = `"${db.schema}".runs`;
      await raw.query(`update ${table} set status = 'waiting', wake_at = $2 where id = $1`, [
        waiting,
        now - 1,
      ]);
      await raw.query(
        `update ${table} set status = 'running', lease_owner = 'gone', lease_expires_at = $2
         where id = $1`,
        [running, now - 5],
      );
      await raw.query(`update ${table} set state = '"not a state"' where id = $1`, [damaged]);

      const first = await store.claimRuns({ owner: "a", now, leaseMs: 60_000, limit: 3 });
      expect(first.map((run) => [run.id, run.recovered])).toEqual([
        [running, true],
        [waiting, false],
        [queued, false],
      ]);
      expect(first.every((run) => run.leaseOwner === "a")).toBe(true);

      const second = await store.claimRuns({ owner: "b", now, leaseMs: 60_000, limit: 10 });
      expect(second.map((run) => run.id)).toEqual([damaged, later]);
      expect(second[0]).toMatchObject({ status: "failed", leaseOwner: null });
      expect(second[0]!.fault?.code).toBe("STATE_INVALID");
      expect(await store.getRun(damaged!)).toMatchObject({ status: "failed", leaseOwner: null });
      expect(await store.claimRuns({ owner: "c", now, leaseMs: 60_000, limit: 10 })).toEqual([]);
    } finally {
      await raw.end();
      await store.close();
      await db.drop();
    }
  });

  it("wakes a listener in another process when a run is created or resumed, not on a rollback", async () => {
    const db = await createTestSchema();
    const a = await openPostgresStore({ url: db.url, schema: db.schema, cipher, max: 2 });
    const b = await openPostgresStore({ url: db.url, schema: db.schema, cipher, max: 2 });
    const other = await createTestSchema();
    const stranger = await openPostgresStore({
      url: other.url,
      schema: other.schema,
      cipher,
      max: 2,
    });
    try {
      let woken = 0;
      const next = () => {
        const before = woken;
        return expect.poll(() => woken, { timeout: 5_000 }).toBeGreaterThan(before);
      };
      const stop = a.onRunsDue(() => (woken += 1));
      await next(); // the first look once the LISTEN connection is up
      const integration = await b.createIntegration({ name: "Directory", manifest: {} });
      const counted = woken;
      await expect(b.createRun({ integrationId: "int_missing", block: "execute" })).rejects.toThrow(
        /No integration/,
      );
      const foreign = await stranger.createIntegration({ name: "Elsewhere", manifest: {} });
      await stranger.createRun({ integrationId: foreign.id, block: "execute" });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(woken).toBe(counted); // a rolled-back create and another schema's run wake no one
      const waiting = next();
      await b.createRun({ integrationId: integration.id, block: "execute" });
      await waiting;
      stop();
      const after = woken;
      await b.createRun({ integrationId: integration.id, block: "execute" });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(woken).toBe(after);
    } finally {
      await Promise.all([a.close(), b.close(), stranger.close()]);
      await Promise.all([db.drop(), other.drop()]);
    }
  });

  it("refuses a database it cannot reach with one sentence that names it without the password", async () => {
    const error = await openPostgresStore({
      url: "postgres://hirewire:s3cret-pw@127.0.0.1:1/hirewire",
      cipher,
      connectTimeoutMs: 2_000,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "STORE_UNUSABLE" });
    const message = (error as Error).message;
    expect(message).toMatch(
      /^The PostgreSQL database "hirewire" on 127\.0\.0\.1:1 could not be reached \(.*\); check HIREWIRE_DATABASE_URL/,
    );
    expect(message).not.toContain("s3cret-pw");
  });

  it("refuses a schema written by a newer hirewire, and one holding another program's tables", async () => {
    const db = await createTestSchema();
    try {
      const first = await openPostgresStore({ url: db.url, schema: db.schema, cipher });
      await first.close();
      const raw = new pg.Client({ connectionString: db.url });
      await raw.connect();
      try {
        await raw.query(
          `insert into "${db.schema}".kysely_migration (name, timestamp) values ('0999', now()::text)`,
        );
        await expect(openPostgresStore({ url: db.url, schema: db.schema, cipher })).rejects.toThrow(
          /has schema version 0999, but this hirewire reads schema versions up to/,
        );
        await raw.query(`drop schema "${db.schema}" cascade`);
        await raw.query(`create schema "${db.schema}"`);
        await raw.query(`create table "${db.schema}".orders (id int)`);
        await expect(openPostgresStore({ url: db.url, schema: db.schema, cipher })).rejects.toThrow(
          /holds tables of another program in its schema \(orders\)/,
        );
      } finally {
        await raw.end();
      }
    } finally {
      await db.drop();
    }
  });

  it("reports health, and names the missing table when one is dropped", async () => {
    const db = await createTestSchema();
    const store = await openPostgresStore({ url: db.url, schema: db.schema, cipher });
    try {
      expect(await store.health()).toEqual({ ok: true });
      const raw = new pg.Client({ connectionString: db.url });
      await raw.connect();
      await raw.query(`drop table "${db.schema}".files`);
      await raw.end();
      const health = await store.health();
      expect(health).toMatchObject({ ok: false });
      expect(!health.ok && health.reason).toMatch(/is missing the table files/);
    } finally {
      await store.close();
      await db.drop();
    }
  });
});

describe("opening while another program drops schemas", () => {
  it(
    "opens every store although schemas with tables come and go in the same database",
    { timeout: 120_000 },
    async () => {
      const first = await createTestSchema();
      const churn = new pg.Client({ connectionString: first.url });
      await churn.connect();
      let stop = false;
      // Another program's schemas, each with a serial column (what Kysely's table listing
      // resolves by name), created and dropped as fast as the server allows.
      const churning = (async () => {
        for (let i = 0; !stop; i += 1) {
          const name = `hirewire_churn_${process.pid}_${i}`;
          await churn.query(`create schema ${name}`);
          await churn.query(`create table ${name}.t (id serial primary key)`);
          await churn.query(`drop schema ${name} cascade`);
        }
      })();
      const schemas = [first, ...(await Promise.all(Array.from({ length: 7 }, createTestSchema)))];
      try {
        for (const db of schemas) {
          const store = await openPostgresStore({
            url: db.url,
            schema: db.schema,
            cipher: new SecretCipher(randomBytes(32)),
          });
          expect(await store.listIntegrations()).toEqual([]);
          await store.close();
        }
      } finally {
        stop = true;
        await churning;
        await churn.end();
        for (const db of schemas) await db.drop();
      }
    },
  );
});
