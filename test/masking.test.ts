// Secrets a target echoes back in forms the literal list of encodings missed, secrets changed by
// filters, records cut at 64 KiB, and redirects to another origin: run by the library against a
// real local target, checking the whole result (what --json prints and --state saves).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runManifest, type RunOptions } from "../src/runner/index.ts";
import { urlEncode } from "../src/template/text-filters.ts";
import { sendJson, startTargetServer, type TargetServer } from "./support/target-server.ts";

let server: TargetServer;
let filesDir: string;

beforeAll(async () => {
  server = await startTargetServer();
  filesDir = await mkdtemp(join(tmpdir(), "hirewire-masking-test-"));
  // Echoes the raw request line, headers and body as ASCII-only JSON (like Python's json.dumps).
  server.route("*", "/mirror/:rest", (req, res) => {
    const body = JSON.stringify({
      url: req.raw.url,
      headers: req.headers,
      body: req.body,
    }).replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
    res.writeHead(200, { "content-type": "application/json" }).end(body);
  });
  server.route("*", "/nested", (req, res) => sendJson(res, 200, { received: req.body }));
  server.route("*", "/fail-with", (req, res) => {
    res.writeHead(500, { "content-type": "text/plain" }).end(`${"e".repeat(290)}${req.body}`);
  });
  server.route("*", "/filler", (req, res) => {
    res.writeHead(200, { "content-type": "text/plain" }).end(`${"f".repeat(65_526)}${req.body}`);
  });
});
afterAll(async () => {
  await server.close();
  await rm(filesDir, { recursive: true, force: true });
});

function options(secret: string): RunOptions {
  return {
    hire: { email: "ada@example.com" },
    secrets: { SECRET: secret },
    params: { BASE_URL: server.url, OTHER_ORIGIN: server.url.replace("127.0.0.1", "localhost") },
    filesDir,
    engine: { retryBaseMs: 5, retryMaxDelayMs: 20 },
  };
}

async function run(secret: string, step: Record<string, unknown>) {
  const result = await runManifest({ execute: [{ retry: { max: 0 }, ...step }] }, options(secret));
  return { result, text: JSON.stringify(result) };
}

describe("masking what a secret became", () => {
  it("masks {{ SECRET|urlencode }} echoed back (finding 2)", async () => {
    const secret = "q8Yt/3kLm+Zp9wX2vR7s==";
    const { result, text } = await run(secret, {
      url: "{{ BASE_URL }}/mirror/x?k={{ SECRET|urlencode }}",
      method: "GET",
    });
    expect(result.status).toBe("succeeded");
    expect(text).toContain("***SECRET***");
    expect(text).not.toContain(urlEncode(secret));
    expect(text).not.toContain("3kLm");
  });

  it.each(["upper", "lower", "title", "capfirst", "slugify"])(
    "masks {{ SECRET|%s }} sent in a header and echoed back (finding 3)",
    async (filter) => {
      const secret = "mixedCase-Secret value";
      const { result, text } = await run(secret, {
        url: "{{ BASE_URL }}/mirror/x",
        method: "GET",
        headers: { "X-Key": `{{ SECRET|${filter} }}` },
      });
      expect(result.status).toBe("succeeded");
      const sent = server.requests.at(-1)!.headers["x-key"] as string;
      expect(sent.toLowerCase()).toContain("mixedcase");
      expect(text).not.toContain(sent);
      expect(text.toLowerCase()).not.toContain("mixedcase");
    },
  );

  it("masks a secret with ' and a space as the URL parser sent it and the target echoed it (finding 3)", async () => {
    const secret = "it's a secret";
    const { result, text } = await run(secret, {
      url: "{{ BASE_URL }}/mirror/{{ SECRET }}?q={{ SECRET }}",
      method: "GET",
    });
    expect(result.status).toBe("succeeded");
    expect(server.requests.at(-1)!.query.q).toBe(secret);
    expect(text).not.toContain("it%27s");
    expect(text).not.toContain("it's%20a");
    expect(text).not.toContain("a%20secret");
  });

  it("masks a non-ASCII secret echoed as \\u00e4 escapes (finding 3)", async () => {
    const secret = "pässwörd-ä";
    const { result, text } = await run(secret, {
      url: "{{ BASE_URL }}/mirror/x",
      data: { password: "{{ SECRET }}" },
    });
    expect(result.status).toBe("succeeded");
    expect(text).toContain("***SECRET***");
    expect(text).not.toMatch(/p(ä|\\+u00e4)ssw/i);
  });

  it('masks a secret with " and \\ echoed inside a JSON string, escaped twice (finding 3)', async () => {
    const secret = 'pa"ss\\wd-42';
    const { result, text } = await run(secret, {
      url: "{{ BASE_URL }}/nested",
      data: { password: "{{ SECRET }}" },
    });
    expect(result.status).toBe("succeeded");
    expect(text).not.toContain("ss\\\\\\\\wd");
    expect(text).not.toContain("wd-42");
    expect(text).toContain("***SECRET***");
  });

  it("masks before cutting the body at 64 KiB: never a partial secret (finding 3)", async () => {
    const secret = "q8Yt/3kLm+Zp9wX2vR7s==";
    const { result, text } = await run(secret, {
      url: "{{ BASE_URL }}/filler",
      data: "{{ SECRET }}",
      cast_data_to_json: false,
    });
    expect(result.status).toBe("succeeded");
    // `***SECRET***` does not fit in the 10 characters left: the cut comes before it.
    const body = result.steps[0]!.attempts[0]!.response!.body!;
    expect(body).toBe(`${"f".repeat(65_526)}… (${secret.length} more chars)`);
    for (let n = 4; n <= secret.length; n++) expect(text).not.toContain(secret.slice(0, n));
  });
});

