import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { gunzipSync } from "node:zlib";
import { EDITOR_BUNDLE_MISSING, UI_CONTENT_SECURITY_POLICY, uiRoutes } from "./ui-routes.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "hirewire-ui-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const folder = () => new URL(`${pathToFileURL(dir).href}/`);

describe("uiRoutes", () => {
  it("serves index.html at / and the files beside it under /ui/, with the security headers", async () => {
    await writeFile(join(dir, "index.html"), "<!doctype html><title>t</title>");
    await writeFile(join(dir, "app.js"), "export {};");
    await writeFile(join(dir, "style.css"), "body {}");
    const app = uiRoutes({ staticDir: folder() });
    const index = await app.request("/");
    expect(index.status).toBe(200);
    expect(await index.text()).toBe("<!doctype html><title>t</title>");
    expect(index.headers.get("content-security-policy")).toBe(UI_CONTENT_SECURITY_POLICY);
    expect(index.headers.get("x-content-type-options")).toBe("nosniff");
    expect(index.headers.get("x-frame-options")).toBe("DENY");
    const script = await app.request("/ui/app.js");
    expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect((await app.request("/ui/style.css")).headers.get("content-type")).toBe(
      "text/css; charset=utf-8",
    );
  });

  it("serves only plainly named files of the folder itself", async () => {
    await writeFile(join(dir, "index.html"), "x");
    await writeFile(join(dir, "notes.ts"), "secret plans");
    await writeFile(join(dir, ".env"), "A=1");
    await mkdir(join(dir, "sub"));
    await writeFile(join(dir, "sub", "a.js"), "x");
    const app = uiRoutes({ staticDir: folder() });
    for (const path of [
      "/ui/notes.ts",
      "/ui/.env",
      "/ui/sub/a.js",
      "/ui/..%2Fui-routes.ts",
      "/ui/%2e%2e%2fpackage.json",
      "/ui/missing.js",
    ]) {
      const reply = await app.request(path);
      expect(reply.status, path).toBe(404);
      expect(await reply.text()).not.toContain("secret plans");
    }
  });

  it("says what is missing when the UI's files were not built", async () => {
    const app = uiRoutes({ staticDir: new URL(`${pathToFileURL(dir).href}/nothing/`) });
    const reply = await app.request("/");
    expect(reply.status).toBe(404);
    expect(await reply.text()).toContain("npm run build");
  });

  it("serves the code editor bundle from vendor/, gzipped when accepted, with an ETag for 304s", async () => {
    const code = `export const editor = "${"x".repeat(5000)}";`;
    await writeFile(join(dir, "index.html"), "x");
    await mkdir(join(dir, "vendor"));
    await writeFile(join(dir, "vendor", "editor.bundle.js"), code);
    await writeFile(join(dir, "vendor", "other.js"), "x");
    const app = uiRoutes({ staticDir: folder() });
    const plain = await app.request("/ui/vendor/editor.bundle.js");
    expect(plain.status).toBe(200);
    expect(plain.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(plain.headers.get("content-security-policy")).toBe(UI_CONTENT_SECURITY_POLICY);
    expect(plain.headers.get("content-encoding")).toBeNull();
    expect(await plain.text()).toBe(code);
    const etag = plain.headers.get("etag")!;
    expect(etag).toMatch(/^W\/"[\w-]+"$/);
    expect(plain.headers.get("cache-control")).toBe("no-cache");

    const zipped = await app.request("/ui/vendor/editor.bundle.js", {
      headers: { "accept-encoding": "gzip, deflate, br" },
    });
    expect(zipped.headers.get("content-encoding")).toBe("gzip");
    expect(zipped.headers.get("vary")).toBe("accept-encoding");
    const bytes = Buffer.from(await zipped.arrayBuffer());
    expect(bytes.length).toBeLessThan(code.length / 10);
    expect(gunzipSync(bytes).toString()).toBe(code);

    const again = await app.request("/ui/vendor/editor.bundle.js", {
      headers: { "if-none-match": etag },
    });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
    expect(
      (await app.request("/ui/index.html", { headers: { "if-none-match": etag } })).status,
    ).toBe(200);
    expect((await app.request("/ui/vendor/other.js")).status).toBe(404);
  });

  it("says, once at start and on request, that the editor bundle was not built", async () => {
    await writeFile(join(dir, "index.html"), "x");
    const told: string[] = [];
    const app = uiRoutes({ staticDir: folder(), onMissingBundle: (message) => told.push(message) });
    await expect.poll(() => told).toEqual([EDITOR_BUNDLE_MISSING]);
    expect(EDITOR_BUNDLE_MISSING).toContain("npm run build");
    const reply = await app.request("/ui/vendor/editor.bundle.js");
    expect(reply.status).toBe(404);
    expect(await reply.text()).toBe(EDITOR_BUNDLE_MISSING);
    expect((await app.request("/")).status).toBe(200);
    expect(told).toHaveLength(1);
  });
});
