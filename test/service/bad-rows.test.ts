// A run row the service cannot trust — state or params that are not JSON, or JSON of the wrong
// shape — is quarantined: that run fails with STATE_INVALID and a sentence, every other run goes
// on, and the API keeps answering. The rows are damaged with a second SQLite connection, as a
// bad disk, a hand edit or an old bug would leave them.
import Database from "better-sqlite3";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startInProcessService, type InProcessService } from "../support/in-process-service.ts";

let svc: InProcessService;
let integrationId: string;
let hireCount = 0;

beforeAll(async () => {
  svc = await startInProcessService({ HIREWIRE_CONCURRENCY: "4" });
  const list = await svc.api("GET", "/api/integrations");
  integrationId = list.body.items.find(
    (item: { name: string }) => item.name === "Sandbox: create account",
  ).id;
});
afterAll(() => svc.close());

async function newHire(): Promise<string> {
  hireCount += 1;
  const hire = await svc.api("POST", "/api/hires", {
    email: `bad-rows-${hireCount}@example.com`,
    first_name: "Ada",
    last_name: `Row${hireCount}`,
  });
  expect(hire.status, hire.text).toBe(201);
  return hire.body.hire.id;
}

async function trigger(): Promise<string> {
  const run = await svc.api("POST", "/api/runs", {
    integration_id: integrationId,
    hire_id: await newHire(),
  });
  expect(run.status, run.text).toBe(202);
  return run.body.id;
}

/** Overwrites columns of a run row and makes it due again, outside the service. */
function damage(runId: string, columns: Record<string, string | null>): void {
  const db = new Database(join(svc.dir, "hirewire.sqlite"));
  try {
    const sets = Object.keys(columns).map((name) => `${name} = @${name}`);
    db.prepare(
      `update runs set ${sets.join(", ")}, status = 'queued', lease_owner = null,
       lease_expires_at = null, wake_at = null, finished_at = null where id = @id`,
    ).run({ ...columns, id: runId });
  } finally {
    db.close();
  }
}

const DAMAGE: Array<[string, Record<string, string | null>]> = [
  ["state that is not JSON", { state: "{not json" }],
  ["params that are not JSON", { params: "[1, 2" }],
  ["params of the wrong shape", { params: "[1, 2]" }],
  ["state of the wrong shape", { state: '{"version":1,"step":"two","responses":7}' }],
  ["state of an unknown version", { state: '{"version":99}' }],
];

it.each(DAMAGE)("quarantines a run row with %s; other runs go on", async (what, columns) => {
  const bad = await trigger();
  expect((await svc.finished(bad)).status).toBe("succeeded");
  damage(bad, columns);

  const others = await Promise.all([trigger(), trigger(), trigger()]);
  for (const id of others) expect((await svc.finished(id, 10_000)).status, what).toBe("succeeded");

  const quarantined = await svc.finished(bad, 10_000);
  expect(quarantined.status).toBe("failed");
  expect(quarantined.error.code).toBe("STATE_INVALID");
  expect(quarantined.error.message).toMatch(new RegExp(`run "${bad}"`));

  const list = await svc.api("GET", "/api/runs?limit=200");
  expect(list.status, list.text).toBe(200);
  const listed = list.body.items.find((item: { id: string }) => item.id === bad);
  expect(listed.status).toBe("failed");
  expect(listed.error.code).toBe("STATE_INVALID");
  expect((await svc.api("GET", `/api/runs/${bad}`)).status).toBe(200);
  expect((await svc.api("GET", `/api/runs/${bad}/attempts`)).status).toBeLessThan(500);
});

it("shows a damaged finished row as failed without waiting for the scheduler", async () => {
  const bad = await trigger();
  expect((await svc.finished(bad)).status).toBe("succeeded");
  const db = new Database(join(svc.dir, "hirewire.sqlite"));
  db.prepare("update runs set state = 'garbage' where id = ?").run(bad);
  db.close();
  const detail = await svc.api("GET", `/api/runs/${bad}`);
  expect(detail.status, detail.text).toBe(200);
  expect(detail.body.status).toBe("failed");
  expect(detail.body.error.code).toBe("STATE_INVALID");
  expect(detail.body.error.message).toMatch(/not valid JSON/);
});

it("sets aside a run that cannot be driven (its hire row is damaged) without spinning; other runs go on", async () => {
  const bad = await trigger();
  expect((await svc.finished(bad)).status).toBe("succeeded");
  const hireId = (await svc.api("GET", `/api/runs/${bad}`)).body.hire_id as string;
  const db = new Database(join(svc.dir, "hirewire.sqlite"));
  try {
    db.prepare("update hires set props = '{broken' where id = ?").run(hireId);
  } finally {
    db.close();
  }
  damage(bad, { state: null });

  const others = await Promise.all([trigger(), trigger()]);
  for (const id of others) expect((await svc.finished(id, 10_000)).status).toBe("succeeded");
  const setAside = await svc.finished(bad, 15_000);
  expect(setAside.status).toBe("failed");
  expect(setAside.error.code).toBe("INTERNAL");
  expect(setAside.error.message).toMatch(/came back 3 times in a row/);
  expect(setAside.error.message).not.toMatch(/broken/);
});