describe("stored fields that hold a secret", () => {
  it("masks what a filter makes of a secret stored field, and still sends the field raw", async () => {
    const secret = "Stored-Secret value 42";
    const result = await runManifest(
      {
        execute: [
          {
            url: "{{ BASE_URL }}/mirror/x",
            method: "GET",
            headers: { "X-Raw": "{{ AUTH }}", "X-Key": "{{ AUTH|upper }}" },
            retry: { max: 0 },
          },
        ],
      },
      {
        ...options("unrelated-secret"),
        stored: { AUTH: `Bearer ${secret}` },
        storedSecrets: [{ name: "stored.AUTH", value: secret }],
      },
    );
    expect(result.status).toBe("succeeded");
    const sent = server.requests.at(-1)!.headers;
    expect(sent["x-raw"]).toBe(`Bearer ${secret}`);
    expect(sent["x-key"]).toBe(`BEARER ${secret.toUpperCase()}`);
    const text = JSON.stringify(result);
    expect(text).toContain("***stored.AUTH***");
    expect(text).not.toContain(secret);
    expect(text).not.toContain(secret.toUpperCase());
  });
});

describe("error messages quoting a response", () => {
  it("mask before shortening the excerpt, so no part of a secret is quoted", async () => {
    const secret = "q8Yt/3kLm+Zp9wX2vR7s==";
    const { result, text } = await run(secret, {
      url: "{{ BASE_URL }}/fail-with",
      data: "{{ SECRET }}",
      cast_data_to_json: false,
    });
    expect(result.status).toBe("failed");
    expect(result.error?.message).toContain("eeee");
    for (let n = 4; n <= secret.length; n++) expect(text).not.toContain(secret.slice(0, n));
  });
});

describe("redirects to another origin (finding 4)", () => {
  it("drops a custom header carrying a secret, keeps the others", async () => {
    const secret = "xk_live_Redirect99";
    const { result } = await run(secret, {
      url: "{{ BASE_URL }}/redirect-to?status=302&url={{ OTHER_ORIGIN|urlencode }}/echo",
      method: "GET",
      headers: { "X-Api-Key": "{{ SECRET }}", "X-Trace": "trace-1" },
    });
    expect(result.status).toBe("succeeded");
    const arrived = server.requests.at(-1)!;
    expect(arrived.headers.host).toMatch(/^localhost:/);
    expect(arrived.headers["x-api-key"]).toBeUndefined();
    expect(arrived.headers["x-trace"]).toBe("trace-1");
    // The same origin still gets it.
    const same = await run(secret, {
      url: "{{ BASE_URL }}/redirect-to?status=302&url=/echo",
      method: "GET",
      headers: { "X-Api-Key": "{{ SECRET }}" },
    });
    expect(same.result.status).toBe("succeeded");
    expect(server.requests.at(-1)!.headers["x-api-key"]).toBe(secret);
  });

  it("fails the step, unretried, rather than resend a body holding a secret on a 307", async () => {
    const secret = "xk_live_Body307";
    const before = server.requests.length;
    const { result, text } = await run(secret, {
      url: "{{ BASE_URL }}/redirect-to?status=307&url={{ OTHER_ORIGIN|urlencode }}/echo",
      data: { key: "{{ SECRET }}" },
      retry: { max: 3 },
    });
    expect(result.status).toBe("failed");
    expect(result.error?.code).toBe("HTTP_REDIRECT_SECRET");
    expect(result.error?.message).toMatch(/body holds a secret, so it was not resent/);
    expect(server.requests.slice(before).map((r) => r.path)).toEqual(["/redirect-to"]);
    expect(text).not.toContain(secret);
  });

  it("resends a 307 body without secrets to another origin", async () => {
    const { result } = await run("xk_live_NotInBody", {
      url: "{{ BASE_URL }}/redirect-to?status=307&url={{ OTHER_ORIGIN|urlencode }}/echo",
      data: { name: "Ada" },
    });
    expect(result.status).toBe("succeeded");
    expect(server.requests.at(-1)!.body).toBe('{"name":"Ada"}');
  });
});
