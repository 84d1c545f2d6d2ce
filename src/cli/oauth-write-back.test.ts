import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { oauthWriteBack, writeBackTokens } from "./oauth-write-back.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "hirewire-write-back-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

it("replaces only the oauth object, keeping the other secrets, the layout and the file mode", async () => {
  const path = join(dir, "secrets.json");
  const before =
    '{\n  "CLIENT_ID": "abc",\n  "oauth": { "access_token": "old" },\n  "ORG": "42"\n}\n';
  await writeFile(path, before, { mode: 0o600 });
  await writeBackTokens(path, { access_token: "new", refresh_token: "r2", expires_at: 5 });
  const text = await readFile(path, "utf8");
  expect(JSON.parse(text)).toEqual({
    CLIENT_ID: "abc",
    oauth: { access_token: "new", refresh_token: "r2", expires_at: 5 },
    ORG: "42",
  });
  expect(text.startsWith('{\n  "CLIENT_ID": "abc",\n')).toBe(true);
  expect((await stat(path)).mode & 0o777).toBe(0o600);
});

it("hooks in only when the tokens came from a secrets file", () => {
  expect(oauthWriteBack(undefined, true)).toEqual({});
  expect(oauthWriteBack("secrets.json", false)).toEqual({});
  expect(oauthWriteBack("secrets.json", true).onOAuthTokens).toEqual(expect.any(Function));
});
