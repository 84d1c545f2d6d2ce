// ChiefOnboarding's own cases, run by the library against a real local server: URLs that only a
// response can give, Pritunl's older secret names, sync entries that lack a mapped field, optional
// form fields, and what a run refused before sending returns.
import { createHmac } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dryRun, runManifest, type RunOptions } from "../src/runner/index.ts";
import { validateManifest } from "../src/manifest/index.ts";
import { startInProcessService } from "./support/in-process-service.ts";
import { sendJson, startTargetServer, type TargetServer } from "./support/target-server.ts";

let server: TargetServer;
let filesDir: string;

beforeAll(async () => {
  server = await startTargetServer();
  filesDir = await mkdtemp(join(tmpdir(), "hirewire-compat-test-"));
  server.route("GET", "/compat/next", (req, res) =>
    sendJson(res, 200, { next: req.query.to === "bad" ? "users/2" : `${server.url}/echo` }),
  );
  server.route("GET", "/compat/users", (_req, res) =>
    sendJson(res, 200, {
      users: [
        { mail: "ada@example.com", name: { first: "Ada" }, dept: "R&D" },
        { mail: "grace@example.com", name: { first: "Grace" } },
        { name: { first: "Nobody" }, dept: "Ops" },
      ],
    }),
  );
});
afterAll(async () => {
  await server.close();
  await rm(filesDir, { recursive: true, force: true });
});

function options(extra: Partial<RunOptions> = {}): RunOptions {
  return {
    hire: { email: "ada@example.com", first_name: "Ada" },
    secrets: {},
    params: { BASE_URL: server.url },
    filesDir,
    engine: { retryBaseMs: 5, retryMaxDelayMs: 20 },
    ...extra,
  };
}

describe("a URL known only during the run", () => {
  const fromResponse = (to: string) => ({
    execute: [
      { url: `{{ BASE_URL }}/compat/next?to=${to}`, method: "GET", store_data: { NEXT: "next" } },
      { url: "{{ responses.0.next }}", method: "GET" },
      { url: "{{ NEXT }}", method: "GET" },
    ],
  });

  it("is valid, dry-runs as a placeholder and is sent when the response gives an absolute URL", async () => {
    expect(validateManifest(fromResponse("good")).ok).toBe(true);
    const plan = dryRun(fromResponse("good"), options());
    expect(plan.problems).toEqual([]);
    expect(plan.status).toBe("dry-run");
    expect(plan.steps.map((step) => step.request.url)).toEqual([
      `${server.url}/compat/next?to=good`,
      "<responses.0.next>",
      "<NEXT>",
    ]);

    const before = server.requestCount("GET", "/echo");
    const result = await runManifest(fromResponse("good"), options());
    expect(result.error).toBeUndefined();
    expect(result.status).toBe("succeeded");
    expect(server.requestCount("GET", "/echo") - before).toBe(2);
  });

  it("fails its own step when the response gives no absolute URL; the earlier step stays sent", async () => {
    const before = server.requestCount("GET", "/compat/next");
    const result = await runManifest(fromResponse("bad"), options());
    expect(result.status).toBe("failed");
    expect(result.error).toMatchObject({
      code: "URL_INVALID",
      step: 1,
      path: "execute[1].url",
      message: 'the URL must be absolute http(s) after rendering (got "users/2")',
    });
    expect(server.requestCount("GET", "/compat/next") - before).toBe(1);
    expect(result.steps.map((step) => step.index)).toEqual([0]);
  });

  it("is still refused before the run when it depends only on inputs", async () => {
    const before = server.requests.length;
    const result = await runManifest(
      { execute: [{ url: "{{ BASE_URL }}/x", method: "GET" }] },
      options({ params: { BASE_URL: "example.com" } }),
    );
    expect(result.status).toBe("invalid");
    expect(result.problems?.[0]).toMatchObject({ code: "URL_INVALID", path: "execute[0].url" });
    expect(server.requests.length).toBe(before);
  });
});

describe('extra_headers: "pritunl"', () => {
  const manifest = {
    execute: [
      { url: "{{ BASE_URL }}/compat/pritunl?x=1", method: "GET", extra_headers: "pritunl" },
    ],
  };
  const PRITUNL_API_TOKEN = "pritunl_token_8c1d2e";
  const PRITUNL_API_SECRET = "pritunl_secret_4b7a9f";

  it("signs with PRITUNL_API_TOKEN / PRITUNL_API_SECRET when API_TOKEN / API_SECRET are absent", async () => {
    let verified = false;
    server.route("GET", "/compat/pritunl", (req, res) => {
      const h = req.headers as Record<string, string>;
      const expected = createHmac("sha256", PRITUNL_API_SECRET)
        .update(
          [h["auth-token"], h["auth-timestamp"], h["auth-nonce"], "GET", "/compat/pritunl"].join(
            "&",
          ),
        )
        .digest("base64");
      verified = h["auth-token"] === PRITUNL_API_TOKEN && h["auth-signature"] === expected;
      sendJson(res, verified ? 200 : 401, { ok: verified });
    });
    const secrets = { PRITUNL_API_TOKEN, PRITUNL_API_SECRET };
    expect(dryRun(manifest, options({ secrets })).problems).toEqual([]);
    const result = await runManifest(manifest, options({ secrets }));
    expect(result.error).toBeUndefined();
    expect(result.status).toBe("succeeded");
    expect(verified).toBe(true);
    const text = JSON.stringify(result);
    expect(text).not.toContain(PRITUNL_API_TOKEN);
    expect(text).not.toContain(PRITUNL_API_SECRET);
  });

  it("names both spellings when neither is given, before anything is sent", async () => {
    const before = server.requests.length;
    const result = await runManifest(manifest, options({ secrets: { API_TOKEN: "only_token" } }));
    expect(result.status).toBe("invalid");
    expect(result.problems?.[0]?.message).toBe(
      'extra_headers "pritunl" signs with the secrets API_TOKEN and API_SECRET (or PRITUNL_API_TOKEN and PRITUNL_API_SECRET); missing: API_SECRET',
    );
    expect(server.requests.length).toBe(before);
  });
});

