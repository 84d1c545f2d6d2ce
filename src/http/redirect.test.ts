import { describe, expect, it } from "vitest";
import { isRedirectStatus, nextHopRequest, type HopRequest } from "./redirect.ts";

const base: HopRequest = {
  method: "POST",
  url: new URL("https://api.example.com/a"),
  headers: [
    ["Content-Type", "application/json"],
    ["Authorization", "Bearer t"],
    ["cookie", "s=1"],
  ],
  body: { kind: "text", text: "{}" },
};

describe("nextHopRequest", () => {
  it("knows which statuses redirect", () => {
    expect([301, 302, 303, 307, 308].every(isRedirectStatus)).toBe(true);
    expect([200, 300, 304, 305].some(isRedirectStatus)).toBe(false);
  });

  it("keeps a HEAD a HEAD on 303", () => {
    const next = nextHopRequest(
      { ...base, method: "HEAD" },
      303,
      new URL("https://api.example.com/b"),
    );
    expect(next.method).toBe("HEAD");
  });

  it("keeps DELETE and its body on 301", () => {
    const next = nextHopRequest(
      { ...base, method: "DELETE" },
      301,
      new URL("https://api.example.com/b"),
    );
    expect(next).toMatchObject({ method: "DELETE", body: { kind: "text", text: "{}" } });
  });

  it("drops body headers when becoming a GET, credentials only across origins", () => {
    const same = nextHopRequest(base, 303, new URL("https://api.example.com/b"));
    expect(same.headers).toEqual([
      ["Authorization", "Bearer t"],
      ["cookie", "s=1"],
    ]);
    const otherPort = nextHopRequest(base, 307, new URL("https://api.example.com:8443/b"));
    expect(otherPort.headers).toEqual([["Content-Type", "application/json"]]);
    expect(otherPort.body).toEqual({ kind: "text", text: "{}" });
  });

  it("leaves behind every header holding a secret and refuses to resend a body holding one", () => {
    const holdsSecret = (text: string) => text.includes("s3cret");
    const withKey: HopRequest = {
      ...base,
      headers: [...base.headers, ["X-Api-Key", "s3cret"], ["X-Trace", "t-1"]],
      body: { kind: "text", text: '{"key":"s3cret"}' },
    };
    const get = nextHopRequest(withKey, 303, new URL("https://other.example/b"), holdsSecret);
    expect(get.headers).toEqual([["X-Trace", "t-1"]]);
    const same = nextHopRequest(withKey, 307, new URL("https://api.example.com/b"), holdsSecret);
    expect(same.headers).toContainEqual(["X-Api-Key", "s3cret"]);
    expect(() =>
      nextHopRequest(withKey, 307, new URL("https://other.example/b"), holdsSecret),
    ).toThrow(expect.objectContaining({ code: "HTTP_REDIRECT_SECRET" }));
    const multipart: HopRequest = {
      ...withKey,
      body: { kind: "multipart", fields: [{ name: "key", value: "s3cret" }], files: [] },
    };
    expect(() =>
      nextHopRequest(multipart, 308, new URL("https://other.example/b"), holdsSecret),
    ).toThrow(/body holds a secret, so it was not resent/);
  });
});
