// docs/manifest.md blocks through the library against real local servers: exists, revoke, sync
// pagination, OAuth access_token and refresh, Pritunl signing.
import { createHmac } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runManifest, type RunOptions } from "../src/runner/index.ts";
import { sendJson, startTargetServer, type TargetServer } from "./support/target-server.ts";

let server: TargetServer;
let filesDir: string;

beforeAll(async () => {
  server = await startTargetServer();
  filesDir = await mkdtemp(join(tmpdir(), "hirewire-blocks-"));
});
afterAll(async () => {
  await server.close();
  await rm(filesDir, { recursive: true, force: true });
});

function options(extra: Partial<RunOptions> = {}): RunOptions {
  return {
    hire: { email: "ada@example.com", first_name: "Ada" },
    params: { BASE_URL: server.url },
    filesDir,
    engine: { retryBaseMs: 2, retryMaxDelayMs: 5 },
    ...extra,
  };
}

describe("exists", () => {
  const manifest = (exists: Record<string, unknown>) => ({
    execute: [{ url: "{{ BASE_URL }}/echo" }],
    exists: { url: "{{ BASE_URL }}/echo?email={{ email|urlencode }}", ...exists },
  });

  it("is true when the status matches and the response contains the rendered expected text", async () => {
    const result = await runManifest(manifest({ expected: "{{ email }}" }), {
      ...options(),
      block: "exists",
    });
    expect(result).toMatchObject({ status: "succeeded", result: { exists: true } });
    expect((result.result as { reason: string }).reason).toContain('contains "ada@example.com"');
  });

  it("is false on a status outside status_code or a missing expected text", async () => {
    const notFound = await runManifest(
      { execute: [{ url: "{{ BASE_URL }}/echo" }], exists: { url: "{{ BASE_URL }}/status/404" } },
      { ...options(), block: "exists" },
    );
    expect(notFound.result).toMatchObject({
      exists: false,
      reason: `GET ${server.url}/status/404 answered 404, not a 2xx status`,
    });
    const missing = await runManifest(
      manifest({ expected: "grace@example.com", status_code: [200] }),
      { ...options(), block: "exists" },
    );
    expect(missing.result).toMatchObject({ exists: false });
  });

  it("is unknown when the check cannot be made, with the reason", async () => {
    const refused = await runManifest(
      { execute: [{ url: "{{ BASE_URL }}/echo" }], exists: { url: "http://127.0.0.1:1/users" } },
      { ...options(), block: "exists" },
    );
    expect(refused.status).toBe("succeeded");
    expect(refused.result).toMatchObject({ exists: null });
    expect((refused.result as { reason: string }).reason).toContain("connection refused");
    const down = await runManifest(
      { execute: [{ url: "{{ BASE_URL }}/echo" }], exists: { url: "{{ BASE_URL }}/status/503" } },
      { ...options(), block: "exists" },
    );
    expect(down.result).toMatchObject({ exists: null });
    expect(server.requestCount("GET", "/status/503")).toBe(4);
  });
});

describe("revoke", () => {
  it("runs the revoke steps, checking status_code and expected", async () => {
    server.route("DELETE", "/accounts/:email", (req, res) =>
      sendJson(res, 200, { removed: req.params.email }),
    );
    const manifest = {
      execute: [{ url: "{{ BASE_URL }}/echo" }],
      revoke: [
        {
          url: "{{ BASE_URL }}/accounts/{{ email }}",
          method: "DELETE",
          status_code: [200, 204],
          expected: "{{ email }}",
        },
        { url: "{{ BASE_URL }}/status/404", method: "DELETE", status_code: [204] },
      ],
    };
    const before = server.requests.length;
    const result = await runManifest(manifest, { ...options(), block: "revoke" });
    expect(result.status).toBe("failed");
    expect(result.error).toMatchObject({ code: "HTTP_STATUS", path: "revoke[1]", step: 1 });
    expect(server.requests.slice(before).map((r) => `${r.method} ${r.path}`)).toEqual([
      "DELETE /accounts/ada@example.com",
      "DELETE /status/404",
    ]);
  });
});

