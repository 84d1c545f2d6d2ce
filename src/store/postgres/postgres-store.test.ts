import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SecretCipher } from "../../secrets/index.ts";
import { describeStoreConformance } from "../conformance.ts";
import type { Store } from "../store.ts";
import { openPostgresStore } from "./open-postgres-store.ts";
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
