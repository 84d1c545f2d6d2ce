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
});
