import { describe, expect, it } from "vitest";
import { isHirewireError } from "../../errors/index.ts";
import type { Manifest } from "../../manifest/types.ts";
import { authorizeUrl } from "./authorize-url.ts";

function manifest(authenticate_url?: string): Manifest {
  return {
    execute: [{ url: "https://api.example.com/users" }],
    oauth: authenticate_url !== undefined ? { authenticate_url } : {},
  };
}

const base = {
  secrets: { CLIENT_ID: "client 1" },
  redirectUrl: "https://hirewire.example.com/oauth/int_1/callback",
  state: "st/ate+1",
};

function failure(run: () => unknown) {
  try {
    run();
  } catch (error) {
    if (isHirewireError(error))
      return { code: error.code, path: error.path, message: error.message };
    throw error;
  }
  throw new Error("expected an error");
}

describe("authorizeUrl", () => {
  // urlencode is Django's: "/" stays as it is.
  it("renders secrets and redirect_url, and appends the state keeping the admin's encoding", () => {
    const url = authorizeUrl({
      ...base,
      manifest: manifest(
        "https://auth.example.com/authorize?client_id={{ CLIENT_ID|urlencode }}&redirect_uri={{ redirect_url|urlencode }}&scope=a%20b",
      ),
    });
    expect(url).toBe(
      "https://auth.example.com/authorize?client_id=client%201&redirect_uri=https%3A//hirewire.example.com/oauth/int_1/callback&scope=a%20b&state=st%2Fate%2B1",
    );
  });

  it("adds a query when there is none, before a fragment", () => {
    const url = authorizeUrl({ ...base, manifest: manifest("https://auth.example.com/login#top") });
    expect(url).toBe("https://auth.example.com/login?state=st%2Fate%2B1#top");
  });

  it("replaces a state the manifest brought", () => {
    const url = new URL(
      authorizeUrl({ ...base, manifest: manifest("https://auth.example.com/a?state=mine&x=1") }),
    );
    expect(url.searchParams.getAll("state")).toEqual(["st/ate+1"]);
    expect(url.searchParams.get("x")).toBe("1");
  });

  it("names the problem: no URL, unknown variable, not http(s)", () => {
    expect(failure(() => authorizeUrl({ ...base, manifest: manifest() }))).toMatchObject({
      code: "INPUT_INVALID",
      path: "oauth.authenticate_url",
    });
    expect(
      failure(() =>
        authorizeUrl({ ...base, manifest: manifest("https://a.example.com/?id={{ TENANT }}") }),
      ),
    ).toMatchObject({ code: "TEMPLATE_UNDEFINED_VARIABLE", path: "oauth.authenticate_url" });
    expect(
      failure(() => authorizeUrl({ ...base, manifest: manifest("auth.example.com/login") })),
    ).toMatchObject({ code: "URL_INVALID" });
  });
});
