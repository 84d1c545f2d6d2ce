// The service on a store that is damaged: refused at start with the reason (the CLI prints it and
// exits non-zero, leaving the file as it was), and /healthz answers 503 with the reason when the
// store breaks while the service runs, instead of "ok" while the API answers 500.
import Database from "better-sqlite3";
import { mkdtemp, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { startInProcessService } from "../support/in-process-service.ts";
import { startServiceProcess } from "../support/service-process.ts";

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

it("answers 503 with the reason on /healthz when a table is dropped under it", async () => {
  const svc = await startInProcessService({ HIREWIRE_SANDBOX: "off" });
  try {
    const healthy = await fetch(`${svc.service.url}/healthz`);
    expect(healthy.status).toBe(200);
    expect(await healthy.json()).toEqual({ ok: true });

    const db = new Database(join(svc.dir, "hirewire.sqlite"));
    db.exec("drop table stored_fields");
    db.close();

    const sick = await fetch(`${svc.service.url}/healthz`);
    expect(sick.status).toBe(503);
    const body = (await sick.json()) as { ok: boolean; reason: string };
    expect(body.ok).toBe(false);
    expect(body.reason).toContain(join(svc.dir, "hirewire.sqlite"));
    expect(body.reason).toMatch(/missing the table stored_fields; restore the latest backup/);
  } finally {
    await svc.close();
  }
});

it("`hirewire serve` refuses a 0-byte store file and leaves it alone", async () => {
  const dir = await mkdtemp(join(tmpdir(), "hirewire-empty-"));
  dirs.push(dir);
  const file = join(dir, "hirewire.sqlite");
  await writeFile(file, "");
  const old = new Date(Date.now() - 60_000);
  await utimes(file, old, old);
  const failure = await startServiceProcess(dir).then(
    async (started) => {
      await started.kill();
      return new Error("the service started");
    },
    (error: Error) => error,
  );
  expect(failure.message).toMatch(/exited with 1 before listening/);
  expect(failure.message).toContain(`The store file "${file}" is empty (0 bytes)`);
  expect(failure.message).toContain("docs/operations.md");
  expect((await stat(file)).size).toBe(0);
});
