// docs/manifest.md–9 end to end: manifests run by the library against a real local HTTP server.
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dryRun, resumeRun, runManifest, type RunOptions } from "../src/runner/index.ts";
import { sendJson, startTargetServer, type TargetServer } from "./support/target-server.ts";

let server: TargetServer;
let filesDir: string;
const TOKEN = "sk_live_Zx9Qa7Lm3Np5";

beforeAll(async () => {
  server = await startTargetServer();
  filesDir = await mkdtemp(join(tmpdir(), "hirewire-run-test-"));
});
afterAll(async () => {
  await server.close();
  await rm(filesDir, { recursive: true, force: true });
});

function options(extra: Partial<RunOptions> = {}): RunOptions {
  return {
    hire: { email: "Ada@Example.com", first_name: "Ada", last_name: 'O\'Brien "the" Great\nII' },
    secrets: { TOKEN },
    params: { BASE_URL: server.url },
    filesDir,
    engine: { retryBaseMs: 5, retryMaxDelayMs: 20 },
    ...extra,
  };
}

const requestsTo = (path: string) => server.requests.filter((r) => r.path === path);

describe("ChiefOnboarding-compatible behaviour", () => {
  it("defaults to POST with a JSON body, renders hire props and keeps quotes and newlines intact", async () => {
    const result = await runManifest(
      {
        execute: [
          {
            url: "{{ BASE_URL }}/echo",
            data: { name: "{{ last_name }}", email: "{{ email|lower }}" },
          },
        ],
      },
      options(),
    );
    expect(result.status).toBe("succeeded");
    const sent = result.steps[0]!.attempts[0]!;
    expect(sent.request.method).toBe("POST");
    expect(sent.request.headers["Content-Type"]).toBe("application/json");
    const echoed = JSON.parse(sent.response!.body!) as { json: unknown };
    expect(echoed.json).toEqual({ name: 'O\'Brien "the" Great\nII', email: "ada@example.com" });
  });

  it("lets a step's headers replace the manifest's, and encodes Basic user:pass", async () => {
    const manifest = {
      headers: { Authorization: "Bearer {{ TOKEN }}", "X-Team": "core" },
      execute: [
        { url: "{{ BASE_URL }}/echo?n=1", method: "GET" },
        {
          url: "{{ BASE_URL }}/echo?n=2",
          method: "GET",
          headers: { Authorization: "Basic {{ TOKEN }}:x" },
        },
      ],
    };
    const before = server.requests.length;
    const result = await runManifest(manifest, options());
    expect(result.status).toBe("succeeded");
    const [first, second] = server.requests.slice(before);
    expect(first!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(first!.headers["x-team"]).toBe("core");
    expect(second!.headers.authorization).toBe(
      `Basic ${Buffer.from(`${TOKEN}:x`).toString("base64")}`,
    );
    expect(second!.headers["x-team"]).toBeUndefined();
  });

  it("chains responses.N and store_data into later steps and returns the stored fields with their types", async () => {
    const manifest = {
      execute: [
        {
          url: "{{ BASE_URL }}/users",
          data: { email: "{{ email }}" },
          store_data: { USER_ID: "id", USER: "" },
        },
        {
          url: "{{ BASE_URL }}/users/{{ responses.0.id }}",
          method: "GET",
          store_data: { SAME_ID: "id" },
        },
        {
          url: "{{ BASE_URL }}/echo",
          data: { id: "{{ USER_ID }}" },
          continue_if: { response_notation: "json.id", value: "{{ SAME_ID }}" },
        },
      ],
    };
    const result = await runManifest(manifest, options());
    expect(result.status).toBe("succeeded");
    expect(result.stored.USER_ID).toMatch(/^user-\d+$/);
    expect(result.stored.SAME_ID).toBe(result.stored.USER_ID);
    expect(result.stored.USER).toEqual({ id: result.stored.USER_ID, email: "Ada@Example.com" });
  });

  it("counts `amount` polling attempts in total", async () => {
    const manifest = {
      execute: [
        {
          url: "{{ BASE_URL }}/poll/count-amount?ready_after=99",
          method: "GET",
          polling: { interval: 0.01, amount: 4 },
          continue_if: { response_notation: "status", value: "done" },
        },
      ],
    };
    const result = await runManifest(manifest, options());
    expect(result.status).toBe("failed");
    expect(result.error?.code).toBe("POLL_TIMEOUT");
    expect(result.error?.message).toBe(
      'polling timed out after 4 attempts; last value at status was "pending" (waiting for "done")',
    );
    expect(requestsTo("/poll/count-amount")).toHaveLength(4);
  });

  it("polls until the condition holds, then stores from the matching response", async () => {
    const manifest = {
      execute: [
        {
          url: "{{ BASE_URL }}/poll/until-done?ready_after=3",
          method: "GET",
          polling: { interval: 0.01, amount: 5 },
          continue_if: { response_notation: "status", value: "done" },
          store_data: { DOC: "id" },
        },
      ],
    };
    const result = await runManifest(manifest, options());
    expect(result.status).toBe("succeeded");
    expect(result.stored).toEqual({ DOC: "doc-1" });
    expect(result.steps[0]!.attempts).toHaveLength(3);
  });

  it("fails the step and stores nothing when a store_data path is missing", async () => {
    const manifest = {
      execute: [
        {
          url: "{{ BASE_URL }}/users",
          data: { email: "{{ email }}" },
          store_data: { ID: "id", TEAM: "team.id" },
        },
      ],
    };
    const result = await runManifest(manifest, options());
    expect(result.status).toBe("failed");
    expect(result.error).toMatchObject({ code: "STORE_DATA_NOT_FOUND", step: 0 });
    expect(result.error?.message).toMatch(
      /^could not store TEAM: team\.id not found in response \{"id":"user-\d+","email":"Ada@Example.com"\}$/,
    );
    expect(result.stored).toEqual({});
  });

  it("accepts status_code given as integers or numeric strings", async () => {
    const manifest = {
      execute: [{ url: "{{ BASE_URL }}/status/404", method: "GET", status_code: [200, "404"] }],
    };
    expect((await runManifest(manifest, options())).status).toBe("succeeded");
  });

  it("blocks on a false continue_if and says what it saw", async () => {
    const manifest = {
      execute: [
        {
          url: "{{ BASE_URL }}/echo",
          data: { ok: false },
          continue_if: { response_notation: "json.ok", value: true },
        },
      ],
    };
    const result = await runManifest(manifest, options());
    expect(result.status).toBe("blocked");
    expect(result.error?.message).toBe(
      'continue_if not met: json.ok was "false", expected "true"; the run stops here',
    );
  });
});

describe("deviations from ChiefOnboarding", () => {
  it("fails on a 4xx/5xx when status_code is absent", async () => {
    const result = await runManifest(
      { execute: [{ url: "{{ BASE_URL }}/status/401", method: "GET" }] },
      options(),
    );
    expect(result.status).toBe("failed");
    expect(result.error?.message).toBe(
      `GET ${server.url}/status/401 answered 401, expected a 2xx status; response: {"status":401}`,
    );
  });

  it("sends nothing when a variable is unknown, and names it", async () => {
    const before = server.requests.length;
    const result = await runManifest(
      {
        execute: [
          { url: "{{ BASE_URL }}/echo" },
          { url: "{{ BASE_URL }}/echo", headers: { Authorization: "Bearer {{ API_KEY }}" } },
        ],
      },
      options(),
    );
    expect(result.status).toBe("invalid");
    expect(result.problems).toEqual([
      expect.objectContaining({
        code: "TEMPLATE_UNDEFINED_VARIABLE",
        path: "execute[1].headers.Authorization",
        message: 'unknown variable "API_KEY"',
      }),
    ]);
    expect(server.requests.length).toBe(before);
  });

  it("does not HTML-escape and sends form-encoded, verbatim and cast_data_to_json=false bodies as written", async () => {
    const manifest = {
      execute: [
        {
          url: "{{ BASE_URL }}/echo?f=1",
          headers: { "Content-Type": "application/x-www-form-urlencoded" },
          data: { name: "{{ last_name }}", tags: ["a", "b"] },
        },
        {
          url: "{{ BASE_URL }}/echo?f=2",
          headers: { "Content-Type": "text/plain" },
          data: "hello {{ first_name }} O'Neil <b>",
        },
        {
          url: "{{ BASE_URL }}/echo?f=3",
          headers: { "Content-Type": "application/xml" },
          cast_data_to_json: false,
          data: { a: "{{ first_name }}" },
        },
      ],
    };
    const before = server.requests.length;
    expect((await runManifest(manifest, options())).status).toBe("succeeded");
    const [form, text, raw] = server.requests.slice(before);
    expect(new URLSearchParams(form!.body).get("name")).toBe('O\'Brien "the" Great\nII');
    expect(new URLSearchParams(form!.body).get("tags")).toBe('["a","b"]');
    expect(text!.body).toBe("hello Ada O'Neil <b>");
    expect(text!.headers["content-type"]).toBe("text/plain");
    expect(raw!.body).toBe('{"a":"Ada"}');
    expect(raw!.headers["content-type"]).toBe("application/xml");
  });
});

describe("faults", () => {
  it("retries a GET after 503 and succeeds", async () => {
    const result = await runManifest(
      { execute: [{ url: "{{ BASE_URL }}/flaky/get-503?fail=2", method: "GET" }] },
      options(),
    );
    expect(result.status).toBe("succeeded");
    expect(requestsTo("/flaky/get-503")).toHaveLength(3);
  });

  it("does not retry a POST by default, but does with `retry`, honouring Retry-After", async () => {
    const plain = await runManifest(
      { execute: [{ url: "{{ BASE_URL }}/flaky/post-503?fail=1" }] },
      options(),
    );
    expect(plain.status).toBe("failed");
    expect(requestsTo("/flaky/post-503")).toHaveLength(1);
    const retried = await runManifest(
      { execute: [{ url: "{{ BASE_URL }}/retry-after/post-429?seconds=0", retry: { max: 2 } }] },
      options(),
    );
    expect(retried.status).toBe("succeeded");
    expect(requestsTo("/retry-after/post-429")).toHaveLength(2);
  });

  it("explains connection refused, timeouts, resets, invalid JSON, big bodies and redirect loops", async () => {
    const run = (step: Record<string, unknown>, extra: Partial<RunOptions> = {}) =>
      runManifest({ execute: [{ method: "GET", retry: { max: 0 }, ...step }] }, options(extra));
    const refused = await run({ url: "http://127.0.0.1:1/x" });
    expect(refused.error).toMatchObject({ code: "HTTP_CONNECTION", step: 0 });
    expect(refused.error?.message).toContain("connection refused");
    const slow = await run({ url: "{{ BASE_URL }}/slow?ms=2000", timeout: 0.1 });
    expect(slow.error?.code).toBe("HTTP_TIMEOUT");
    const reset = await run({ url: "{{ BASE_URL }}/reset-mid-body" });
    expect(reset.error?.code).toBe("HTTP_CONNECTION");
    const invalid = await run({ url: "{{ BASE_URL }}/invalid-json", store_data: { A: "a" } });
    expect(invalid.error?.message).toBe('could not store A: a not found in response {"a":');
    const big = await run({ url: "{{ BASE_URL }}/bytes?size=200000" }, { maxBodyBytes: 100_000 });
    expect(big.error?.code).toBe("HTTP_BODY_TOO_LARGE");
    const loop = await run({ url: "{{ BASE_URL }}/redirect-loop" });
    expect(loop.error?.code).toBe("HTTP_TOO_MANY_REDIRECTS");
  });
});

describe("files", () => {
  it("saves a download as a run file and uploads it as multipart", async () => {
    const manifest = {
      execute: [
        { url: "{{ BASE_URL }}/bytes?size=70000", method: "GET", save_as_file: "contract.pdf" },
        {
          url: "{{ BASE_URL }}/upload",
          files: { document: "contract.pdf" },
          data: { title: "Contract for {{ first_name }}" },
          store_data: { UPLOADED: "files.0.sha256" },
        },
      ],
    };
    const result = await runManifest(manifest, options());
    expect(result.status).toBe("succeeded");
    const upload = JSON.parse(result.steps[1]!.attempts[0]!.response!.body!) as {
      fields: Record<string, string>;
      files: Array<{ field: string; filename: string; contentType: string; size: number }>;
    };
    expect(upload.fields).toEqual({ title: "Contract for Ada" });
    expect(upload.files[0]).toMatchObject({
      field: "document",
      filename: "contract.pdf",
      contentType: "application/pdf",
      size: 70_000,
    });
    const expected = createHash("sha256");
    for (let i = 0; i < 70_000; i++) expected.update(Buffer.of((i % (64 * 1024)) % 251));
    expect(result.stored.UPLOADED).toBe(expected.digest("hex"));
  });

  it("refuses before sending a templated file name that no earlier step saves", async () => {
    const result = await runManifest(
      { execute: [{ url: "{{ BASE_URL }}/upload", files: { document: "{{ first_name }}.pdf" } }] },
      options(),
    );
    expect(result.status).toBe("invalid");
    expect(result.problems).toEqual([
      expect.objectContaining({
        code: "FILE_NOT_SAVED",
        path: "execute[0].files.document",
        message: '"Ada.pdf" was not saved by any earlier step; saved: []',
      }),
    ]);
  });

  it("fails the step when a file name known only at run time was never saved", async () => {
    const manifest = {
      execute: [
        { url: "{{ BASE_URL }}/bytes?size=10", method: "GET", save_as_file: "a.pdf" },
        { url: "{{ BASE_URL }}/echo", data: { name: "b.pdf" } },
        { url: "{{ BASE_URL }}/upload", files: { document: "{{ responses.1.json.name }}" } },
      ],
    };
    const result = await runManifest(manifest, options());
    expect(result.status).toBe("failed");
    expect(result.error).toMatchObject({
      code: "FILE_NOT_SAVED",
      step: 2,
      message: '"b.pdf" was not saved by any earlier step; saved: ["a.pdf"]',
    });
  });
});

describe("secrets", () => {
  it("masks every secret form in attempts, errors and stored output", async () => {
    server.route("GET", "/leak", (req, res) =>
      sendJson(res, 500, { echoed: req.headers.authorization, raw: TOKEN, query: req.query.t }),
    );
    const manifest = {
      headers: { Authorization: "Basic admin:{{ TOKEN }}" },
      execute: [
        { url: "{{ BASE_URL }}/leak?t={{ TOKEN|urlencode }}", method: "GET", retry: { max: 0 } },
      ],
    };
    const result = await runManifest(manifest, options());
    expect(result.status).toBe("failed");
    const text = JSON.stringify(result);
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(Buffer.from(`admin:${TOKEN}`).toString("base64"));
    expect(text).toContain("***TOKEN***");
  });

  it("generates 16-character values per run and sends the same ones when resumed", async () => {
    let fail = true;
    server.route("POST", "/gen-second", (_req, res) =>
      fail ? sendJson(res, 400, { error: "try later" }) : sendJson(res, 200, { ok: true }),
    );
    const manifest = {
      initial_data_form: [{ id: "PASSWORD", name: "generate" }],
      execute: [
        { url: "{{ BASE_URL }}/echo?gen=1", data: { password: "{{ PASSWORD }}" } },
        { url: "{{ BASE_URL }}/gen-second", data: { password: "{{ PASSWORD }}" } },
      ],
    };
    const before = server.requests.length;
    const first = await runManifest(manifest, options());
    expect(first.status).toBe("failed");
    const password = (JSON.parse(server.requests[before]!.body) as { password: string }).password;
    expect(password).toMatch(/^[A-Za-z0-9]{16}$/);
    expect(JSON.stringify(first.steps)).not.toContain(password);
    expect(JSON.stringify(first.steps)).toContain("***PASSWORD***");
    fail = false;
    const resumed = await resumeRun(manifest, JSON.parse(JSON.stringify(first.state)), options());
    expect(resumed.status).toBe("succeeded");
    const sent = server.requests.slice(before);
    expect(sent.map((r) => r.path)).toEqual(["/echo", "/gen-second", "/gen-second"]);
    expect((JSON.parse(sent[2]!.body) as { password: string }).password).toBe(password);
  });
});

describe("resume", () => {
  it("keeps what a newer version wrote into the state, through every transition", async () => {
    let ready = false;
    server.route("GET", "/later", (_req, res) =>
      ready ? sendJson(res, 200, { ok: true }) : sendJson(res, 422, { error: "not yet" }),
    );
    const manifest = {
      execute: [
        { url: "{{ BASE_URL }}/echo?first=1", method: "GET" },
        { url: "{{ BASE_URL }}/later", method: "GET" },
        { url: "{{ BASE_URL }}/echo?third=1", method: "GET" },
      ],
    };
    const failed = await runManifest(manifest, options());
    expect(failed.status).toBe("failed");
    ready = true;
    const written = { ...JSON.parse(JSON.stringify(failed.state)), laterVersionNote: { kept: 1 } };
    const resumed = await resumeRun(manifest, written, options());
    expect(resumed.status).toBe("succeeded");
    expect((resumed.state as unknown as Record<string, unknown>).laterVersionNote).toEqual({
      kept: 1,
    });
    // Also when a masked stored field is given again (the state is copied before it runs).
    const masked = { ...written, stored: { API_KEY: "***stored.API_KEY***" } };
    const again = await resumeRun(manifest, masked, options({ stored: { API_KEY: "k-123456" } }));
    expect(again.status).toBe("succeeded");
    expect((again.state as unknown as Record<string, unknown>).laterVersionNote).toEqual({
      kept: 1,
    });
  });

  it("continues from the failed step without resending earlier ones, reusing saved files", async () => {
    let healthy = false;
    server.route("POST", "/sometimes", (_req, res) =>
      healthy ? sendJson(res, 201, { ok: true }) : sendJson(res, 422, { error: "not yet" }),
    );
    const manifest = {
      execute: [
        { url: "{{ BASE_URL }}/bytes?size=1000", method: "GET", save_as_file: "doc.pdf" },
        { url: "{{ BASE_URL }}/users", data: { email: "{{ email }}" }, store_data: { UID: "id" } },
        { url: "{{ BASE_URL }}/sometimes", data: { user: "{{ UID }}" } },
        { url: "{{ BASE_URL }}/upload", files: { file: "doc.pdf" } },
      ],
    };
    const before = server.requests.length;
    const failed = await runManifest(manifest, options());
    expect(failed).toMatchObject({ status: "failed", error: { step: 2, code: "HTTP_STATUS" } });
    healthy = true;
    const resumed = await resumeRun(manifest, failed.state, options({ stored: failed.stored }));
    expect(resumed.status).toBe("succeeded");
    expect(server.requests.slice(before).map((r) => `${r.method} ${r.path}`)).toEqual([
      "GET /bytes",
      "POST /users",
      "POST /sometimes",
      "POST /sometimes",
      "POST /upload",
    ]);
  });

  it("refuses a state whose step points past the manifest instead of reporting success", async () => {
    const manifest = { execute: [{ url: "{{ BASE_URL }}/status/422" }] };
    const failed = await runManifest(manifest, options());
    expect(failed.status).toBe("failed");
    const before = server.requests.length;
    const resumed = await resumeRun(manifest, { ...failed.state, step: 5 }, options());
    expect(resumed.status).toBe("invalid");
    expect(resumed.problems).toEqual([
      {
        code: "STATE_INVALID",
        message:
          "state.step must be the index of a step of the execute block (0 to 0) for a failed run (got 5)",
        path: "state.step",
      },
    ]);
    expect(server.requests.length).toBe(before);
  });
});

describe("dry run", () => {
  it("renders every step with placeholders for run-time values, masked, and reports unknown variables", () => {
    const manifest = {
      headers: { Authorization: "Bearer {{ TOKEN }}" },
      execute: [
        { url: "{{ BASE_URL }}/users", data: { email: "{{ email }}" }, store_data: { UID: "id" } },
        {
          url: "{{ BASE_URL }}/users/{{ responses.0.id }}/groups/{{ UID }}",
          data: { team: "{{ TEAM_ID }}" },
        },
      ],
    };
    const result = dryRun(manifest, options());
    expect(result.status).toBe("invalid");
    expect(result.steps[1]!.request.url).toBe(`${server.url}/users/<responses.0.id>/groups/<UID>`);
    expect(result.steps[0]!.request.headers).toContainEqual([
      "Authorization",
      "Bearer ***TOKEN***",
    ]);
    expect(result.problems).toEqual([
      expect.objectContaining({
        path: "execute[1].data.team",
        message: 'unknown variable "TEAM_ID"',
      }),
    ]);
  });
});

describe("the same manifest JSON, hire after hire", () => {
  it("runs each call's manifest as it is now: a changed object is validated and run anew", async () => {
    const manifest = {
      execute: [{ url: "{{ BASE_URL }}/echo?v=1", method: "GET", status_code: [200] }],
    };
    const first = await runManifest(manifest, options());
    expect(first.status).toBe("succeeded");
    // The caller edits the very object it passed before: the next run sends the edit.
    manifest.execute[0]!.url = "{{ BASE_URL }}/echo?v=2";
    const second = await runManifest(manifest, options());
    expect(second.steps[0]!.attempts[0]!.request.url).toBe(`${server.url}/echo?v=2`);
    // An edit that breaks it is refused, every time it is given.
    manifest.execute[0]!.method = "FETCH";
    for (let i = 0; i < 2; i += 1) {
      const refused = await runManifest(manifest, options());
      expect(refused.status).toBe("invalid");
      expect(refused.error?.path).toBe("execute[0].method");
    }
    // Back as it was: it runs again, and what the caller passed was never frozen.
    manifest.execute[0]!.method = "GET";
    const third = await runManifest(manifest, options());
    expect(third.status).toBe("succeeded");
    expect(Object.isFrozen(manifest.execute[0])).toBe(false);
    // Equal but for the order of keys: headers go out in the order they are written now.
    const headed: { headers?: Record<string, string> } & typeof manifest = manifest;
    headed.headers = { "X-First": "1", "X-Second": "2" };
    const ordered = await runManifest(headed, options());
    headed.headers = { "X-Second": "2", "X-First": "1" };
    const reordered = await runManifest(headed, options());
    expect(Object.keys(ordered.steps[0]!.attempts[0]!.request.headers)).toEqual([
      "X-First",
      "X-Second",
    ]);
    expect(Object.keys(reordered.steps[0]!.attempts[0]!.request.headers)).toEqual([
      "X-Second",
      "X-First",
    ]);
  });
});
