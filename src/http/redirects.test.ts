// Redirects followed by hand: hops recorded, method and body rules, credentials kept in origin,
// loops stopped, and the egress check applied to every hop.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTargetServer, type TargetServer } from "../../test/support/target-server.ts";
import type { AttemptOutcome, RequestSpec } from "../exchange/types.ts";
import { DiskFileStore } from "../files/index.ts";
import { sendAttempt, type SendOptions } from "./send-attempt.ts";

let first: TargetServer;
let second: TargetServer;
// Redirect tests never touch files; the store only satisfies the options type.
const options: SendOptions = { files: new DiskFileStore("/nonexistent-hirewire"), runId: "r" };

beforeAll(async () => {
  first = await startTargetServer();
  second = await startTargetServer();
});

afterAll(async () => {
  await first.close();
  await second.close();
});

function spec(url: string, overrides: Partial<RequestSpec> = {}): RequestSpec {
  return {
    method: "GET",
    url,
    headers: [],
    body: { kind: "none" },
    timeoutMs: 5000,
    maxRedirects: 10,
    ...overrides,
  };
}

function echoed(outcome: AttemptOutcome) {
  if (outcome.type !== "response") throw new Error(outcome.error.message);
  return {
    outcome,
    echo: outcome.response.json as {
      method: string;
      body: string;
      headers: Record<string, string | undefined>;
    },
  };
}

describe("redirects", () => {
  it("follows a chain and records every hop", async () => {
    const { outcome, echo } = echoed(await sendAttempt(spec(`${first.url}/redirect/3`), options));
    expect(echo.method).toBe("GET");
    expect(outcome.response.url).toBe(`${first.url}/echo`);
    expect(outcome.redirects).toEqual([
      {
        status: 302,
        method: "GET",
        url: `${first.url}/redirect/3`,
        location: `${first.url}/redirect/2`,
      },
      {
        status: 302,
        method: "GET",
        url: `${first.url}/redirect/2`,
        location: `${first.url}/redirect/1`,
      },
      { status: 302, method: "GET", url: `${first.url}/redirect/1`, location: `${first.url}/echo` },
    ]);
  });

  it("stops a loop after maxRedirects", async () => {
    const outcome = await sendAttempt(spec(`${first.url}/redirect-loop`), options);
    if (outcome.type !== "error") throw new Error("expected an error");
    expect(outcome.error).toEqual({
      code: "HTTP_TOO_MANY_REDIRECTS",
      message: `too many redirects (more than 10) starting at ${first.url}/redirect-loop`,
      details: { maxRedirects: 10 },
    });
    expect(outcome.redirects).toHaveLength(11);
  });

  it("turns a POST into a GET without body on 303", async () => {
    const { outcome, echo } = echoed(
      await sendAttempt(
        spec(`${first.url}/redirect-to?url=/echo&status=303`, {
          method: "POST",
          headers: [["Content-Type", "application/json"]],
          body: { kind: "text", text: '{"a":1}' },
        }),
        options,
      ),
    );
    expect(echo.method).toBe("GET");
    expect(echo.body).toBe("");
    expect(echo.headers["content-type"]).toBeUndefined();
    expect(outcome.redirects[0]).toMatchObject({ status: 303, method: "POST" });
  });

  it("turns a POST into a GET on 302 but keeps PUT", async () => {
    const post = echoed(
      await sendAttempt(
        spec(`${first.url}/redirect-to?url=/echo&status=302`, {
          method: "POST",
          body: { kind: "text", text: "x" },
        }),
        options,
      ),
    );
    expect(post.echo.method).toBe("GET");
    const put = echoed(
      await sendAttempt(
        spec(`${first.url}/redirect-to?url=/echo&status=302`, {
          method: "PUT",
          body: { kind: "text", text: "x" },
        }),
        options,
      ),
    );
    expect(put.echo).toMatchObject({ method: "PUT", body: "x" });
  });

  it("keeps method and body on 307 and 308", async () => {
    for (const status of [307, 308]) {
      const { echo } = echoed(
        await sendAttempt(
          spec(`${first.url}/redirect-to?url=/echo&status=${status}`, {
            method: "POST",
            headers: [["Content-Type", "text/plain"]],
            body: { kind: "text", text: "keep me" },
          }),
          options,
        ),
      );
      expect(echo).toMatchObject({ method: "POST", body: "keep me" });
      expect(echo.headers["content-type"]).toBe("text/plain");
    }
  });

  it("drops Authorization and Cookie when the redirect leaves the origin", async () => {
    const headers: Array<[string, string]> = [
      ["Authorization", "Bearer secret"],
      ["Cookie", "session=1"],
      ["X-Keep", "yes"],
    ];
    const sameOrigin = echoed(
      await sendAttempt(spec(`${first.url}/redirect/1`, { headers }), options),
    );
    expect(sameOrigin.echo.headers).toMatchObject({
      authorization: "Bearer secret",
      cookie: "session=1",
    });

    const target = encodeURIComponent(`${second.url}/echo`);
    const crossOrigin = echoed(
      await sendAttempt(spec(`${first.url}/redirect-to?url=${target}`, { headers }), options),
    );
    expect(crossOrigin.outcome.response.url).toBe(`${second.url}/echo`);
    expect(crossOrigin.echo.headers.authorization).toBeUndefined();
    expect(crossOrigin.echo.headers.cookie).toBeUndefined();
    expect(crossOrigin.echo.headers["x-keep"]).toBe("yes");
  });

  it("refuses a non-http location", async () => {
    const target = encodeURIComponent("ftp://example.com/file");
    const outcome = await sendAttempt(spec(`${first.url}/redirect-to?url=${target}`), options);
    if (outcome.type !== "error") throw new Error("expected an error");
    expect(outcome.error.code).toBe("URL_INVALID");
  });
});

