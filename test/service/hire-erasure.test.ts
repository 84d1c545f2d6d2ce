// Deleting a hire erases them: props, stored fields and every personal detail their runs kept
// (request and response bodies, headers, URLs, saved responses, files, error excerpts) are gone
// from the SQLite file and its WAL, byte for byte, while each run keeps its skeleton for the
// audit. Also: one hire per email, deleting integrations that have runs, attempt retention, and
// request-validation messages written as sentences.
import { existsSync } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInProcessService, type InProcessService } from "../support/in-process-service.ts";
import { sendJson, startTargetServer, type TargetServer } from "../support/target-server.ts";

let target: TargetServer;
let svc: InProcessService;
let hireSeq = 0;

beforeAll(async () => {
  target = await startTargetServer();
  // The fake SaaS answers with what it was sent, as real ones do: the hire's data comes back.
  target.route("POST", "/people", (req, res) =>
    sendJson(res, 201, { id: "p_1", ...(req.json as object) }),
  );
  target.route("GET", "/people/:id/card", (req, res) => {
    res.writeHead(200, { "content-type": "text/plain", "x-person": req.query.email ?? "" });
    res.end(`badge for ${req.query.email} (${req.query.name})`);
  });
  target.route("POST", "/refuse", (req, res) =>
    sendJson(res, 422, { error: `cannot add ${(req.json as { name: string }).name}` }),
  );
  target.route("GET", "/pending", (_req, res) => sendJson(res, 200, { status: "pending" }));
  svc = await startInProcessService({ HIREWIRE_SANDBOX: "off" });
});
afterAll(async () => {
  await svc.close();
  await target.close();
});

async function integration(manifest: unknown): Promise<string> {
  const created = await svc.api("POST", "/api/integrations", {
    name: `erasure ${Math.random()}`,
    manifest: {
      initial_data_form: [{ id: "BASE_URL", name: "url", secret: false }],
      ...(manifest as object),
    },
  });
  expect(created.status, created.text).toBe(201);
  const set = await svc.api("PUT", `/api/integrations/${created.body.id}/secrets`, {
    BASE_URL: target.url,
  });
  expect(set.status, set.text).toBeLessThan(300);
  return created.body.id;
}

const PROFILE = {
  execute: [
    {
      url: "{{ BASE_URL }}/people",
      data: { email: "{{ email }}", name: "{{ first_name }} {{ last_name }}" },
      store_data: { PERSON_ID: "id", PERSON_NAME: "name" },
    },
    {
      method: "GET",
      url: "{{ BASE_URL }}/people/{{ PERSON_ID }}/card?email={{ email }}&name={{ last_name }}",
      save_as_file: "card.txt",
    },
  ],
};

async function newHire(props: Record<string, unknown>): Promise<string> {
  const created = await svc.api("POST", "/api/hires", props);
  expect(created.status, created.text).toBe(201);
  return created.body.hire.id;
}

async function run(integrationId: string, hireId: string): Promise<any> {
  const started = await svc.api("POST", "/api/runs", {
    integration_id: integrationId,
    hire_id: hireId,
  });
  expect(started.status, started.text).toBe(202);
  return svc.finished(started.body.id ?? started.body.run?.id);
}

/** Every byte the service keeps: the SQLite file, its WAL and the run files. */
async function keptBytes(): Promise<string> {
  const parts: Buffer[] = [];
  const db = join(svc.dir, "hirewire.sqlite");
  for (const file of [db, `${db}-wal`, `${db}-journal`])
    if (existsSync(file)) parts.push(await readFile(file));
  const walk = async (dir: string): Promise<void> => {
    if (!existsSync(dir)) return;
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if ((await stat(full)).isFile()) parts.push(await readFile(full));
    }
  };
  await walk(join(svc.dir, "files"));
  return Buffer.concat(parts).toString("latin1").toLowerCase();
}