describe("sync users", () => {
  const people = Array.from({ length: 25 }, (_, i) => ({
    id: i,
    primaryEmail: `user${i}@corp.test`,
    name: { givenName: `U${i}` },
  }));
  beforeAll(() => {
    server.route("GET", "/directory", (req, res) => {
      const start = Number(req.query.pageToken ?? 0);
      const page = people.slice(start, start + 10);
      const next = start + 10 < people.length ? String(start + 10) : undefined;
      sendJson(res, 200, {
        users: page,
        ...(next !== undefined
          ? { nextPageToken: next, next: `${server.url}/directory?pageToken=${next}` }
          : {}),
      });
    });
  });
  const base = {
    action: "create",
    data_from: "users",
    data_structure: { email: "primaryEmail", first_name: "name.givenName" },
  };

  it("follows next_page_token_from + next_page across pages and maps each user", async () => {
    const manifest = {
      ...base,
      execute: [{ url: "{{ BASE_URL }}/directory", method: "GET" }],
      next_page_token_from: "nextPageToken",
      next_page: "{{ BASE_URL }}/directory?pageToken={{ NEXT_PAGE_TOKEN }}",
    };
    const result = await runManifest(manifest, { ...options(), block: "sync" });
    expect(result.status).toBe("succeeded");
    const sync = result.result as { users: unknown[]; pages: number };
    expect(sync.pages).toBe(3);
    expect(sync.users).toHaveLength(25);
    expect(sync.users[24]).toEqual({ email: "user24@corp.test", first_name: "U24" });
  });

  it("follows next_page_from and stops at amount_pages_to_fetch", async () => {
    const manifest = {
      ...base,
      execute: [{ url: "{{ BASE_URL }}/directory", method: "GET" }],
      next_page_from: "next",
      amount_pages_to_fetch: 2,
    };
    const result = await runManifest(manifest, { ...options(), block: "sync" });
    expect(result.result).toMatchObject({ pages: 2 });
    expect((result.result as { users: unknown[] }).users).toHaveLength(20);
  });

  it("fails clearly when data_from is not in the first response", async () => {
    const manifest = {
      ...base,
      data_from: "members",
      execute: [{ url: "{{ BASE_URL }}/directory", method: "GET" }],
    };
    const result = await runManifest(manifest, { ...options(), block: "sync" });
    expect(result.error).toMatchObject({ code: "SYNC_DATA", path: "data_from" });
    expect(result.error?.message).toMatch(/^data_from "members" is not in the response: /);
  });
});

