import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { UI_CONTENT_SECURITY_POLICY, uiRoutes } from "./ui-routes.ts";

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
});
