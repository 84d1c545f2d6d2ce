// `hirewire run` with OAuth tokens in a JSON secrets file, against a provider that rotates refresh
// tokens: a refresh writes the new tokens back into the file, so the next run still works.
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  CLIENT_ID,
  CLIENT_SECRET,
  startFakeOAuthProvider,
  type FakeOAuthProvider,
} from "./support/fake-oauth-provider.ts";

const BIN = fileURLToPath(new URL("../bin/hirewire.js", import.meta.url));
let provider: FakeOAuthProvider;
let dir: string;

beforeAll(async () => {
  provider = await startFakeOAuthProvider();
  dir = await mkdtemp(join(tmpdir(), "hirewire-cli-oauth-"));
});
afterAll(async () => {
  await provider.close();
  await rm(dir, { recursive: true, force: true });
});

function hirewire(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: "1" },
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("close", (code) => resolve({ code, output }));
  });
}

it("writes refreshed (rotated) tokens back into the JSON secrets file", async () => {
  const redirect = "http://127.0.0.1/cli-callback";
  const exchanged = await fetch(`${provider.url}/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code: provider.issueCode(redirect),
      redirect_uri: redirect,
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
    }),
  });
  const first = (await exchanged.json()) as { access_token: string; refresh_token: string };
  const manifest = {
    oauth: {
      refresh: {
        url: `${provider.url}/token`,
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        data: {
          grant_type: "refresh_token",
          refresh_token: "{{ oauth.refresh_token }}",
          client_id: "{{ CLIENT_ID }}",
          client_secret: "{{ CLIENT_SECRET }}",
        },
      },
    },
    headers: { Authorization: "Bearer {{ oauth.access_token }}" },
    execute: [{ url: `${provider.url}/api/me`, method: "GET" }],
  };
  await writeFile(join(dir, "manifest.json"), JSON.stringify(manifest));
  await writeFile(join(dir, "hire.json"), JSON.stringify({ email: "ada@example.com" }));
  const secretsPath = join(dir, "secrets.json");
  await writeFile(
    secretsPath,
    JSON.stringify(
      {
        CLIENT_ID,
        CLIENT_SECRET,
        // Expiring within the refresh margin: the run refreshes before its first step.
        oauth: { ...first, expires_at: Date.now() + 5_000 },
      },
      null,
      2,
    ),
    { mode: 0o600 },
  );
  const args = ["run", "manifest.json", "--hire", "hire.json", "--secrets", "secrets.json"];

  const run1 = await hirewire(args);
  expect(run1.code, run1.output).toBe(0);
  expect(provider.count("token:refresh_token")).toBe(1);
  const saved = JSON.parse(await readFile(secretsPath, "utf8"));
  expect(saved.CLIENT_ID).toBe(CLIENT_ID);
  expect(saved.oauth.access_token).toBe(provider.current()!.access);
  expect(saved.oauth.refresh_token).not.toBe(first.refresh_token);
  expect(saved.oauth.expires_at).toBeGreaterThan(Date.now() + 60_000);
  expect((await stat(secretsPath)).mode & 0o777).toBe(0o600);

  // The old refresh token is revoked now; the run works only because the file was updated.
  const run2 = await hirewire(args);
  expect(run2.code, run2.output).toBe(0);
  expect(provider.count("token:refresh_token")).toBe(1);
  expect(provider.events.at(-1)).toMatchObject({ kind: "api", status: 200 });
  for (const secret of [...provider.issued(), CLIENT_SECRET]) {
    expect(run1.output).not.toContain(secret);
    expect(run2.output).not.toContain(secret);
  }
});
