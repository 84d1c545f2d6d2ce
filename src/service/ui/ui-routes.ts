// The web UI's static files: `/` answers index.html, `/ui/<file>` the scripts and styles beside it.
// The UI is a plain ES-module page that talks to the JSON API with the admin's bearer token, so
// the server only has to hand out files — with a strict CSP, since the page shows data that came
// from third-party APIs (response bodies) and must never run it.
import { readdir, readFile } from "node:fs/promises";
import { Hono } from "hono";

/** Where the files live: beside this module, in src/ under tsx and in dist/ once built. */
const STATIC_DIR = new URL("./static/", import.meta.url);

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  svg: "image/svg+xml",
};

/** Only flat, plainly named files are served: no path can climb out of the static folder. */
const FILE_NAME = /^[a-z0-9][a-z0-9-]*\.(html|js|css|svg)$/;

/**
 * No inline script or style, nothing from elsewhere; the page only talks to this origin's API.
 * `blob:` lets a run file be downloaded after an authenticated fetch.
 */
export const UI_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": UI_CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  // Files change with every deploy and are small: always revalidate rather than serve a stale UI.
  "cache-control": "no-cache",
};

export interface UiOptions {
  /** Folder of the UI's files; defaults to the `static/` folder beside this module. */
  staticDir?: URL;
}

/** Routes of the web UI. Mount with `app.route("/", uiRoutes())` beside the API. */
export function uiRoutes(options: UiOptions = {}): Hono {
  const dir = options.staticDir ?? STATIC_DIR;
  let files: Promise<Map<string, Uint8Array>> | undefined;
  // Read once, on first use: a handful of small files, and no disk access per request after that.
  const load = () =>
    (files ??= (async () => {
      const loaded = new Map<string, Uint8Array>();
      // A build without the copied files must still start; `/` then says what is missing.
      const names = await readdir(dir).catch(() => [] as string[]);
      for (const name of names) {
        if (FILE_NAME.test(name)) loaded.set(name, await readFile(new URL(name, dir)));
      }
      return loaded;
    })());

  const app = new Hono();
  const send = async (name: string): Promise<Response | undefined> => {
    const body = (await load()).get(name);
    if (body === undefined) return undefined;
    const extension = name.slice(name.lastIndexOf(".") + 1);
    return new Response(body, {
      status: 200,
      headers: { ...SECURITY_HEADERS, "content-type": CONTENT_TYPES[extension] ?? "text/plain" },
    });
  };
  app.get(
    "/",
    async (c) =>
      (await send("index.html")) ??
      c.text("the web UI's files are missing; run `npm run build`", 404),
  );
  app.get("/ui/:file", async (c) => {
    const name = c.req.param("file");
    const response = FILE_NAME.test(name) ? await send(name) : undefined;
    return response ?? c.text("not found", 404, { "x-content-type-options": "nosniff" });
  });
  return app;
}
