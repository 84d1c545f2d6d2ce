import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createRunState } from "../../engine/machine.ts";
import type { RunStatus } from "../../engine/index.ts";
import type { JsonValue } from "../../manifest/index.ts";
import { startTestApi, tokenManifest, type TestApi } from "../../../test/support/test-api.ts";

let api: TestApi;
beforeEach(async () => {
  api = await startTestApi();
});
afterEach(async () => {
  await api.close();
});

const TOKEN = "tok-abcdef123456";

async function ready(manifest: { [key: string]: JsonValue } = tokenManifest(), name = "Accounts") {
  const integration = (await api.call("POST", "/api/integrations", { name, manifest })).body;
  await api.call("PUT", `/api/integrations/${integration.id}/secrets`, {
    API_TOKEN: TOKEN,
    ORG_ID: "org-1",
  });
  const hire = (
    await api.call("POST", "/api/hires", { email: `${name.toLowerCase()}@example.com` })
  ).body.hire;
  return { integrationId: integration.id as string, hireId: hire.id as string };
}

function trigger(
  ids: { integrationId: string; hireId: string },
  extra: Record<string, unknown> = {},
  headers = {},
) {
  return api.call(
    "POST",
    "/api/runs",
    { integration_id: ids.integrationId, hire_id: ids.hireId, ...extra },
    headers,
  );
}

/** Plays the runner: leases the run and writes a final checkpoint with one attempt. */
async function finish(
  runId: string,
  status: RunStatus,
  record: { [key: string]: JsonValue } = {},
  generated: Record<string, string> = {},
) {
  await api.store.claimRuns({ owner: "test-runner", now: Date.now(), leaseMs: 60_000, limit: 50 });
  const state = { ...createRunState(runId, generated), status, stored: { USER_ID: "u_1" } };
  await api.store.checkpoint({
    runId,
    owner: "test-runner",
    state,
    status,
    wakeAt: null,
    error: status === "failed" ? { code: "HTTP_STATUS", message: "step 0 got 500", step: 0 } : null,
    attempt: { step: 0, attempt: 1, startedAt: Date.now(), durationMs: 12, record },
    releaseLease: true,
  });
}

