// The `hirewire` command's edges as a real child process: usage errors and their exit code,
// --version, the --help examples run as written, where run files go, and URLs that only a
// response can give (run, --dry-run, revoke), plus a sync entry lacking a mapped field.
import { execFile, spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendJson, startTargetServer, type TargetServer } from "./support/target-server.ts";
import { runHirewire, type CliResult } from "./support/cli-process.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(ROOT, "bin", "hirewire.js");
let server: TargetServer;
let dir: string;
/** The children's TMPDIR: whatever a run leaves in the OS temp dir shows up here. */
let temp: string;

beforeAll(async () => {
  server = await startTargetServer();
  server.route("GET", "/usage/next", (req, res) =>
    sendJson(res, 200, { next: req.query.to === "bad" ? "users/2" : `${server.url}/echo` }),
  );
  server.route("GET", "/usage/users", (_req, res) =>
    sendJson(res, 200, {
      users: [{ mail: "ada@example.com", dept: "R&D" }, { mail: "grace@example.com" }],
    }),
  );
  server.route("GET", "/usage/contract", (_req, res) => {
    res.writeHead(200, { "content-type": "application/pdf" }).end("%PDF-1.4 contract");
  });
  dir = await mkdtemp(join(tmpdir(), "hirewire-cli-usage-"));
  temp = join(dir, "tmp");
  await mkdir(temp);
  await writeFile(join(dir, "hire.json"), JSON.stringify({ email: "ada@example.com" }));
  await writeFile(join(dir, "secrets.env"), `BASE_URL=${server.url}\n`);
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

function hirewire(args: string[], cwd = dir): Promise<CliResult> {
  return runHirewire(args, { cwd, env: { TMPDIR: temp } });
}

async function manifestFile(name: string, manifest: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, JSON.stringify(manifest, null, 2));
  return path;
}

describe("usage errors", () => {
  it("exit 3 (invalid input, nothing sent), never 1 (the run failed)", async () => {
    const manifest = await manifestFile("ok.json", { execute: [{ url: "{{ BASE_URL }}/echo" }] });
    const missingHire = await hirewire(["run", manifest]);
    expect(missingHire.stderr).toContain("required option '--hire <file>' not specified");
    expect(missingHire.code).toBe(3);
    const unknownCommand = await hirewire(["frobnicate"]);
    expect(unknownCommand.stderr).toContain("unknown command 'frobnicate'");
    expect(unknownCommand.code).toBe(3);
    const badOption = await hirewire(["validate", manifest, "--frob"]);
    expect(badOption.stderr).toContain("unknown option '--frob'");
    expect(badOption.code).toBe(3);
    expect((await hirewire([])).code).toBe(3);
    const help = await hirewire(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(
      /3 {2}invalid manifest or inputs, or a usage error; nothing was sent/,
    );
  });

  it("--version prints the package version", async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as {
      version: string;
    };
    const result = await hirewire(["--version"]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(pkg.version);
  });

  it("the --help validate example works as written, from the project folder", async () => {
    const help = await hirewire(["--help"]);
    const example = /^ {2}(hirewire validate .*)$/m.exec(help.stdout)?.[1];
    expect(example).toBeDefined();
    const command = example!.replace(/^hirewire/, `"${process.execPath}" "${BIN}"`);
    const { stdout } = await promisify(execFile)("sh", ["-c", command], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: "1" },
    });
    expect(stdout).toContain("create-account.json");
    expect(stdout).not.toContain("hire.json");
  });
});

describe("output to a reader that goes away", () => {
  it("`hirewire --help | head -1` ends quietly, without an EPIPE stack trace", async () => {
    const child = spawn(process.execPath, [BIN, "--help"], { cwd: dir });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    // Like `head -1` that has already exited: the pipe is closed before hirewire writes to it.
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(stderr).not.toMatch(/EPIPE|Unhandled 'error' event/);
    expect(code).toBe(0);
  });
});