describe("egress check", () => {
  const denyLiteral = (host: string): string | undefined =>
    host === "127.0.0.1" ? "127.0.0.1 is not an allowed destination" : undefined;
  const seen: Array<[string, string]> = [];
  const recordAndAllow = (host: string, address: string): string | undefined => {
    seen.push([host, address]);
    return undefined;
  };

  it("refuses a denied IP literal before connecting", async () => {
    const before = first.requests.length;
    const outcome = await sendAttempt(spec(`${first.url}/echo`), {
      ...options,
      checkAddress: denyLiteral,
    });
    if (outcome.type !== "error") throw new Error("expected an error");
    expect(outcome.error).toMatchObject({
      code: "HTTP_EGRESS_DENIED",
      message: "127.0.0.1 is not an allowed destination",
    });
    expect(first.requests.length).toBe(before);
  });

  it("checks resolved addresses of a host name and connects to them", async () => {
    const outcome = await sendAttempt(spec(`http://localhost:${first.port}/echo`), {
      ...options,
      checkAddress: recordAndAllow,
    });
    expect(outcome.type).toBe("response");
    expect(seen.some(([host, address]) => host === "localhost" && address === "127.0.0.1")).toBe(
      true,
    );
  });

  it("refuses a host name whose address is denied", async () => {
    const denyLoopback = (_host: string, address: string): string | undefined =>
      address === "127.0.0.1" || address === "::1" ? `${address} is a loopback address` : undefined;
    const outcome = await sendAttempt(spec(`http://localhost:${first.port}/echo`), {
      ...options,
      checkAddress: denyLoopback,
    });
    if (outcome.type !== "error") throw new Error("expected an error");
    expect(outcome.error.code).toBe("HTTP_EGRESS_DENIED");
    expect(outcome.error.message).toMatch(/is a loopback address$/);
  });

  it("checks every redirect hop", async () => {
    const before = second.requestCount("GET", "/echo");
    const target = encodeURIComponent(`${second.url}/echo`);
    const outcome = await sendAttempt(
      spec(`http://localhost:${first.port}/redirect-to?url=${target}`),
      { ...options, checkAddress: denyLiteral },
    );
    if (outcome.type !== "error") throw new Error("expected an error");
    expect(outcome.error.code).toBe("HTTP_EGRESS_DENIED");
    expect(outcome.redirects).toHaveLength(1);
    expect(second.requestCount("GET", "/echo")).toBe(before);
  });
});