describe("sync users", () => {
  it("keeps an entry that lacks a mapped field other than email, and says what was missing", async () => {
    const result = await runManifest(
      {
        action: "create",
        execute: [{ url: "{{ BASE_URL }}/compat/users", method: "GET" }],
        data_from: "users",
        data_structure: { email: "mail", first_name: "name.first", department: "dept" },
      },
      { ...options(), block: "sync" },
    );
    expect(result.status).toBe("succeeded");
    expect(result.result).toMatchObject({
      users: [
        { email: "ada@example.com", first_name: "Ada", department: "R&D" },
        { email: "grace@example.com", first_name: "Grace" },
      ],
      incomplete: [{ page: 1, index: 1, email: "grace@example.com", missing: ["department"] }],
      skipped: [{ page: 1, index: 2 }],
    });
    const skipped = (result.result as { skipped: Array<{ reason: string }> }).skipped;
    expect(skipped[0]!.reason).toContain("mail (for email) not found");
  });
});

describe("form fields", () => {
  const manifest = (required?: boolean, use = false) => ({
    form: [
      {
        id: "TEAM",
        name: "Team",
        type: "input",
        ...(required !== undefined ? { required } : {}),
      },
    ],
    execute: [{ url: `{{ BASE_URL }}/echo${use ? "?team={{ TEAM }}" : ""}`, method: "GET" }],
  });

  it("are optional unless required: true, as in ChiefOnboarding", async () => {
    const result = await runManifest(manifest(), options());
    expect(result.error).toBeUndefined();
    expect(result.status).toBe("succeeded");
    const refused = await runManifest(manifest(true), options());
    expect(refused.status).toBe("invalid");
    expect(refused.problems?.[0]).toMatchObject({ code: "INPUT_MISSING", path: "form" });
  });

  it("an unanswered field a step uses is an unknown variable, found before anything is sent", async () => {
    const before = server.requests.length;
    const result = await runManifest(manifest(undefined, true), options());
    expect(result.status).toBe("invalid");
    expect(result.problems?.[0]).toMatchObject({
      code: "TEMPLATE_UNDEFINED_VARIABLE",
      path: "execute[0].url",
      message: 'unknown variable "TEAM": it is a form field and the run has no answer for it',
    });
    expect(server.requests.length).toBe(before);
  });
});

describe("a run refused before sending", () => {
  it('has status "invalid", every problem, and the first one as its error', async () => {
    const result = await runManifest(
      { execute: [{ url: "{{ BASE_URL }}/echo?t={{ TOKEN }}&o={{ ORG }}" }] },
      options(),
    );
    expect(result.status).toBe("invalid");
    expect(result.problems).toHaveLength(2);
    expect(result.error).toEqual(result.problems![0]);
    expect(result.error?.message).toBe('unknown variable "TOKEN"');
  });
});

describe("the service", () => {
  it("runs a URL from a response and previews a sync entry that lacks a field", async () => {
    const svc = await startInProcessService({ HIREWIRE_SANDBOX: "off" });
    try {
      const chained = await svc.api("POST", "/api/integrations", {
        name: "Chained",
        manifest: {
          execute: [
            { url: `${server.url}/compat/next?to=good`, method: "GET" },
            { url: "{{ responses.0.next }}", method: "GET" },
          ],
        },
      });
      expect(chained.status, chained.text).toBe(201);
      const hire = await svc.api("POST", "/api/hires", { email: "ada@example.com" });
      expect(hire.status, hire.text).toBe(201);
      const started = await svc.api("POST", "/api/runs", {
        integration_id: chained.body.id,
        hire_id: hire.body.hire.id,
      });
      expect(started.status, started.text).toBe(202);
      expect((await svc.finished(started.body.id)).status).toBe("succeeded");

      const sync = await svc.api("POST", "/api/integrations", {
        name: "Directory",
        manifest: {
          action: "create",
          execute: [{ url: `${server.url}/compat/users`, method: "GET" }],
          data_from: "users",
          data_structure: { email: "mail", first_name: "name.first", department: "dept" },
        },
      });
      expect(sync.status, sync.text).toBe(201);
      const run = await svc.api("POST", `/api/integrations/${sync.body.id}/sync`);
      expect(run.status, run.text).toBe(202);
      await svc.finished(run.body.id);
      const preview = await svc.api(
        "GET",
        `/api/integrations/${sync.body.id}/sync/${run.body.id}/preview`,
      );
      expect(preview.body.plan.create).toEqual([
        { email: "grace@example.com", first_name: "Grace" },
      ]);
      expect(preview.body.plan.incomplete).toEqual([
        { page: 1, index: 1, email: "grace@example.com", missing: ["department"] },
      ]);
    } finally {
      await svc.close();
    }
  });
});