describe("run files", () => {
  const saving = {
    execute: [{ url: "{{ BASE_URL }}/usage/contract", method: "GET", save_as_file: "c.pdf" }],
  };

  it("without --files-dir or --state leave nothing in the temp dir, and say they were not kept", async () => {
    const manifest = await manifestFile("save.json", saving);
    const result = await hirewire([
      "run",
      manifest,
      "--hire",
      "hire.json",
      "--secrets",
      "secrets.env",
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      "files c.pdf were not kept (give --files-dir DIR or --state FILE to keep them)",
    );
    const exists = await manifestFile("exists.json", {
      execute: [{ url: "{{ BASE_URL }}/echo" }],
      exists: { url: "{{ BASE_URL }}/echo", method: "GET", expected: "ada" },
    });
    await hirewire(["exists", exists, "--hire", "hire.json", "--secrets", "secrets.env"]);
    expect((await readdir(temp)).filter((name) => name.startsWith("hirewire-files-"))).toEqual([]);
  });

  it("with --files-dir say where they are kept", async () => {
    const manifest = await manifestFile("save-kept.json", saving);
    const kept = join(dir, "kept");
    const result = await hirewire([
      "run",
      manifest,
      "--hire",
      "hire.json",
      "--secrets",
      "secrets.env",
      "--files-dir",
      kept,
    ]);
    expect(result.code).toBe(0);
    const where = /^files c\.pdf kept in (.+)$/m.exec(result.stdout)?.[1];
    expect(where).toBeDefined();
    expect(await readFile(join(where!, "c.pdf"), "utf8")).toBe("%PDF-1.4 contract");
  });
});

describe("a URL given by an earlier response", () => {
  const chained = (to: string) => ({
    execute: [
      { url: `{{ BASE_URL }}/usage/next?to=${to}`, method: "GET" },
      { url: "{{ responses.0.next }}", method: "GET" },
    ],
    revoke: [
      { url: `{{ BASE_URL }}/usage/next?to=${to}`, method: "GET" },
      { url: "{{ responses.0.next }}", method: "DELETE" },
    ],
  });
  const inputs = ["--hire", "hire.json", "--secrets", "secrets.env"];

  it("validates, dry-runs, runs and revokes", async () => {
    const manifest = await manifestFile("chained.json", chained("good"));
    expect((await hirewire(["validate", manifest])).code).toBe(0);
    const dry = await hirewire(["run", manifest, ...inputs, "--dry-run"]);
    expect(dry.stdout).toContain("step 2: GET <responses.0.next>");
    expect(dry.code).toBe(0);
    const run = await hirewire(["run", manifest, ...inputs]);
    expect(run.stdout).toMatch(/step 2\/2 GET \S+\/echo 200/);
    expect(run.code).toBe(0);
    const revoke = await hirewire(["revoke", manifest, ...inputs]);
    expect(revoke.stdout).toMatch(/step 2\/2 DELETE \S+\/echo 200/);
    expect(revoke.code).toBe(0);
  });

  it("fails its step (exit 1) when the response gives no absolute URL", async () => {
    const manifest = await manifestFile("chained-bad.json", chained("bad"));
    const run = await hirewire(["run", manifest, ...inputs]);
    expect(run.stdout).toContain(
      'the URL must be absolute http(s) after rendering (got "users/2")',
    );
    expect(run.code).toBe(1);
  });
});

describe("hirewire sync", () => {
  it("keeps an entry without a mapped field and says which field it lacked", async () => {
    const manifest = await manifestFile("sync.json", {
      action: "create",
      execute: [{ url: "{{ BASE_URL }}/usage/users", method: "GET" }],
      data_from: "users",
      data_structure: { email: "mail", department: "dept" },
    });
    const result = await hirewire(["sync", manifest, "--secrets", "secrets.env"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("2 users on 1 page");
    expect(result.stdout).toContain("page 1 entry 2 (grace@example.com): no department");
  });
});
