// First start on an empty store by several processes at once: one generated admin token and one
// set of example integrations between them, whichever process gets there first. Store instances
// racing on one fresh PostgreSQL schema and on one SQLite file, and two real `hirewire serve
// --no-worker` processes starting together on a fresh schema.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SecretCipher } from "../../src/secrets/index.ts";
import { setUpStart, type FirstStart } from "../../src/service/first-start.ts";
import { SANDBOX_INTEGRATIONS } from "../../src/service/sandbox/sandbox-integrations.ts";
import { openPostgresStore, openSqliteStore, type Store } from "../../src/store/index.ts";
import { createTestSchema } from "../../src/store/postgres/test-database.ts";
import { eventually, startServiceProcess } from "../support/service-process.ts";

async function raceFirstStarts(stores: Store[]): Promise<void> {
  const starts: FirstStart[] = await Promise.all(
    stores.map((store) => setUpStart(store, { sandbox: true })),
  );
  expect(starts.filter((start) => start.admin.created !== undefined)).toHaveLength(1);
  expect(starts.filter((start) => start.sandbox?.token !== undefined)).toHaveLength(1);
  expect(new Set(starts.map((start) => start.sandbox?.sha256)).size).toBe(1);
  const store = stores[0]!;
  expect(await store.countApiTokens()).toBe(1);
  const names = (await store.listIntegrations()).map((integration) => integration.name).sort();
  expect(names).toEqual(SANDBOX_INTEGRATIONS.map((example) => example.name).sort());
  // A later start changes nothing.
  const again = await setUpStart(store, { sandbox: true });
  expect(again.admin.created).toBeUndefined();
  expect(again.sandbox?.token).toBeUndefined();
  expect(await store.listIntegrations()).toHaveLength(SANDBOX_INTEGRATIONS.length);
}

describe("first start by several processes at once", () => {
  const cipher = new SecretCipher(randomBytes(32));

  it("PostgreSQL: four stores on one fresh schema seed once", async () => {
    const db = await createTestSchema();
    const stores = await Promise.all(
      [1, 2, 3, 4].map(() => openPostgresStore({ url: db.urlWithSchema, cipher, max: 2 })),
    );
    try {
      await raceFirstStarts(stores);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
      await db.drop();
    }
  });

  it("SQLite: three stores on one new file seed once", async () => {
    const dir = await mkdtemp(join(tmpdir(), "hirewire-first-start-"));
    const file = join(dir, "hirewire.sqlite");
    const stores = [await openSqliteStore({ file, cipher })];
    stores.push(await openSqliteStore({ file, cipher }), await openSqliteStore({ file, cipher }));
    try {
      await raceFirstStarts(stores);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("two `serve --no-worker` processes starting together on a fresh schema", async () => {
    const db = await createTestSchema();
    const dirs = [
      await mkdtemp(join(tmpdir(), "hirewire-first-a-")),
      await mkdtemp(join(tmpdir(), "hirewire-first-b-")),
    ];
    const env = { HIREWIRE_DATABASE_URL: db.urlWithSchema, HIREWIRE_ADMIN_TOKEN: "" };
    const services = await Promise.all(
      dirs.map((dir) => startServiceProcess(dir, env, ["--no-worker"])),
    );
    try {
      const printed = () =>
        services.flatMap((service) =>
          [...service.output().matchAll(/Admin API token[^\n]*\n\s+(hw_\S+)/g)].map((m) => m[1]!),
        );
      // Printed on stderr just after the start line: wait for it, then for no second one.
      const tokens = await eventually(async () => (printed().length > 0 ? printed() : undefined));
      expect(tokens).toHaveLength(1);
      for (const service of services) {
        const response = await fetch(`${service.url}/api/integrations`, {
          headers: { authorization: `Bearer ${tokens[0]}` },
        });
        expect(response.status).toBe(200);
        const body = (await response.json()) as { items: Array<{ name: string }> };
        expect(body.items.map((item) => item.name).sort()).toEqual(
          SANDBOX_INTEGRATIONS.map((example) => example.name).sort(),
        );
      }
      // Both have said all they will at start: still one token between them.
      for (const service of services) await service.kill("SIGTERM");
      expect(printed()).toEqual(tokens);
    } finally {
      await Promise.all(services.map((service) => service.kill("SIGTERM")));
      await db.drop();
      for (const dir of dirs) await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
