import { randomBytes } from "node:crypto";
import Database from "better-sqlite3";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SecretCipher } from "../../secrets/index.ts";
import { describeStoreConformance } from "../conformance.ts";
import type { Store } from "../store.ts";
import { storeMigrations } from "../migrations/index.ts";
import { openSqliteStore } from "./open-sqlite-store.ts";
import { sqliteTraits } from "./sqlite-dialect.ts";

describeStoreConformance("sqlite", {
  async create() {
    const dir = await mkdtemp(join(tmpdir(), "hirewire-store-"));
    const file = join(dir, "hirewire.sqlite");
    const cipher = new SecretCipher(randomBytes(32));
    const opened: Store[] = [];
    return {
      async open() {
        const store = await openSqliteStore({ file, cipher });
        opened.push(store);
        return store;
      },
      async rawBytes() {
        // The main file and its -wal/-shm companions: recent commits may live only in the WAL.
        const names = (await readdir(dir)).filter((name) => name.startsWith("hirewire.sqlite"));
        return Buffer.concat(await Promise.all(names.map((name) => readFile(join(dir, name)))));
      },
      async dispose() {
        await Promise.all(opened.map((store) => store.close()));
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
});

describe("openSqliteStore", () => {
  it("creates a WAL-mode file with foreign keys, and migrates it once across reopens", async () => {
    const dir = await mkdtemp(join(tmpdir(), "hirewire-open-"));
    try {
      const file = join(dir, "hirewire.sqlite");
      const cipher = new SecretCipher(randomBytes(32));
      const first = await openSqliteStore({ file, cipher });
      await first.setSetting("first_start", true);
      await first.close();
      await first.close();
      const second = await openSqliteStore({ file, cipher });
      expect(await second.getSetting("first_start")).toBe(true);
      await second.close();

      const raw = new Database(file, { readonly: true });
      try {
        expect(raw.pragma("journal_mode", { simple: true })).toBe("wal");
        const names = raw
          .prepare("select name from kysely_migration order by name")
          .all() as Array<{ name: string }>;
        expect(names.map((row) => row.name)).toEqual(
          Object.keys(storeMigrations(sqliteTraits)).sort(),
        );
      } finally {
        raw.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses to open a file that is not a database", async () => {
    const dir = await mkdtemp(join(tmpdir(), "hirewire-open-"));
    try {
      const file = join(dir, "not-a-db.sqlite");
      await writeFile(file, "this is plain text, not SQLite ".repeat(40));
      await expect(
        openSqliteStore({ file, cipher: new SecretCipher(randomBytes(32)) }),
      ).rejects.toThrow(/not a database/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
