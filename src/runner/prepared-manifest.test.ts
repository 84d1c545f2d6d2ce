import { describe, expect, it } from "vitest";
import { validateManifest } from "../manifest/index.ts";
import { validated } from "./prepared-manifest.ts";

function manifestOf(url: string) {
  return { execute: [{ url, method: "GET", data: { list: [1, { deep: "a" }] } }] } as {
    execute: Array<Record<string, unknown> & { data: { list: unknown[] } }>;
  };
}

describe("validated (raw manifests)", () => {
  it("answers an object given again, unchanged, with the same prepared manifest", () => {
    const manifest = manifestOf("https://api.example.com/a");
    const first = validated(manifest);
    expect(first.ok).toBe(true);
    expect(validated(manifest)).toBe(first);
    // Another object with the same JSON is the same manifest too.
    expect(validated(manifestOf("https://api.example.com/a"))).toBe(first);
  });

  it("sees every change to an object given before, however deep", () => {
    const manifest = manifestOf("https://api.example.com/b");
    const url = (result: ReturnType<typeof validated>) =>
      result.ok ? (result.manifest.execute[0]!.data as { list: unknown[] }).list : undefined;
    validated(manifest);
    (manifest.execute[0]!.data.list[1] as { deep: string }).deep = "b";
    expect(url(validated(manifest))).toEqual([1, { deep: "b" }]);
    manifest.execute[0]!.data.list.push(null);
    expect(url(validated(manifest))).toEqual([1, { deep: "b" }, null]);
    manifest.execute[0]!.data.list[0] = "1";
    expect(url(validated(manifest))).toEqual(["1", { deep: "b" }, null]);
    // A value that is no JSON is judged as it is now, not by what came before.
    manifest.execute[0]!.data.list[2] = new Date(0);
    expect(validated(manifest).ok).toBe(validateManifest(manifest).ok);
    manifest.execute[0]!.data.list[2] = { gone: undefined };
    expect(validated(manifest).ok).toBe(validateManifest(manifest).ok);
    manifest.execute[0]!.data.list[2] = { kept: null };
    expect(url(validated(manifest))).toEqual(["1", { deep: "b" }, { kept: null }]);
    manifest.execute[0]!.method = "FETCH";
    expect(validated(manifest).ok).toBe(false);
    manifest.execute[0]!.method = "GET";
    expect(validated(manifest).ok).toBe(true);
  });
});
