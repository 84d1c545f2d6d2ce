// `hirewire exists` and `hirewire revoke` as users run them: a child process, real files, a local
// server playing the third party. Exit codes are the contract scripts rely on.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendJson, startTargetServer, type TargetServer } from "./support/target-server.ts";
import { runHirewire, type CliResult } from "./support/cli-process.ts";

const TOKEN = "cli_revoke_token_9a8b7c6d";
let server: TargetServer;
let dir: string;
let closedUrl: string;

beforeAll(async () => {
  server = await startTargetServer();
  dir = await mkdtemp(join(tmpdir(), "hirewire-cli-revoke-"));
  server.route("GET", "/members/:email", (req, res) => {
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return sendJson(res, 401, {});
    if (req.params.email === "ada@example.com")
      return sendJson(res, 200, { email: "ada@example.com" });
    sendJson(res, 404, { error: "no such member" });
  });
  server.route("DELETE", "/members/:email", (req, res) =>
    req.params.email === "ada@example.com"
      ? sendJson(res, 200, { removed: true })
      : sendJson(res, 200, { removed: false, error: "not a member" }),
  );
  await writeFile(join(dir, "ada.json"), JSON.stringify({ email: "ada@example.com" }));
  await writeFile(join(dir, "bob.json"), JSON.stringify({ email: "bob@example.com" }));
  await writeFile(join(dir, "secrets.json"), JSON.stringify({ API_TOKEN: TOKEN }));
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  closedUrl = `http://127.0.0.1:${(probe.address() as { port: number }).port}`;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

function hirewire(args: string[]): Promise<CliResult> {
  return runHirewire(args, { cwd: dir });
}

async function manifestFile(name: string, base = server.url): Promise<string> {
  const path = join(dir, name);
  const manifest = {
    initial_data_form: [{ id: "API_TOKEN", name: "API token" }],
    headers: { Authorization: "Bearer {{ API_TOKEN }}" },
    exists: { url: `${base}/members/{{ email }}`, method: "GET", status_code: [200] },
    execute: [{ url: `${base}/echo` }],
    revoke: [
      {
        name: "remove member",
        url: `${base}/members/{{ email }}`,
        method: "DELETE",
        status_code: [200],
        expected: '"removed":true',
      },
    ],
  };
  await writeFile(path, JSON.stringify(manifest));
  return path;
}

const secrets = ["--secrets", "secrets.json"];

describe("hirewire exists", () => {
  it("exits 0 when the hire has an account and 4 when not, saying why", async () => {
    const manifest = await manifestFile("members.json");
    const yes = await hirewire(["exists", manifest, "--hire", "ada.json", ...secrets]);
    expect(yes.code).toBe(0);
    expect(yes.stdout).toContain(
      `exists: true — GET ${server.url}/members/ada@example.com answered 200`,
    );
    const no = await hirewire(["exists", manifest, "--hire", "bob.json", ...secrets, "--json"]);
    expect(no.code).toBe(4);
    const body = JSON.parse(no.stdout);
    expect(body).toMatchObject({ status: "succeeded", exists: false });
    expect(body.run_id).toEqual(expect.any(String));
    expect(body.attempts[0]).toMatchObject({ seq: 1, step: 0, response: { status: 404 } });
    expect(body.attempts[0].started_at).toMatch(/Z$/);
    expect(body).not.toHaveProperty("runId");
    expect(body.reason).toContain("answered 404, not one of 200");
    expect(yes.stdout + no.stdout).not.toContain(TOKEN);
  });

  it("exits 5 (unknown) when the third party cannot be reached", async () => {
    const manifest = await manifestFile("closed.json", closedUrl);
    const result = await hirewire(["exists", manifest, "--hire", "ada.json", ...secrets]);
    expect(result.code).toBe(5);
    expect(result.stdout).toMatch(/exists: unknown — .*(refused|connect)/i);
  });

  it("exits 3 and sends nothing without the secrets or without an exists block", async () => {
    const manifest = await manifestFile("members-3.json");
    const before = server.requests.length;
    const missing = await hirewire(["exists", manifest, "--hire", "ada.json"]);
    expect(missing.code).toBe(3);
    expect(missing.stdout).toContain('unknown variable "API_TOKEN"');
    const plain = join(dir, "plain.json");
    await writeFile(plain, JSON.stringify({ execute: [{ url: `${server.url}/echo` }] }));
    const noBlock = await hirewire(["exists", plain, "--hire", "ada.json"]);
    expect(noBlock.code).toBe(3);
    expect(noBlock.stdout).toContain("the manifest has no exists block");
    expect(server.requests.length).toBe(before);
  });
});

describe("hirewire revoke", () => {
  it("runs the revoke steps and exits 0 when every check is met", async () => {
    const manifest = await manifestFile("revoke.json");
    const result = await hirewire(["revoke", manifest, "--hire", "ada.json", ...secrets]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `step 1/1 "remove member" DELETE ${server.url}/members/ada@example.com 200`,
    );
  });

  it("exits 1 when a step's expected text is missing, and resumes as a revoke run", async () => {
    const manifest = await manifestFile("revoke-fail.json");
    const state = join(dir, "revoke-state.json");
    const result = await hirewire([
      "revoke",
      manifest,
      "--hire",
      "bob.json",
      ...secrets,
      "--state",
      state,
      "--json",
    ]);
    expect(result.code).toBe(1);
    const body = JSON.parse(result.stdout);
    expect(body.status).toBe("failed");
    expect(body.error).toMatchObject({ code: "EXPECTED_TEXT_MISSING", path: "revoke[0].expected" });
    expect(JSON.parse(await readFile(state, "utf8")).block).toBe("revoke");
    const deletes = server.requestCount("DELETE", "/members/bob@example.com");
    const resumed = await hirewire(["resume", state, ...secrets, "--json"]);
    expect(resumed.code).toBe(1);
    expect(server.requestCount("DELETE", "/members/bob@example.com")).toBe(deletes + 1);
    expect(server.requestCount("POST", "/echo")).toBe(0);
  });

  it("exits 3 for a manifest without a revoke block", async () => {
    const plain = join(dir, "plain-revoke.json");
    await writeFile(plain, JSON.stringify({ execute: [{ url: `${server.url}/echo` }] }));
    const result = await hirewire(["revoke", plain, "--hire", "ada.json", "--dry-run"]);
    expect(result.code).toBe(3);
    expect(result.stdout).toContain("the manifest has no revoke block");
  });

  it("renders the revoke steps in a dry run", async () => {
    const manifest = await manifestFile("revoke-dry.json");
    const result = await hirewire([
      "revoke",
      manifest,
      "--hire",
      "ada.json",
      ...secrets,
      "--dry-run",
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`DELETE ${server.url}/members/ada@example.com`);
    expect(result.stdout).toContain("Authorization: Bearer ***API_TOKEN***");
  });
});
