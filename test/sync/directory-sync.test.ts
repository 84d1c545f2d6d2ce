// Sync users end to end through the real service (SQLite store, scheduler, API) against a local
// directory of 10,000 users: both pagination styles, amount_pages_to_fetch, preview then apply,
// no duplicates on a second run, updates matched by email whatever its case, and scheduled syncs.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startService, type RunningService } from "../../src/service/serve.ts";
import { SyncSchedule } from "../../src/runner/sync-schedule.ts";
import { getAppliedSync } from "../../src/sync/index.ts";
import { eventually } from "../support/service-process.ts";
import { DIRECTORY_TOKEN, startDirectoryServer, type DirectoryServer } from "./directory-server.ts";

const ADMIN = "hw_sync_test_admin_token_0123456789";
let dir: string;
let directory: DirectoryServer;
let service: RunningService;
const transcript: string[] = [];

async function api(method: string, path: string, body?: unknown) {
  const response = await fetch(`${service.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${ADMIN}`,
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  transcript.push(text);
  return { status: response.status, body: text === "" ? undefined : JSON.parse(text) };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hirewire-sync-"));
  directory = await startDirectoryServer(10_000);
  service = await startService(
    {
      dataDir: dir,
      host: "127.0.0.1",
      port: 0,
      adminToken: ADMIN,
      logLevel: "silent",
      sandbox: false,
      fileRetentionMs: null,
      leaseMs: 60_000,
      concurrency: 10,
    },
    pino({ level: "silent" }),
  );
});
afterAll(async () => {
  await service?.close();
  await directory?.close();
  await rm(dir, { recursive: true, force: true });
});

const FORM = [
  { id: "DIR_TOKEN", name: "Directory token" },
  { id: "DIR_URL", name: "Directory URL", secret: false },
];

function tokenManifest(extra: Record<string, unknown> = {}, query = "") {
  return {
    action: "create",
    initial_data_form: FORM,
    headers: { Authorization: "Bearer {{ DIR_TOKEN }}" },
    execute: [{ url: `{{ DIR_URL }}/v1/users?limit=100${query}`, method: "GET" }],
    data_from: "data.users",
    data_structure: { email: "mail", first_name: "name.first", last_name: "name.last" },
    next_page_token_from: "meta.next_cursor",
    next_page: `{{ DIR_URL }}/v1/users?limit=100${query}&cursor={{ NEXT_PAGE_TOKEN }}`,
    amount_pages_to_fetch: 100,
    ...extra,
  };
}

function linkManifest(pages: number) {
  return {
    action: "update",
    initial_data_form: FORM,
    headers: { Authorization: "Bearer {{ DIR_TOKEN }}" },
    execute: [{ url: "{{ DIR_URL }}/v2/people?per_page=100&upper=1", method: "GET" }],
    data_from: "people",
    data_structure: { email: "mail", title: "job.title", department: "job.department" },
    next_page_from: "links.next",
    amount_pages_to_fetch: pages,
  };
}

async function integration(name: string, manifest: unknown): Promise<string> {
  const created = await api("POST", "/api/integrations", { name, manifest });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const id = created.body.id as string;
  const secrets = await api("PUT", `/api/integrations/${id}/secrets`, {
    DIR_TOKEN: DIRECTORY_TOKEN,
    DIR_URL: directory.url,
  });
  expect(secrets.status).toBeLessThan(300);
  return id;
}

/** Starts a sync by hand and waits for its preview. */
async function previewSync(id: string) {
  const started = await api("POST", `/api/integrations/${id}/sync`);
  expect(started.status, JSON.stringify(started.body)).toBe(202);
  expect(started.body).toMatchObject({ block: "sync", hire_id: null, status: "queued" });
  const runId = started.body.id as string;
  const preview = await eventually(
    async () => {
      const reply = await api("GET", `/api/integrations/${id}/sync/${runId}/preview`);
      expect(reply.status).toBe(200);
      return ["succeeded", "failed", "blocked", "cancelled"].includes(reply.body.status)
        ? reply.body
        : undefined;
    },
    120_000,
    "the sync run to finish",
  );
  expect(preview.status, JSON.stringify(preview.error)).toBe("succeeded");
  return { runId, plan: preview.plan, applied: preview.applied };
}

async function hireCount(): Promise<number> {
  let count = 0;
  let cursor: string | null = null;
  do {
    const page = await service.store.listHires({ limit: 500, cursor });
    count += page.items.length;
    cursor = page.nextCursor;
  } while (cursor !== null);
  return count;
}