describe("erasing a hire", () => {
  it("removes the hire's data from the database file, the WAL and run files, keeping run skeletons", async () => {
    hireSeq += 1;
    const email = `zelda.quistorff${hireSeq}@erasure.example`;
    const hireId = await newHire({
      email,
      first_name: "Zeldabeth",
      last_name: "Quistorffian",
      department: "Marginalia",
    });
    const stored = await svc.api("PUT", `/api/hires/${hireId}/stored/NOTE`, {
      value: "Zeldabeth likes tea",
    });
    expect(stored.status, stored.text).toBe(200);
    const good = await run(await integration(PROFILE), hireId);
    expect(good.status).toBe("succeeded");
    const refusing = await integration({
      execute: [{ url: "{{ BASE_URL }}/refuse", data: { name: "{{ first_name }}" } }],
    });
    const bad = await run(refusing, hireId);
    expect(bad.status).toBe("failed");
    expect(JSON.stringify(bad.error)).toContain("Zeldabeth");

    const before = await keptBytes();
    expect(before).toContain("zeldabeth");

    const deleted = await svc.api("DELETE", `/api/hires/${hireId}`);
    expect(deleted.status, deleted.text).toBe(204);
    expect((await svc.api("GET", `/api/hires/${hireId}`)).status).toBe(404);

    const after = await keptBytes();
    for (const needle of [email, "zeldabeth", "quistorffian", "marginalia"])
      expect(after.includes(needle), `${needle} is still on disk`).toBe(false);

    // The skeleton: status, times, step, methods, hosts, status codes, error codes.
    const kept = await svc.api("GET", `/api/runs/${good.id}`);
    expect(kept.status).toBe(200);
    expect(kept.body).toMatchObject({
      id: good.id,
      status: "succeeded",
      hire_id: null,
      step: 2,
      params: {},
      stored: {},
      erased: { reason: "hire deleted", at: expect.any(String) },
      created_at: good.created_at,
      finished_at: good.finished_at,
    });
    const attempts =
      kept.body.attempts ?? (await svc.api("GET", `/api/runs/${good.id}/attempts`)).body.items;
    expect(attempts.map((a: any) => [a.step, a.request.method, a.response?.status])).toEqual([
      [0, "POST", 201],
      [1, "GET", 200],
    ]);
    expect(attempts[1].request.url).toBe(`${target.url}/…`);
    const failed = (await svc.api("GET", `/api/runs/${bad.id}`)).body;
    expect(failed.error.code).toBe(bad.error.code);
    expect(failed.error.message).not.toContain("Zeldabeth");

    const resumed = await svc.api("POST", `/api/runs/${bad.id}/resume`, {});
    expect(resumed.status).toBe(409);
    expect(resumed.body.message).toMatch(/details were erased \(hire deleted\); start a new run/);
  });

  it("refuses while one of the hire's runs is unfinished, naming it, and erases once it is cancelled", async () => {
    const hireId = await newHire({ email: "waiting.erasure@example.com" });
    const polling = await integration({
      execute: [
        {
          method: "GET",
          url: "{{ BASE_URL }}/pending",
          polling: { interval: 1, amount: 50 },
          continue_if: { response_notation: "status", value: "done" },
        },
      ],
    });
    const started = await svc.api("POST", "/api/runs", {
      integration_id: polling,
      hire_id: hireId,
    });
    const runId = started.body.id ?? started.body.run?.id;
    const refused = await svc.api("DELETE", `/api/hires/${hireId}`);
    expect(refused.status).toBe(409);
    expect(refused.body.message).toContain(runId);
    expect(refused.body.message).toMatch(/cancel it first, then delete the hire\.$/);
    expect((await svc.api("POST", `/api/runs/${runId}/cancel`, {})).status).toBeLessThan(300);
    await svc.finished(runId);
    expect((await svc.api("DELETE", `/api/hires/${hireId}`)).status).toBe(204);
  });
});

describe("one hire per email", () => {
  it("answers 409 naming the existing hire, whatever the case, on create and on edit", async () => {
    const first = await newHire({ email: "Unique.Person@Example.com", first_name: "Una" });
    const again = await svc.api("POST", "/api/hires", { email: "unique.person@example.COM" });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe("CONFLICT");
    expect(again.body.message).toBe(
      `A hire with the email unique.person@example.COM already exists (${first}); edit that hire instead of adding another.`,
    );
    expect(again.body.path).toBe("email");

    const other = await newHire({ email: "someone.else@example.com" });
    const moved = await svc.api("PUT", `/api/hires/${other}`, {
      email: "UNIQUE.person@example.com",
    });
    expect(moved.status).toBe(409);
    expect(moved.body.message).toContain(first);
    // Keeping one's own email (in another case) is no clash.
    const same = await svc.api("PUT", `/api/hires/${first}`, {
      email: "unique.person@example.com",
      first_name: "Una",
    });
    expect(same.status, same.text).toBe(200);
  });
});

describe("deleting an integration that has runs", () => {
  it("deletes it, keeps its runs readable and frees its name", async () => {
    const id = await integration(PROFILE);
    const name = (await svc.api("GET", `/api/integrations/${id}`)).body.name;
    const done = await run(
      id,
      await newHire({ email: "int-delete@example.com", first_name: "I", last_name: "X" }),
    );
    expect(done.status).toBe("succeeded");
    const deleted = await svc.api("DELETE", `/api/integrations/${id}`);
    expect(deleted.status, deleted.text).toBe(204);
    expect((await svc.api("GET", `/api/integrations/${id}`)).status).toBe(404);
    const listed = (await svc.api("GET", "/api/integrations")).body.items;
    expect(listed.some((item: { id: string }) => item.id === id)).toBe(false);
    const kept = await svc.api("GET", `/api/runs/${done.id}`);
    expect(kept.status).toBe(200);
    expect(kept.body).toMatchObject({ status: "succeeded", integration_id: id });
    const reused = await svc.api("POST", "/api/integrations", { name, manifest: PROFILE });
    expect(reused.status, reused.text).toBe(201);
  });
});

describe("attempt retention", () => {
  it("erases the details of finished runs older than the limit, keeping the hire", async () => {
    const hireId = await newHire({
      email: "retained@example.com",
      first_name: "Rita",
      last_name: "Retainova",
    });
    const done = await run(await integration(PROFILE), hireId);
    const erased = await svc.service.store.eraseFinishedRuns(Date.now() + 1);
    expect(erased).toBeGreaterThanOrEqual(1);
    const kept = (await svc.api("GET", `/api/runs/${done.id}`)).body;
    expect(kept).toMatchObject({ hire_id: hireId, erased: { reason: "retention" } });
    expect(JSON.stringify(kept)).not.toContain("Retainova");
    expect((await svc.api("GET", `/api/hires/${hireId}`)).body.props.last_name).toBe("Retainova");
  });
});

describe("request validation messages", () => {
  it("says which field is missing in one sentence", async () => {
    const missing = await svc.api("POST", "/api/runs", { integration_id: "int_x" });
    expect(missing.status).toBe(422);
    expect(missing.body.message).toBe("hire_id is required");
    const wrong = await svc.api("POST", "/api/runs", { integration_id: 5, hire_id: "h" });
    expect(wrong.body.message).toBe("integration_id must be a string");
    const empty = await svc.api("POST", "/api/runs", { integration_id: "", hire_id: "h" });
    expect(empty.body.message).toBe("integration_id must not be empty");
  });
});