describe("oauth", () => {
  let issued = 0;
  let currentAccess = "";
  let currentRefresh = "";
  beforeAll(() => {
    server.route("POST", "/oauth/token", (req, res) => {
      const form = new URLSearchParams(req.body);
      if (form.get("grant_type") === "authorization_code" && form.get("code") !== "good-code")
        return sendJson(res, 400, { error: "invalid_grant" });
      if (
        form.get("grant_type") === "refresh_token" &&
        form.get("refresh_token") !== currentRefresh
      )
        return sendJson(res, 400, { error: "invalid_grant" });
      issued += 1;
      currentAccess = `access-token-${issued}-xyz`;
      currentRefresh = `refresh-token-${issued}-xyz`;
      sendJson(res, 200, {
        access_token: currentAccess,
        refresh_token: currentRefresh,
        expires_in: 3600,
      });
    });
    server.route("GET", "/me", (req, res) =>
      req.headers.authorization === `Bearer ${currentAccess}`
        ? sendJson(res, 200, { me: "ok" })
        : sendJson(res, 401, { error: "expired" }),
    );
  });
  const oauth = {
    access_token: {
      url: "{{ BASE_URL }}/oauth/token",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      data: {
        grant_type: "authorization_code",
        code: "{{ code }}",
        redirect_uri: "{{ redirect_url }}",
      },
    },
    refresh: {
      url: "{{ BASE_URL }}/oauth/token",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      data: { grant_type: "refresh_token", refresh_token: "{{ oauth.refresh_token }}" },
    },
  };
  const manifest = {
    oauth,
    headers: { Authorization: "Bearer {{ oauth.access_token }}" },
    execute: [{ url: "{{ BASE_URL }}/me", method: "GET" }],
  };

  it("exchanges the code for tokens through the access_token step and hands them out once", async () => {
    let tokens: Record<string, unknown> | undefined;
    const result = await runManifest(manifest, {
      ...options({ params: { BASE_URL: server.url, code: "good-code" } }),
      redirectUrl: "http://hirewire.test/oauth/int_1/callback",
      block: "oauth",
      onOAuthTokens: (t) => void (tokens = t),
    });
    expect(result.status).toBe("succeeded");
    expect(tokens).toMatchObject({ access_token: currentAccess, refresh_token: currentRefresh });
    expect(typeof tokens!.expires_at).toBe("number");
    expect(JSON.stringify(result)).not.toContain(currentAccess);
  });

  it("refreshes once on a 401 and sends the step again with the new token, masking both tokens", async () => {
    const stale = { access_token: "old-access-token", refresh_token: currentRefresh };
    let saved: Record<string, unknown> | undefined;
    const result = await runManifest(manifest, {
      ...options(),
      oauth: stale,
      onOAuthTokens: (t) => void (saved = t),
    });
    expect(result.status).toBe("succeeded");
    expect(saved?.access_token).toBe(currentAccess);
    const text = JSON.stringify(result);
    expect(text).not.toContain(currentAccess);
    expect(text).not.toContain("old-access-token");
  });

  it("refreshes before the block when the token is about to expire", async () => {
    const expiring = {
      access_token: currentAccess,
      refresh_token: currentRefresh,
      expires_at: Date.now() + 5_000,
    };
    const before = issued;
    const result = await runManifest(manifest, { ...options(), oauth: expiring });
    expect(result.status).toBe("succeeded");
    expect(issued).toBe(before + 1);
    expect(result.steps[0]!.attempts.map((a) => a.name)).toEqual(["oauth.refresh", undefined]);
  });

  it("fails with a clear error when the refresh itself is refused", async () => {
    const result = await runManifest(manifest, {
      ...options(),
      oauth: { access_token: "bad-access", refresh_token: "revoked-refresh" },
    });
    expect(result.error).toMatchObject({ code: "OAUTH_REFRESH", path: "oauth.refresh" });
    expect(result.error?.message).toMatch(
      /^refreshing the OAuth token failed: POST .* answered 400/,
    );
  });
});

describe("pritunl signing", () => {
  it("signs requests with Pritunl's HMAC headers from API_TOKEN and API_SECRET", async () => {
    const secret = "pritunl-secret-value";
    server.route("PUT", "/user/:org", (req, res) => {
      const h = req.headers as Record<string, string>;
      const expected = createHmac("sha256", secret)
        .update([h["auth-token"], h["auth-timestamp"], h["auth-nonce"], "PUT", req.path].join("&"))
        .digest("base64");
      sendJson(res, h["auth-signature"] === expected ? 200 : 401, {
        ok: h["auth-signature"] === expected,
      });
    });
    const manifest = {
      execute: [
        {
          url: "{{ BASE_URL }}/user/org1",
          method: "PUT",
          extra_headers: "pritunl",
          data: { name: "{{ email }}" },
        },
      ],
    };
    const ok = await runManifest(manifest, {
      ...options(),
      secrets: { API_TOKEN: "pritunl-token", API_SECRET: secret },
    });
    expect(ok.status, JSON.stringify(ok.error)).toBe("succeeded");
    expect(JSON.stringify(ok)).not.toContain(secret);
    const missing = await runManifest(manifest, options());
    expect(missing.status).toBe("invalid");
    expect(missing.problems?.[0]?.message).toBe(
      'extra_headers "pritunl" signs with the secrets API_TOKEN and API_SECRET (or PRITUNL_API_TOKEN and PRITUNL_API_SECRET); missing: API_TOKEN, API_SECRET',
    );
  });
});
