import { randomBytes } from "node:crypto";
import { SecretCipher } from "./src/secrets/index.ts";
import { openPostgresStore } from "./src/store/postgres/open-postgres-store.ts";
import { createTestSchema } from "./src/store/postgres/test-database.ts";
const db = await createTestSchema();
const cipher = new SecretCipher(randomBytes(32));
const a = await openPostgresStore({ url: db.url, schema: db.schema, cipher, max: 2 });
const b = await openPostgresStore({ url: db.url, schema: db.schema, cipher, max: 2 });
let resolve: () => void = () => {};
a.onRunsDue(() => resolve());
await new Promise((r) => setTimeout(r, 500));
const integration = await b.createIntegration({ name: "m", manifest: {} });
const lat: number[] = [];
for (let i = 0; i < 50; i++) {
  const heard = new Promise<void>((r) => (resolve = r));
  const t0 = performance.now();
  await b.createRun({ integrationId: integration.id, block: "execute" });
  const committed = performance.now();
  await heard;
  lat.push(performance.now() - committed);
  void t0;
}
lat.sort((x, y) => x - y);
console.log("wake-up after commit ms: p50", lat[25]!.toFixed(2), "p95", lat[47]!.toFixed(2), "max", lat[49]!.toFixed(2));
await a.close(); await b.close(); await db.drop();