describe("sync users against a directory of 10,000", () => {
  let createId: string;

  it("token pagination: previews 10,000 hires to create, applies them once, and a second sync creates none", async () => {
    createId = await integration("Directory (token)", tokenManifest());
    const first = await previewSync(createId);
    expect(directory.requests("/v1/users")).toBe(100);
    expect(first.plan).toMatchObject({ action: "create", pages: 100, users: 10_000, unchanged: 0 });
    expect(first.plan.create).toHaveLength(10_000);
    expect(first.plan.skipped).toEqual([]);
    expect(first.plan.create[0]).toEqual({
      email: "user00001@corp.example",
      first_name: "First1",
      last_name: "Last1",
    });
    expect(first.applied).toBeNull();
    expect(await hireCount()).toBe(0); // a preview changes nothing

    const applied = await api("POST", `/api/integrations/${createId}/sync/${first.runId}/apply`);
    expect(applied.status).toBe(200);
    expect(applied.body).toMatchObject({
      created: 10_000,
      updated: 0,
      unchanged: 0,
      already_applied: false,
    });
    expect(await hireCount()).toBe(10_000);

    const again = await api("POST", `/api/integrations/${createId}/sync/${first.runId}/apply`);
    expect(again.body).toMatchObject({ created: 10_000, already_applied: true });
    expect(await hireCount()).toBe(10_000);

    const second = await previewSync(createId);
    expect(second.plan).toMatchObject({ users: 10_000, unchanged: 10_000, create: [] });
    const reapplied = await api("POST", `/api/integrations/${createId}/sync/${second.runId}/apply`);
    expect(reapplied.body).toMatchObject({ created: 0, unchanged: 10_000, already_applied: false });
    expect(await hireCount()).toBe(10_000);
    const hire = await service.store.findHireByEmail("USER04242@corp.example");
    expect(hire?.props).toEqual({
      email: "user04242@corp.example",
      first_name: "First4242",
      last_name: "Last4242",
    });
  }, 300_000);

  it("next_page_from: stops at amount_pages_to_fetch and updates stored fields of hires matched by email in any case", async () => {
    const updateId = await integration("Directory (links)", linkManifest(30));
    const before = directory.requests("/v2/people");
    const first = await previewSync(updateId);
    expect(directory.requests("/v2/people") - before).toBe(30);
    expect(first.plan).toMatchObject({
      action: "update",
      pages: 30,
      users: 3_000,
      unchanged: 0,
      create: [],
    });
    expect(first.plan.update).toHaveLength(3_000);
    expect(first.plan.update[0]).toMatchObject({
      email: "USER00001@CORP.EXAMPLE",
      fields: { title: "Engineer 1", department: "Dept 1" },
    });
    const applied = await api("POST", `/api/integrations/${updateId}/sync/${first.runId}/apply`);
    expect(applied.body).toMatchObject({
      action: "update",
      created: 0,
      updated: 3_000,
      unchanged: 0,
    });
    const hire = (await service.store.findHireByEmail("user00042@corp.example"))!;
    const stored = await service.store.getStoredFields(hire.id);
    expect(stored.title?.value).toBe("Engineer 0");
    expect(stored.department?.value).toBe("Dept 2");
    expect(await hireCount()).toBe(10_000); // update never creates

    directory.setTitle(42, "Staff Engineer");
    const second = await previewSync(updateId);
    expect(second.plan).toMatchObject({ unchanged: 2_999 });
    expect(second.plan.update).toEqual([
      { hire_id: hire.id, email: "USER00042@CORP.EXAMPLE", fields: { title: "Staff Engineer" } },
    ]);
    const reapplied = await api("POST", `/api/integrations/${updateId}/sync/${second.runId}/apply`);
    expect(reapplied.body).toMatchObject({ updated: 1, unchanged: 2_999 });
    expect((await service.store.getStoredFields(hire.id)).title?.value).toBe("Staff Engineer");
  }, 300_000);

  it("update skips users no hire has, with the reason", async () => {
    const id = await integration("Directory (strangers)", {
      ...linkManifest(1),
      execute: [{ url: "{{ DIR_URL }}/v2/people?per_page=5&prefix=nobody&upper=1", method: "GET" }],
    });
    const { plan } = await previewSync(id);
    expect(plan.update).toEqual([]);
    expect(plan.skipped).toHaveLength(5);
    expect(plan.skipped[0]).toEqual({
      email: "NOBODY00001@CORP.EXAMPLE",
      reason: "no hire has this email",
    });
  }, 60_000);

  it("refuses a second sync while one is running, and an apply before it finished", async () => {
    directory.hold();
    const id = await integration(
      "Directory (slow)",
      tokenManifest({ amount_pages_to_fetch: 2 }, "&gate=1&prefix=slow"),
    );
    const started = await api("POST", `/api/integrations/${id}/sync`);
    expect(started.status).toBe(202);
    const again = await api("POST", `/api/integrations/${id}/sync`);
    expect(again.status).toBe(409);
    expect(again.body.message).toContain(`sync run ${started.body.id}`);
    const early = await api("POST", `/api/integrations/${id}/sync/${started.body.id}/apply`);
    expect(early.status).toBe(409);
    const preview = await api("GET", `/api/integrations/${id}/sync/${started.body.id}/preview`);
    expect(preview.body).toMatchObject({ plan: null, applied: null });
    directory.release();
    await eventually(
      async () => {
        const run = await service.store.getRun(started.body.id);
        return run?.status === "succeeded" ? run : undefined;
      },
      30_000,
      "the gated sync to finish",
    );
  }, 60_000);

  it("answers 404 for a run of another integration and 409 for a provisioning manifest", async () => {
    const other = await integration(
      "Directory (other)",
      tokenManifest({ amount_pages_to_fetch: 1 }, "&prefix=other"),
    );
    const { runId } = await previewSync(other);
    expect((await api("GET", `/api/integrations/${createId}/sync/${runId}/preview`)).status).toBe(
      404,
    );
    expect((await api("POST", `/api/integrations/${createId}/sync/${runId}/apply`)).status).toBe(
      404,
    );
    const provisioning = await api("POST", "/api/integrations", {
      name: "Provisioning",
      manifest: { execute: [{ url: "https://example.com/users" }] },
    });
    const refused = await api("POST", `/api/integrations/${provisioning.body.id}/sync`);
    expect(refused.status).toBe(409);
    expect(refused.body.message).toContain("not a sync-users manifest");
  }, 60_000);

  it("lists the sync routes in the OpenAPI document", async () => {
    const doc = (await fetch(`${service.url}/openapi.json`).then((r) => r.json())) as {
      paths: object;
    };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/api/integrations/{id}/sync",
        "/api/integrations/{id}/sync/{run_id}/preview",
        "/api/integrations/{id}/sync/{run_id}/apply",
      ]),
    );
  });

  it("never shows the directory token in an API answer", () => {
    expect(transcript.length).toBeGreaterThan(10);
    for (const text of transcript) expect(text).not.toContain(DIRECTORY_TOKEN);
  });
});