describe("triggering runs", () => {
  it("queues a run (202), wakes the scheduler, and keeps nothing secret in the answer", async () => {
    const ids = await ready();
    const reply = await trigger(ids, { params: { TEAM: "t1" } });
    expect(reply.status).toBe(202);
    expect(reply.body).toMatchObject({
      integration_id: ids.integrationId,
      hire_id: ids.hireId,
      block: "execute",
      status: "queued",
      params: { TEAM: "t1" },
      step: 0,
      error: null,
    });
    const run = await api.store.getRun(reply.body.id);
    expect(run?.status).toBe("queued");
    expect(api.notified()).toBe(1);
    expect(reply.text).not.toContain(TOKEN);
  });

  it("returns the same run for a repeated Idempotency-Key", async () => {
    const ids = await ready();
    const first = await trigger(ids, {}, { "Idempotency-Key": "hire-42-accounts" });
    const again = await trigger(ids, {}, { "Idempotency-Key": "hire-42-accounts" });
    expect(first.status).toBe(202);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    expect(again.body.idempotency_key).toBe("hire-42-accounts");
    expect((await api.store.listRuns()).items).toHaveLength(1);
    expect(api.notified()).toBe(1);

    const otherParams = await trigger(
      ids,
      { params: { TEAM: "x" } },
      { "Idempotency-Key": "hire-42-accounts" },
    );
    expect(otherParams.status).toBe(409);
    const otherHire = (await api.call("POST", "/api/hires", { email: "other@example.com" })).body
      .hire.id;
    const clash = await trigger(
      { ...ids, hireId: otherHire },
      {},
      { "Idempotency-Key": "hire-42-accounts" },
    );
    expect(clash.status).toBe(409);
    expect(clash.body.message).toMatch(/already used/);
  });

  it("names a used Idempotency-Key before checking the other hire's inputs", async () => {
    const ids = await ready(
      { execute: [{ url: "https://api.example.com/users/{{ first_name }}", method: "POST" }] },
      "Names",
    );
    await api.call("PUT", `/api/hires/${ids.hireId}`, {
      email: "names@example.com",
      first_name: "Ada",
    });
    const first = await trigger(ids, {}, { "Idempotency-Key": "names-1" });
    expect(first.status).toBe(202);
    // This hire has no first_name: its run could not start, but the key is the real problem.
    const other = (await api.call("POST", "/api/hires", { email: "nameless@example.com" })).body
      .hire.id;
    const clash = await trigger({ ...ids, hireId: other }, {}, { "Idempotency-Key": "names-1" });
    expect(clash.status).toBe(409);
    expect(clash.body.message).toMatch(/already used for run/);
    expect((await api.store.listRuns()).items).toHaveLength(1);
  });

  it("refuses a run with a missing secret or an unknown variable, creating nothing", async () => {
    const integration = (
      await api.call("POST", "/api/integrations", { name: "A", manifest: tokenManifest() })
    ).body;
    const hire = (await api.call("POST", "/api/hires", { email: "a@example.com" })).body.hire;
    const missing = await trigger({ integrationId: integration.id, hireId: hire.id });
    expect(missing.status).toBe(422);
    expect(missing.body.code).toBe("INPUT_MISSING");
    expect(missing.body.path).toBe("initial_data_form[0]");
    expect(missing.body.message).toMatch(/cannot start.*API_TOKEN.*nothing was sent/);
    expect(missing.body.problems.map((p: { code: string }) => p.code)).toEqual(
      expect.arrayContaining(["INPUT_MISSING", "TEMPLATE_UNDEFINED_VARIABLE"]),
    );

    const ids = await ready(
      { execute: [{ url: "https://api.example.com/teams/{{ TEAM_ID }}" }] },
      "Teams",
    );
    const unknown = await trigger(ids);
    expect(unknown.status).toBe(422);
    expect(unknown.body).toMatchObject({
      code: "TEMPLATE_UNDEFINED_VARIABLE",
      path: "execute[0].url",
    });
    expect(unknown.body.message).toMatch(/TEAM_ID/);
    expect((await api.store.listRuns()).items).toEqual([]);
    expect(api.notified()).toBe(0);

    expect((await trigger(ids, { params: { TEAM_ID: "t_9" } })).status).toBe(202);
  });

  it("answers 404 naming the missing integration or hire", async () => {
    const ids = await ready();
    const noIntegration = await trigger({ ...ids, integrationId: "int_missing" });
    expect(noIntegration.status).toBe(404);
    expect(noIntegration.body.path).toBe("integration_id");
    const noHire = await trigger({ ...ids, hireId: "hire_missing" });
    expect(noHire.body.path).toBe("hire_id");
  });
});

describe("reading runs", () => {
  it("lists with filters and pages", async () => {
    const a = await ready(tokenManifest(), "A");
    const b = await ready(tokenManifest(), "B");
    const runA = (await trigger(a)).body.id;
    const runB = (await trigger(b)).body.id;
    await finish(runA, "failed");

    const ids = async (query: string) =>
      (await api.call("GET", `/api/runs${query}`)).body.items.map((run: { id: string }) => run.id);
    expect(await ids("")).toEqual([runB, runA]);
    expect(await ids("?status=failed")).toEqual([runA]);
    expect(await ids("?status=queued,failed")).toEqual([runB, runA]);
    expect(await ids(`?integration_id=${b.integrationId}`)).toEqual([runB]);
    expect(await ids(`?hire_id=${a.hireId}`)).toEqual([runA]);
    const page = await api.call("GET", "/api/runs?limit=1");
    expect(page.body.items).toHaveLength(1);
    const next = await api.call("GET", `/api/runs?limit=1&cursor=${page.body.next_cursor}`);
    expect(next.body.items[0].id).toBe(runA);
    expect(next.body.next_cursor).toBeNull();

    const bad = await api.call("GET", "/api/runs?status=done&limit=0");
    expect(bad.status).toBe(422);
    expect(bad.body.problems.map((p: { path: string }) => p.path).sort()).toEqual([
      "query.limit",
      "query.status",
    ]);
  });

  it("gets a run with masked attempts and its stored fields, never its generated values", async () => {
    const ids = await ready();
    const runId = (await trigger(ids)).body.id;
    const generated = "GenPassw0rdXyz12";
    // A record the runner failed to mask: the API masks it again.
    await finish(
      runId,
      "failed",
      {
        request: {
          method: "POST",
          url: "https://api.example.com/users",
          headers: { Authorization: `Bearer ${TOKEN}` },
          body: `{"password":"${generated}"}`,
        },
        response: { status: 500, headers: {}, body: "oops" },
        redirects: [],
        error: { code: "HTTP_STATUS", message: "got 500" },
      },
      { PASSWORD: generated },
    );
    const reply = await api.call("GET", `/api/runs/${runId}`);
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({
      status: "failed",
      error: { code: "HTTP_STATUS" },
      stored: { USER_ID: "u_1" },
      files: [],
    });
    expect(reply.body.attempts).toEqual([
      expect.objectContaining({
        seq: 1,
        step: 0,
        attempt: 1,
        duration_ms: 12,
        started_at: expect.any(String),
      }),
    ]);
    expect(reply.body.attempts[0].request.headers.Authorization).toBe("Bearer ***API_TOKEN***");
    expect(reply.body.attempts[0].request.body).toBe('{"password":"***PASSWORD***"}');
    expect(reply.text).not.toContain(TOKEN);
    expect(reply.text).not.toContain(generated);
    expect(reply.body).not.toHaveProperty("state");
    expect((await api.call("GET", "/api/runs/run_nope")).status).toBe(404);
  });
});

