import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  sendJson,
  startTargetServer,
  type TargetServer,
} from "../../test/support/target-server.ts";
import { deepFreeze } from "../json/deep-freeze.ts";
import { DiskFileStore } from "../files/index.ts";
import type { JsonValue } from "../manifest/types.ts";
import { SecretCipher } from "../secrets/index.ts";
import { openSqliteStore, type Store } from "../store/index.ts";
import {
  accessOverviewText,
  checkExists,
  hireAccess,
  paramsWithAccessOverview,
  referencesAccessOverview,
  type AccessDeps,
} from "./access-overview.ts";

const TOKEN = "exists-token-0123456789";
const FAST = { retryBaseMs: 1, retryMaxDelayMs: 2 };
let target: TargetServer;
let dir: string;
let files: DiskFileStore;
let store: Store;
let closedUrl: string;

beforeAll(async () => {
  target = await startTargetServer();
  dir = await mkdtemp(path.join(tmpdir(), "hirewire-access-"));
  files = new DiskFileStore(path.join(dir, "files"));
  store = await openSqliteStore({
    file: path.join(dir, "db.sqlite"),
    cipher: new SecretCipher(randomBytes(32)),
  });
  // Members: ada has an account; the answer names her.
  target.route("GET", "/members/:email", (req, res) => {
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return sendJson(res, 401, {});
    if (req.params.email === "ada@example.com")
      return sendJson(res, 200, { email: "ada@example.com", active: true });
    sendJson(res, 404, { error: "no such member" });
  });
  target.route("GET", "/search", (req, res) =>
    sendJson(res, 200, { results: req.query.q === "ada@example.com" ? ["ada@example.com"] : [] }),
  );
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  closedUrl = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  await target.close();
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

function statusManifest(base = target.url): { [key: string]: JsonValue } {
  return {
    initial_data_form: [{ id: "API_TOKEN", name: "API token" }],
    headers: { Authorization: "Bearer {{ API_TOKEN }}" },
    exists: { url: `${base}/members/{{ email }}`, status_code: [200] },
    execute: [{ url: `${base}/echo` }],
  };
}

const expectedManifest = () => ({
  exists: { url: `${target.url}/search?q={{ email|urlencode }}`, expected: '"{{ email }}"' },
  execute: [{ url: `${target.url}/echo` }],
});

const ada = { email: "ada@example.com" };
const bob = { email: "bob@example.com" };

describe("checkExists", () => {
  it("answers true when the status is listed, false otherwise, with the reason", async () => {
    const yes = await checkExists({
      manifest: statusManifest(),
      hire: ada,
      secrets: { API_TOKEN: TOKEN },
      files,
    });
    expect(yes).toEqual({
      status: "checked",
      exists: true,
      reason: `GET ${target.url}/members/ada@example.com answered 200`,
    });
    const no = await checkExists({
      manifest: statusManifest(),
      hire: bob,
      secrets: { API_TOKEN: TOKEN },
      files,
    });
    expect(no).toMatchObject({ status: "checked", exists: false });
    expect(no.status === "checked" && no.reason).toContain("answered 404, not one of 200");
  });

  it("looks for the rendered expected text in the response", async () => {
    const yes = await checkExists({ manifest: expectedManifest(), hire: ada, files });
    expect(yes).toMatchObject({ status: "checked", exists: true });
    const no = await checkExists({ manifest: expectedManifest(), hire: bob, files });
    expect(no).toMatchObject({ status: "checked", exists: false });
    expect(no.status === "checked" && no.reason).toContain(
      'does not contain "\\"bob@example.com\\""',
    );
  });

  it("answers unknown when the request cannot be made, after its retries", async () => {
    const answer = await checkExists({
      manifest: statusManifest(closedUrl),
      hire: ada,
      secrets: { API_TOKEN: TOKEN },
      files,
      engine: FAST,
    });
    expect(answer).toMatchObject({ status: "checked", exists: null });
    expect(answer.status === "checked" && answer.reason).toMatch(/refused|connect/i);
  });

  it("sends nothing and says why when the check cannot be made", async () => {
    const before = target.requests.length;
    const noBlock = await checkExists({
      manifest: { execute: [{ url: `${target.url}/echo` }] },
      hire: ada,
      files,
    });
    expect(noBlock).toMatchObject({ status: "invalid", problems: [{ path: "exists" }] });
    const noSecret = await checkExists({ manifest: statusManifest(), hire: ada, files });
    expect(noSecret).toMatchObject({
      status: "invalid",
      problems: [{ code: "TEMPLATE_UNDEFINED_VARIABLE" }],
    });
    expect(target.requests.length).toBe(before);
  });
});

describe("the access overview", () => {
  it("renders each integration's answer by name", () => {
    expect(
      accessOverviewText([
        { name: "Asana", exists: true },
        { name: "Google", exists: false },
        { name: "Teams", exists: null },
      ]),
    ).toBe("Asana (has access), Google (no access), Teams (unknown)");
    expect(accessOverviewText([])).toBe("");
  });

  it("checks every integration with an exists block, unknown when one cannot be checked", async () => {
    const deps: AccessDeps = { store, files, engine: FAST, concurrency: 2 };
    const asana = await store.createIntegration({ name: "Asana", manifest: statusManifest() });
    await store.setSecret(asana.id, "API_TOKEN", TOKEN);
    await store.createIntegration({ name: "Google", manifest: expectedManifest() });
    await store.createIntegration({ name: "Teams", manifest: statusManifest(closedUrl) });
    await store.createIntegration({ name: "Zoom", manifest: statusManifest() });
    await store.createIntegration({
      name: "Payroll",
      manifest: { execute: [{ url: `${target.url}/echo` }] },
    });
    const hire = { props: { email: "ada@example.com" }, stored: {} };
    const overview = await hireAccess(deps, hire);
    expect(overview.items.map((item) => [item.name, item.exists])).toEqual([
      ["Asana", true],
      ["Google", true],
      ["Teams", null],
      ["Zoom", null],
    ]);
    expect(overview.items[3]!.reason).toContain(
      'cannot check: headers.Authorization: unknown variable "API_TOKEN"',
    );
    expect(overview.text).toBe(
      "Asana (has access), Google (has access), Teams (unknown), Zoom (unknown)",
    );
    expect(JSON.stringify(overview)).not.toContain(TOKEN);

    const bobs = await hireAccess(deps, { props: bob, stored: {} });
    expect(bobs.text).toBe(
      "Asana (no access), Google (no access), Teams (unknown), Zoom (unknown)",
    );
  });

  it("is added to params only when the manifest uses {{ access_overview }} and it was not given", async () => {
    const deps: AccessDeps = { store, files, engine: FAST };
    const hire = { props: ada, stored: {} };
    const plain = { execute: [{ url: `${target.url}/echo`, data: { note: "access_overview" } }] };
    const uses = {
      execute: [{ url: `${target.url}/echo`, data: { note: "{{ access_overview|default:'' }}" } }],
    };
    expect(referencesAccessOverview(plain)).toBe(false);
    expect(referencesAccessOverview(uses)).toBe(true);
    expect(
      referencesAccessOverview({ execute: [{ url: "https://x/{{ access_overview }}" }] }),
    ).toBe(true);
    // A frozen manifest is answered again the same way; a mutable one is read again each time.
    const frozen = deepFreeze(structuredClone(uses));
    expect(referencesAccessOverview(frozen)).toBe(true);
    expect(referencesAccessOverview(frozen)).toBe(true);
    const changing = structuredClone(plain);
    expect(referencesAccessOverview(changing)).toBe(false);
    changing.execute[0]!.data.note = "{{ access_overview }}";
    expect(referencesAccessOverview(changing)).toBe(true);
    expect(await paramsWithAccessOverview(deps, plain, hire, { A: "1" })).toEqual({ A: "1" });
    expect(await paramsWithAccessOverview(deps, uses, hire, { access_overview: "given" })).toEqual({
      access_overview: "given",
    });
    const params = await paramsWithAccessOverview(deps, uses, hire, { A: "1" });
    expect(params).toEqual({
      A: "1",
      access_overview: expect.stringContaining("Asana (has access)"),
    });
  });
});