describe("scheduled syncs", () => {
  // February 29th at 06:00: a minute the service's own minute job will not meet during the test.
  const SCHEDULE = "0 6 29 2 *";
  const LEAP_2028 = new Date(2028, 1, 29, 6, 0, 20);
  const LEAP_2032 = new Date(2032, 1, 29, 6, 0, 0);

  it("starts a run on a matching minute, applies it without a preview, and never overlaps", async () => {
    const id = await integration(
      "Directory (scheduled)",
      tokenManifest({ schedule: SCHEDULE, amount_pages_to_fetch: 3 }, "&prefix=sched&gate=1"),
    );
    directory.hold();
    const schedule = new SyncSchedule({
      store: service.store,
      notify: () => service.scheduler!.notify(),
    });
    expect((await schedule.tick(new Date(2028, 1, 29, 7, 0))).started).toEqual([]);

    const tick = await schedule.tick(LEAP_2028);
    expect(tick.started).toHaveLength(1);
    const runId = tick.started[0]!.runId;
    expect(tick.started[0]!.integrationId).toBe(id);
    const overlap = await schedule.tick(LEAP_2032);
    expect(overlap.started).toEqual([]);
    expect(overlap.skipped).toEqual([
      { integrationId: id, reason: expect.stringContaining(`sync run ${runId} is still`) },
    ]);
    expect(await schedule.applyFinished()).toEqual([]); // not finished yet

    directory.release();
    await eventually(
      async () => {
        const run = await service.store.getRun(runId);
        return run?.status === "succeeded" ? run : undefined;
      },
      30_000,
      "the scheduled sync to finish",
    );
    expect(await schedule.applyFinished()).toEqual([runId]);
    expect(await getAppliedSync(service.store, runId)).toMatchObject({
      action: "create",
      created: 300,
      unchanged: 0,
    });
    expect(await service.store.findHireByEmail("sched00300@corp.example")).toBeDefined();

    const sameMinute = await schedule.tick(LEAP_2028);
    expect(sameMinute.started).toEqual([]);
    expect(sameMinute.skipped[0]?.reason).toContain("already started for this minute");

    const next = await schedule.tick(LEAP_2032);
    expect(next.started).toHaveLength(1);
    const nextId = next.started[0]!.runId;
    await eventually(
      async () => {
        const run = await service.store.getRun(nextId);
        return run?.status === "succeeded" ? run : undefined;
      },
      30_000,
      "the second scheduled sync to finish",
    );
    expect(await schedule.applyFinished()).toEqual([nextId]);
    expect(await getAppliedSync(service.store, nextId)).toMatchObject({
      created: 0,
      unchanged: 300,
    });
    await schedule.stop();
  }, 60_000);
});
