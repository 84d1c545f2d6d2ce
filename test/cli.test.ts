// The `hirewire` command as users run it: a real child process, real files, a real local server.
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendJson, startTargetServer, type TargetServer } from "./support/target-server.ts";

const BIN = fileURLToPath(new URL("../bin/hirewire.js", import.meta.url));
const TOKEN = "cli_secret_token_5f4e3d2c";
let server: TargetServer;
let dir: string;

beforeAll(async () => {
  server = await startTargetServer();
  dir = await mkdtemp(join(tmpdir(), "hirewire-cli-"));
  await writeFile(
    join(dir, "hire.json"),
    JSON.stringify({ email: "ada@example.com", first_name: "Ada", stored: { TEAM: "t1" } }),
  );
  await writeFile(join(dir, "secrets.env"), `TOKEN=${TOKEN}\nBASE_URL=${server.url}\n`);
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function hirewire(
  args: string[],
  options: { killWhen?: (stdout: string) => boolean } = {},
): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: "1" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      if (options.killWhen?.(stdout) === true) child.kill("SIGKILL");
    });
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

async function manifestFile(name: string, manifest: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, JSON.stringify(manifest, null, 2));
  return path;
}

const form = [
  { id: "TOKEN", name: "Token" },
  { id: "BASE_URL", name: "Base URL", secret: false },
];

describe("hirewire validate", () => {
  it("exits 0 for valid manifests and 3 with every problem and its path otherwise", async () => {
    const good = await manifestFile("good.json", { execute: [{ url: "https://example.com/x" }] });
    const bad = await manifestFile("bad.json", {
      execute: [
        {
          url: "example.com/x",
          polling: { interval: 1, amount: 500 },
          continue_if: { response_notation: "a", value: "b" },
          store: {},
        },
      ],
    });
    expect((await hirewire(["validate", good])).code).toBe(0);
    const result = await hirewire(["validate", good, bad]);
    expect(result.code).toBe(3);
    expect(result.stdout).toContain(
      "execute[0].polling.amount: must be an integer from 1 to 100 (got 500)",
    );
    expect(result.stdout).toContain('execute[0].store: unknown key; did you mean "store_data"?');
    expect(result.stdout).toContain(
      'execute[0].url: must be an absolute http(s) URL or start with a template (got "example.com/x")',
    );
  });
  it("warns about a variable nothing declares, suggesting the declared name, and exits 0", async () => {
    const typo = await manifestFile("typo.json", {
      execute: [{ url: "https://example.com/users", data: { email: "{{ emial }}" } }],
    });
    const result = await hirewire(["validate", typo]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `warning: ${typo}: execute[0].data.email: uses {{ emial }}, which nothing declares`,
    );
    expect(result.stdout).toContain('did you mean "email"?');
    expect(result.stdout).toContain(`${typo}: valid`);
    const json = JSON.parse((await hirewire(["validate", "--json", typo])).stdout);
    expect(json.valid).toBe(true);
    expect(json.files[0].problems).toEqual([
      expect.objectContaining({
        path: "execute[0].data.email",
        severity: "warning",
        code: "TEMPLATE_UNDEFINED_VARIABLE",
      }),
    ]);
  });
});

