// `hirewire resume` with damaged, edited or missing state files, as real child processes: each is
// refused with exit 3 and one sentence naming the field, and nothing is sent.
import { access, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendJson, startTargetServer, type TargetServer } from "./support/target-server.ts";
import { runHirewire, type CliResult } from "./support/cli-process.ts";

let server: TargetServer;
let dir: string;
/** The state file of a run that failed at its second step (of two). */
let failed: Record<string, unknown>;
let teamAnswers = 422;

beforeAll(async () => {
  server = await startTargetServer();
  server.route("POST", "/state-team", (_req, res) => sendJson(res, teamAnswers, { ok: true }));
  dir = await mkdtemp(join(tmpdir(), "hirewire-state-"));
  await writeFile(join(dir, "hire.json"), JSON.stringify({ email: "ada@example.com" }));
  await writeFile(join(dir, "secrets.env"), `BASE_URL=${server.url}\n`);
  await writeFile(
    join(dir, "two-steps.json"),
    JSON.stringify({
      initial_data_form: [{ id: "BASE_URL", name: "Base URL", secret: false }],
      execute: [
        { url: "{{ BASE_URL }}/users", store_data: { UID: "id" } },
        { name: "Add to team", url: "{{ BASE_URL }}/state-team" },
      ],
    }),
  );
  const run = await hirewire([
    "run",
    "two-steps.json",
    "--hire",
    "hire.json",
    "--secrets",
    "secrets.env",
    "--state",
    "failed.json",
  ]);
  expect(run.code, run.stdout + run.stderr).toBe(1);
  failed = JSON.parse(await readFile(join(dir, "failed.json"), "utf8"));
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

function hirewire(args: string[], cwd = dir): Promise<CliResult> {
  return runHirewire(args, { cwd });
}

/** Writes a copy of the failed run's state file changed by `edit`, resumes it, and checks nothing was sent. */
async function resumeEdited(
  name: string,
  edit: (file: Record<string, unknown>, state: Record<string, unknown>) => void,
): Promise<CliResult> {
  const file = structuredClone(failed);
  edit(file, file.state as Record<string, unknown>);
  await writeFile(join(dir, name), JSON.stringify(file, null, 2));
  const before = server.requests.length;
  const result = await hirewire(["resume", name, "--secrets", "secrets.env"]);
  expect(server.requests.length, "resume sent a request").toBe(before);
  expect(result.stdout).not.toContain("succeeded");
  return result;
}

/** The one line a refused resume prints: on stderr, prefixed, no stack, no raw error name. */
function refusal(result: CliResult): string {
  expect(result.code, result.stdout + result.stderr).toBe(3);
  const lines = result.stderr.trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^hirewire: /);
  expect(lines[0]).not.toMatch(/TypeError|ENOENT|EISDIR|at .*\.ts:\d+/);
  return lines[0]!;
}

describe("hirewire resume refuses a state file that does not hold a resumable run", () => {
  it("a step index past the end or below zero", async () => {
    expect(refusal(await resumeEdited("step-99.json", (_f, s) => (s.step = 99)))).toContain(
      "state.step must be the index of a step of the execute block (0 to 1) for a failed run (got 99)",
    );
    expect(refusal(await resumeEdited("step-minus.json", (_f, s) => (s.step = -1)))).toContain(
      "state.step must be a whole number of 0 or more (got -1)",
    );
  });

  it("a step index written as a string", async () => {
    expect(refusal(await resumeEdited("step-string.json", (_f, s) => (s.step = "1")))).toContain(
      'state.step must be a whole number of 0 or more (got "1")',
    );
  });

  it("a manifest swapped for another one", async () => {
    const oneStep = { execute: [{ url: "https://example.com/users" }] };
    const shorter = refusal(await resumeEdited("swapped.json", (f) => (f.manifest = oneStep)));
    expect(shorter).toContain("the manifest in it was changed after the run started");
    const sameLength = refusal(
      await resumeEdited("swapped-2.json", (f) => {
        const manifest = structuredClone(f.manifest) as { execute: Array<{ url: string }> };
        manifest.execute[1]!.url = "https://elsewhere.example.com/team";
        f.manifest = manifest;
      }),
    );
    expect(sameLength).toContain("the manifest in it was changed after the run started");
  });

  it("an invalid or missing manifest, with the manifest validator's sentence", async () => {
    expect(refusal(await resumeEdited("null.json", (f) => (f.manifest = null)))).toContain(
      "manifest: must be an object (got null)",
    );
    const invalid = refusal(
      await resumeEdited("invalid.json", (f) => (f.manifest = { execute: [{ url: "x" }] })),
    );
    expect(invalid).toContain("manifest.execute[0].url: must be an absolute http(s) URL");
  });

  it("a version this hirewire does not read, named as it is", async () => {
    const newer = refusal(await resumeEdited("v99.json", (f) => (f.version = 99)));
    expect(newer).toContain("has version 99; this hirewire reads version 1");
    const inner = refusal(await resumeEdited("state-v99.json", (_f, s) => (s.version = 99)));
    expect(inner).toContain("state.version is 99; this hirewire reads version 1");
  });

  it.each<[string, (f: Record<string, unknown>, s: Record<string, unknown>) => void]>([
    ["hire must be an object", (f) => (f.hire = "ada")],
    ["params must be an object", (f) => (f.params = [])],
    ['block must be "execute" or "revoke"', (f) => (f.block = "sync")],
    ["state.status must be one of", (_f, s) => (s.status = "done")],
    ["state.responses must be a list", (_f, s) => (s.responses = {})],
    ["state.generated.PASSWORD must be a string", (_f, s) => (s.generated = { PASSWORD: 1 })],
    ["state must be an object", (f) => (f.state = null)],
  ])("a field of the wrong type, named: %s", async (message, edit) => {
    const name = `type-${message.replace(/\W+/g, "-")}.json`;
    expect(refusal(await resumeEdited(name, edit))).toContain(message);
  });

  it("a files folder outside the state file's folder, without creating it", async () => {
    const up = refusal(await resumeEdited("files-up.json", (f) => (f.filesDir = "../escaped")));
    expect(up).toContain(`filesDir must be a folder inside ${dir} (got "../escaped")`);
    const outside = join(tmpdir(), `hirewire-escaped-${process.pid}`);
    refusal(await resumeEdited("files-abs.json", (f) => (f.filesDir = outside)));
    await expect(access(join(dir, "..", "escaped"))).rejects.toThrow();
    await expect(access(outside)).rejects.toThrow();
  });

  it("hirewire run refuses --files-dir outside the --state file's folder before sending", async () => {
    const before = server.requests.length;
    const outside = join(tmpdir(), `hirewire-outside-${process.pid}`);
    const result = await hirewire([
      "run",
      "two-steps.json",
      "--hire",
      "hire.json",
      "--secrets",
      "secrets.env",
      "--state",
      "outside.json",
      "--files-dir",
      outside,
    ]);
    expect(refusal(result)).toContain(`--files-dir ${outside} must be inside ${dir}`);
    expect(server.requests.length).toBe(before);
    await expect(access(outside)).rejects.toThrow();
  });

  it("still resumes the untouched file, from another working folder", async () => {
    const other = await mkdtemp(join(tmpdir(), "hirewire-elsewhere-"));
    teamAnswers = 200;
    try {
      const result = await hirewire(
        ["resume", join(dir, "failed.json"), "--secrets", join(dir, "secrets.env")],
        other,
      );
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(server.requestCount("POST", "/users")).toBe(1);
      expect(server.requestCount("POST", "/state-team")).toBe(2);
    } finally {
      teamAnswers = 422;
      await rm(other, { recursive: true, force: true });
    }
  });
});

describe("unreadable inputs are one sentence", () => {
  it("hirewire resume of a file that does not exist", async () => {
    expect(refusal(await hirewire(["resume", "nostate.json"]))).toContain(
      `cannot read state file ${join(dir, "nostate.json")}: no such file`,
    );
  });

  it("hirewire validate of a folder", async () => {
    const result = await hirewire(["validate", dir]);
    expect(result.code).toBe(3);
    expect(result.stdout).toContain(`cannot read manifest ${dir}: it is a folder, not a file`);
    expect(result.stdout + result.stderr).not.toContain("EISDIR");
  });
});

describe("the state file as written", () => {
  it("records the manifest's digest and a files folder relative to itself", () => {
    expect(failed.manifestDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(failed.filesDir).toBe("failed.json.files");
  });
});
