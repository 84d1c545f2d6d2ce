// `hirewire run`/`resume` when a target echoes a secret into `store_data`: a real child process, a
// real local server. Human output, --json and the --state file show the stored field masked;
// later steps still send the real value; a resumed run gets it back from the state file's
// "stored" object, or stops before sending rather than send the mask.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendJson, startTargetServer, type TargetServer } from "./support/target-server.ts";
import { runHirewire, type CliResult } from "./support/cli-process.ts";

const TOKEN = "cli_stored_secret_token_7a6b5c4d";
let server: TargetServer;
let dir: string;
let failNext = 0;

beforeAll(async () => {
  server = await startTargetServer();
  server.route("POST", "/whoami", (req, res) =>
    sendJson(res, 200, { id: "u_7", authorization: req.headers.authorization }),
  );
  server.route("POST", "/use", (req, res) => {
    if (failNext > 0) {
      failNext -= 1;
      return sendJson(res, 503, { error: "try later" });
    }
    sendJson(res, 200, { ok: true, got: req.json });
  });
  dir = await mkdtemp(join(tmpdir(), "hirewire-cli-stored-"));
  await writeFile(join(dir, "hire.json"), JSON.stringify({ email: "ada@example.com" }));
  await writeFile(join(dir, "secrets.env"), `TOKEN=${TOKEN}\nBASE_URL=${server.url}\n`);
  await writeFile(
    join(dir, "manifest.json"),
    JSON.stringify({
      initial_data_form: [
        { id: "TOKEN", name: "Token" },
        { id: "BASE_URL", name: "Base URL", secret: false },
      ],
      execute: [
        {
          url: "{{ BASE_URL }}/whoami",
          method: "POST",
          headers: { Authorization: "Bearer {{ TOKEN }}" },
          store_data: { USER_ID: "id", AUTH_ECHO: "authorization" },
        },
        {
          url: "{{ BASE_URL }}/use",
          method: "POST",
          data: { auth: "{{ AUTH_ECHO }}" },
          status_code: [200],
        },
      ],
    }),
  );
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

function hirewire(args: string[]): Promise<CliResult> {
  return runHirewire(args, { cwd: dir });
}

function forms(value: string): string[] {
  return [
    value,
    Buffer.from(value).toString("base64").replace(/=+$/, ""),
    Buffer.from(value).toString("base64url"),
    encodeURIComponent(value),
  ];
}

function expectNoToken(text: string): void {
  for (const form of forms(TOKEN)) expect(text, form).not.toContain(form);
}

const RUN = ["run", "manifest.json", "--hire", "hire.json", "--secrets", "secrets.env"];

describe("a secret echoed into store_data", () => {
  it("is masked in human output and sent raw by the step that uses it", async () => {
    const result = await hirewire(RUN);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('AUTH_ECHO = "Bearer ***TOKEN***"');
    expect(result.stdout).toContain('USER_ID = "u_7"');
    expectNoToken(result.stdout + result.stderr);
    expect(JSON.parse(server.requests.at(-1)!.body)).toEqual({ auth: `Bearer ${TOKEN}` });
  });

  it("is masked in --json output", async () => {
    const result = await hirewire([...RUN, "--json"]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const output = JSON.parse(result.stdout);
    expect(output.stored).toEqual({ USER_ID: "u_7", AUTH_ECHO: "Bearer ***TOKEN***" });
    expectNoToken(result.stdout + result.stderr);
  });

  it("is masked in the --state file, and a resume gets it back only from the file's stored", async () => {
    const state = join(dir, "state.json");
    failNext = 1;
    const failed = await hirewire([...RUN, "--state", state]);
    expect(failed.code, failed.stdout).toBe(1);
    const saved = await readFile(state, "utf8");
    expect(JSON.parse(saved).state.stored.AUTH_ECHO).toBe("Bearer ***TOKEN***");
    expectNoToken(saved + failed.stdout + failed.stderr);

    // Without the real value the resumed step is not sent with the mask in it.
    const sentBefore = server.requestCount("POST", "/use");
    const blind = await hirewire(["resume", state, "--secrets", "secrets.env"]);
    expect(blind.code, blind.stdout).toBe(1);
    expect(blind.stdout).toContain("AUTH_ECHO");
    expect(server.requestCount("POST", "/use")).toBe(sentBefore);

    // Given in the state file's "stored" object, it is sent raw and still shown masked.
    const file = JSON.parse(await readFile(state, "utf8"));
    file.stored.AUTH_ECHO = `Bearer ${TOKEN}`;
    await writeFile(state, JSON.stringify(file));
    const resumed = await hirewire(["resume", state, "--secrets", "secrets.env", "--json"]);
    expect(resumed.code, resumed.stdout).toBe(0);
    expect(JSON.parse(server.requests.at(-1)!.body)).toEqual({ auth: `Bearer ${TOKEN}` });
    expect(JSON.parse(resumed.stdout).stored.AUTH_ECHO).toBe("Bearer ***TOKEN***");
    expectNoToken(resumed.stdout + JSON.stringify(JSON.parse(await readFile(state, "utf8")).state));
  });
});