describe("hirewire run", () => {
  it("prints one line per attempt and the stored fields, never the secret, and exits 0", async () => {
    const manifest = await manifestFile("ok.json", {
      initial_data_form: form,
      headers: { Authorization: "Bearer {{ TOKEN }}" },
      execute: [
        {
          name: "Create",
          url: "{{ BASE_URL }}/users",
          data: { email: "{{ email }}", team: "{{ TEAM }}" },
          store_data: { USER_ID: "id" },
        },
      ],
    });
    const result = await hirewire([
      "run",
      manifest,
      "--hire",
      "hire.json",
      "--secrets",
      "secrets.env",
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /→ step 1\/1 "Create" POST http:\/\/127\.0\.0\.1:\d+\/users 201 \d+(\.\d+)? ms/,
    );
    expect(result.stdout).toMatch(/USER_ID = "user-\d+"/);
    expect(result.stdout + result.stderr).not.toContain(TOKEN);
  });

  it("--json prints one object with status, error, stored and masked attempts", async () => {
    const manifest = await manifestFile("json.json", {
      initial_data_form: form,
      execute: [{ url: "{{ BASE_URL }}/echo?t={{ TOKEN }}", method: "GET" }],
    });
    const result = await hirewire([
      "run",
      manifest,
      "--hire",
      "hire.json",
      "--secrets",
      "secrets.env",
      "--json",
    ]);
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.status).toBe("succeeded");
    expect(json.attempts[0].request.url).toBe(`${server.url}/echo?t=***TOKEN***`);
    expect(result.stdout).not.toContain(TOKEN);
  });

  it("--json speaks the API's convention: snake_case, ISO times, the API's attempt shape", async () => {
    const manifest = await manifestFile("json-shape.json", {
      initial_data_form: form,
      execute: [{ name: "Echo", url: "{{ BASE_URL }}/echo", method: "GET" }],
    });
    const result = await hirewire([
      "run",
      manifest,
      "--hire",
      "hire.json",
      "--secrets",
      "secrets.env",
      "--json",
    ]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json).toMatchObject({ status: "succeeded", stored: {} });
    expect(json.run_id).toEqual(expect.any(String));
    expect(json).not.toHaveProperty("runId");
    expect(json).not.toHaveProperty("steps");
    expect(json.attempts).toHaveLength(1);
    const attempt = json.attempts[0];
    expect(Object.keys(attempt).sort()).toEqual(
      [
        "id",
        "seq",
        "step",
        "attempt",
        "name",
        "started_at",
        "duration_ms",
        "request",
        "response",
        "redirects",
        "error",
        "resent_after_interruption",
      ].sort(),
    );
    expect(attempt).toMatchObject({ id: null, seq: 1, step: 0, attempt: 1, name: "Echo" });
    expect(attempt.started_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(attempt.duration_ms).toEqual(expect.any(Number));
    expect(attempt.response.status).toBe(200);
    expect(attempt.response.headers).toEqual(expect.any(Object));
    expect(Array.isArray(attempt.request.headers)).toBe(false);
  });

  it("--dry-run --json gives headers as an object, as an attempt's request does", async () => {
    const manifest = await manifestFile("dry-json.json", {
      initial_data_form: form,
      headers: { Authorization: "Bearer {{ TOKEN }}", "X-Trace": "t-1" },
      execute: [{ url: "{{ BASE_URL }}/users", data: { a: 1 } }],
    });
    const result = await hirewire([
      "run",
      manifest,
      "--hire",
      "hire.json",
      "--secrets",
      "secrets.env",
      "--dry-run",
      "--json",
    ]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.status).toBe("dry-run");
    const request = json.steps[0].request;
    expect(request.headers).toMatchObject({
      Authorization: "Bearer ***TOKEN***",
      "X-Trace": "t-1",
    });
    expect(request).toMatchObject({ method: "POST", url: `${server.url}/users`, body: '{"a":1}' });
    expect(request.timeout_ms).toEqual(expect.any(Number));
    expect(request).not.toHaveProperty("timeoutMs");
    expect(result.stdout).not.toContain(TOKEN);
  });

  it("exits 1 with one sentence naming the step, what was sent and what came back", async () => {
    const manifest = await manifestFile("fail.json", {
      initial_data_form: form,
      execute: [
        { url: "{{ BASE_URL }}/echo" },
        { name: "Add to team", url: "{{ BASE_URL }}/status/422" },
      ],
    });
    const result = await hirewire([
      "run",
      manifest,
      "--hire",
      "hire.json",
      "--secrets",
      "secrets.env",
    ]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      `✗ failed at step 2 (execute[1]): POST ${server.url}/status/422 answered 422, expected a 2xx status; response: {"status":422}`,
    );
  });

  it("exits 2 when blocked and 3 (sending nothing) on an unknown variable", async () => {
    const blocked = await manifestFile("blocked.json", {
      initial_data_form: form,
      execute: [
        { url: "{{ BASE_URL }}/echo", continue_if: { response_notation: "method", value: "GET" } },
      ],
    });
    expect(
      (await hirewire(["run", blocked, "--hire", "hire.json", "--secrets", "secrets.env"])).code,
    ).toBe(2);
    const unknown = await manifestFile("unknown.json", {
      initial_data_form: form,
      execute: [{ url: "{{ BASE_URL }}/echo?never=1", data: { team: "{{ TEAM_ID }}" } }],
    });
    const before = server.requests.length;
    const result = await hirewire([
      "run",
      unknown,
      "--hire",
      "hire.json",
      "--secrets",
      "secrets.env",
    ]);
    expect(result.code).toBe(3);
    expect(result.stdout).toContain('execute[0].data.team: unknown variable "TEAM_ID"');
    expect(server.requests.length).toBe(before);
  });

  it("--dry-run renders every step with placeholders and sends nothing", async () => {
    const manifest = await manifestFile("dry.json", {
      initial_data_form: form,
      headers: { Authorization: "Bearer {{ TOKEN }}" },
      execute: [
        { url: "{{ BASE_URL }}/users", store_data: { ID: "id" } },
        { url: "{{ BASE_URL }}/users/{{ ID }}", method: "GET" },
      ],
    });
    const before = server.requests.length;
    const result = await hirewire([
      "run",
      manifest,
      "--hire",
      "hire.json",
      "--secrets",
      "secrets.env",
      "--dry-run",
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`step 2: GET ${server.url}/users/<ID>`);
    expect(result.stdout).toContain("Authorization: Bearer ***TOKEN***");
    expect(server.requests.length).toBe(before);
  });
});

describe("hirewire resume", () => {
  it("continues a run killed while polling from its checkpoint, without resending the POST", async () => {
    let polls = 0;
    server.route("GET", "/cli-job", (_req, res) =>
      sendJson(res, 200, { status: ++polls >= 6 ? "done" : "pending" }),
    );
    const manifest = await manifestFile("poll.json", {
      initial_data_form: form,
      execute: [
        {
          url: "{{ BASE_URL }}/users",
          data: { email: "cli-resume@example.com" },
          store_data: { UID: "id" },
        },
        {
          url: "{{ BASE_URL }}/cli-job",
          method: "GET",
          polling: { interval: 0.2, amount: 20 },
          continue_if: { response_notation: "status", value: "done" },
        },
      ],
    });
    const state = join(dir, "run-state.json");
    const killed = await hirewire(
      ["run", manifest, "--hire", "hire.json", "--secrets", "secrets.env", "--state", state],
      { killWhen: (out) => (out.match(/cli-job/g) ?? []).length >= 2 },
    );
    expect(killed.code).toBe(null);
    const saved = await readFile(state, "utf8");
    expect(saved).not.toContain(TOKEN);
    const resumed = await hirewire(["resume", state, "--secrets", "secrets.env"]);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain("UID = ");
    expect(
      server.requests.filter((r) => r.method === "POST" && r.body.includes("cli-resume@")),
    ).toHaveLength(1);
    expect(JSON.parse(await readFile(state, "utf8")).state.status).toBe("succeeded");
  });

  it("resumed before the poll interval is over, waits out the rest of it, then goes on", async () => {
    let polls = 0;
    server.route("GET", "/cli-slow-job", (_req, res) =>
      sendJson(res, 200, { status: ++polls >= 2 ? "done" : "pending" }),
    );
    const manifest = await manifestFile("slow-poll.json", {
      initial_data_form: form,
      execute: [
        {
          url: "{{ BASE_URL }}/cli-slow-job",
          method: "GET",
          polling: { interval: 2, amount: 5 },
          continue_if: { response_notation: "status", value: "done" },
        },
      ],
    });
    const state = join(dir, "slow-state.json");
    const killed = await hirewire(
      ["run", manifest, "--hire", "hire.json", "--secrets", "secrets.env", "--state", state],
      // The wait is announced once the waiting state is saved.
      { killWhen: (out) => out.includes("before polling again") },
    );
    expect(killed.code).toBe(null);
    const saved = JSON.parse(await readFile(state, "utf8")) as { state: { wakeAt: number } };
    // Resumed at once: the 2 s interval is not over.
    expect(saved.state.wakeAt).toBeGreaterThan(Date.now());
    const resumed = await hirewire(["resume", state, "--secrets", "secrets.env"]);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    expect(polls).toBe(2);
    expect(Date.now()).toBeGreaterThanOrEqual(saved.state.wakeAt);
    expect(JSON.parse(await readFile(state, "utf8")).state.status).toBe("succeeded");
  });

  it("refuses a file that is not a state file with a clear message", async () => {
    const result = await hirewire(["resume", "hire.json"]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("is not a hirewire state file");
  });
});
