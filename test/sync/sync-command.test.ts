// `hirewire sync` as a real child process against the local directory: the users it finds (JSON
// and human output), exit codes, and the token never printed.
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIRECTORY_TOKEN, startDirectoryServer, type DirectoryServer } from "./directory-server.ts";

const MAIN = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
// The child runs in a temp dir, where a bare `tsx` would not resolve.
const TSX = import.meta.resolve("tsx");
let dir: string;
let directory: DirectoryServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hirewire-sync-cli-"));
  directory = await startDirectoryServer(25);
  await writeFile(
    join(dir, "secrets.json"),
    JSON.stringify({ DIR_TOKEN: DIRECTORY_TOKEN, DIR_URL: directory.url }),
  );
  await writeFile(
    join(dir, "wrong.json"),
    JSON.stringify({ DIR_TOKEN: "nope-nope", DIR_URL: directory.url }),
  );
  await writeFile(
    join(dir, "sync.json"),
    JSON.stringify({
      action: "create",
      initial_data_form: [
        { id: "DIR_TOKEN", name: "Directory token" },
        { id: "DIR_URL", name: "Directory URL", secret: false },
      ],
      headers: { Authorization: "Bearer {{ DIR_TOKEN }}" },
      execute: [{ url: "{{ DIR_URL }}/v1/users?limit=10", method: "GET" }],
      data_from: "data.users",
      data_structure: { email: "mail", first_name: "name.first" },
      next_page_token_from: "meta.next_cursor",
      next_page: "{{ DIR_URL }}/v1/users?limit=10&cursor={{ NEXT_PAGE_TOKEN }}",
      amount_pages_to_fetch: 5,
    }),
  );
  await writeFile(
    join(dir, "provisioning.json"),
    JSON.stringify({ execute: [{ url: "https://x.example" }] }),
  );
});
afterAll(async () => {
  await directory.close();
  await rm(dir, { recursive: true, force: true });
});

function hirewire(
  ...args: string[]
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", TSX, MAIN, ...args], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: "1" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("hirewire sync", () => {
  it("--json lists every user found across pages", async () => {
    const { code, stdout, stderr } = await hirewire(
      "sync",
      "sync.json",
      "--secrets",
      "secrets.json",
      "--json",
    );
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const body = JSON.parse(stdout);
    expect(body).toMatchObject({ status: "succeeded", action: "create", pages: 3, skipped: [] });
    expect(body.users).toHaveLength(25);
    expect(body.users[24]).toEqual({ email: "user00025@corp.example", first_name: "First25" });
    expect(stdout).not.toContain(DIRECTORY_TOKEN);
  });

  it("prints the users and says nothing was applied", async () => {
    const { code, stdout } = await hirewire("sync", "sync.json", "--secrets", "secrets.json");
    expect(code).toBe(0);
    expect(stdout).toContain("25 users on 3 pages");
    expect(stdout).toContain('  user00007@corp.example {"first_name":"First7"}');
    expect(stdout).toContain("preview only: the CLI keeps no hires");
    expect(stdout).not.toContain(DIRECTORY_TOKEN);
  });

  it("exits 1 when the directory refuses, and 3 for a manifest that is not a sync", async () => {
    const refused = await hirewire("sync", "sync.json", "--secrets", "wrong.json", "--json");
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({ status: "failed", users: [] });
    const notSync = await hirewire("sync", "provisioning.json");
    expect(notSync.code).toBe(3);
    expect(notSync.stdout).toContain("not a sync-users manifest");
  });

  it("says in --help that the CLI applies nothing", async () => {
    const { stdout } = await hirewire("sync", "--help");
    expect(stdout).toContain("The CLI keeps no hires");
  });
});