describe("cancel and resume", () => {
  it("cancels unfinished runs and resumes failed or blocked ones, 409 otherwise", async () => {
    const ids = await ready();
    const queued = (await trigger(ids)).body.id;
    const cancel = await api.call("POST", `/api/runs/${queued}/cancel`);
    expect(cancel.status).toBe(202);
    expect(cancel.body.pending_request).toBe("cancel");
    const notResumable = await api.call("POST", `/api/runs/${queued}/resume`);
    expect(notResumable.status).toBe(409);
    expect(notResumable.body.message).toBe(
      `run ${queued} is queued; only failed or blocked runs can be resumed`,
    );

    const failed = (await trigger(ids)).body.id;
    await finish(failed, "failed");
    const cancelFinished = await api.call("POST", `/api/runs/${failed}/cancel`);
    expect(cancelFinished.status).toBe(409);
    expect(cancelFinished.body.message).toMatch(/already failed/);
    const before = api.notified();
    const resume = await api.call("POST", `/api/runs/${failed}/resume`);
    expect(resume.status).toBe(202);
    expect(resume.body).toMatchObject({ status: "queued", pending_request: "resume" });
    expect(api.notified()).toBe(before + 1);
    expect((await api.call("POST", "/api/runs/run_nope/cancel")).status).toBe(404);
  });
});

describe("run files", () => {
  it("lists and downloads retained files; expired or deleted ones are 404", async () => {
    const ids = await ready();
    const runId = (await trigger(ids)).body.id;
    const pdf = Buffer.from("%PDF-1.4 contract");
    const save = (name: string, bytes: Buffer) =>
      api.files.save(runId, name, Readable.from([bytes]), {
        contentType: "application/pdf",
        maxBytes: 1_000_000,
      });
    await api.store.addFile({ runId, file: await save("contrat résumé.pdf", pdf) });
    await api.store.addFile({
      runId,
      file: await save("old.pdf", pdf),
      expiresAt: Date.now() - 1_000,
    });
    await api.store.addFile({
      runId,
      file: { name: "lost.pdf", ref: `${runId}/lost.pdf`, size: 3, contentType: "application/pdf" },
    });

    const list = await api.call("GET", `/api/runs/${runId}/files`);
    expect(list.body.items.map((f: { name: string }) => f.name).sort()).toEqual([
      "contrat résumé.pdf",
      "lost.pdf",
    ]);
    const file = list.body.items.find((f: { name: string }) => f.name === "contrat résumé.pdf");
    expect(file).toMatchObject({
      size: pdf.length,
      content_type: "application/pdf",
      expires_at: null,
    });

    const download = await api.app.request(file.download_url, {
      headers: { authorization: `Bearer ${api.token}` },
    });
    expect(download.status).toBe(200);
    expect(download.headers.get("content-type")).toBe("application/pdf");
    expect(download.headers.get("content-disposition")).toBe(
      `attachment; filename="contrat r_sum_.pdf"; filename*=UTF-8''contrat%20r%C3%A9sum%C3%A9.pdf`,
    );
    expect(Buffer.from(await download.arrayBuffer())).toEqual(pdf);

    const expired = await api.call("GET", `/api/runs/${runId}/files/old.pdf`);
    expect(expired.status).toBe(404);
    expect(expired.body.message).toMatch(/expired/);
    expect((await api.call("GET", `/api/runs/${runId}/files/lost.pdf`)).status).toBe(404);
    const unauthenticated = await api.app.request(file.download_url);
    expect(unauthenticated.status).toBe(401);
  });
});
