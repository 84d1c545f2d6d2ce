// The web UI's static files: `/` answers index.html, `/ui/<file>` the scripts and styles beside it,
// `/ui/vendor/editor.bundle.js` the code editor bundled by `npm run build`. The UI is a plain
// ES-module page that talks to the JSON API with the admin's bearer token, so the server only has
// to hand out files — with a strict CSP, since the page shows data that came from third-party APIs
// (response bodies) and must never run it — each with an ETag (a reload asks "changed?" and gets a
// 304) and gzipped when the browser accepts it.
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { gzipSync } from "node:zlib";
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

/** The code editor (CodeMirror and the schema help), bundled by scripts/bundle-editor.js. */
export const EDITOR_BUNDLE = "vendor/editor.bundle.js";
export const EDITOR_BUNDLE_MISSING =
  "the web UI's code editor bundle (static/vendor/editor.bundle.js) is missing; run `npm run build`";

/** Text files larger than this are sent gzipped to browsers that accept it. */
const GZIP_ABOVE = 1024;

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
  /** Told once, at start, when the code editor bundle is missing (the UI then edits plain text). */
  onMissingBundle?: (message: string) => void;
}

interface StaticFile {
  body: Uint8Array;
  gzipped?: Uint8Array;
  etag: string;
}

function staticFile(body: Uint8Array): StaticFile {
  // Weak: the gzipped and the plain bytes are the same file to the browser.
  const etag = `W/"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`;
  // Every file served is text (html, js, css, svg): worth compressing once it is not tiny.
  return body.length > GZIP_ABOVE ? { body, etag, gzipped: gzipSync(body) } : { body, etag };
}

/** Routes of the web UI. Mount with `app.route("/", uiRoutes())` beside the API. */
export function uiRoutes(options: UiOptions = {}): Hono {
  const dir = options.staticDir ?? STATIC_DIR;
  let files: Promise<Map<string, StaticFile>> | undefined;
  // Read once, on first use: a handful of files, and no disk access per request after that.
  const load = () =>
    (files ??= (async () => {
      const loaded = new Map<string, StaticFile>();
      // A build without the copied files must still start; `/` then says what is missing.
      const names = await readdir(dir).catch(() => [] as string[]);
      for (const name of names) {
        if (FILE_NAME.test(name)) loaded.set(name, staticFile(await readFile(new URL(name, dir))));
      }
      const bundle = await readFile(new URL(EDITOR_BUNDLE, dir)).catch(() => undefined);
      if (bundle !== undefined) loaded.set(EDITOR_BUNDLE, staticFile(bundle));
      else if (names.length > 0) options.onMissingBundle?.(EDITOR_BUNDLE_MISSING);
      return loaded;
    })());

  // Whoever wants to hear about a missing bundle hears it at start, not at the first page view.
  if (options.onMissingBundle !== undefined) void load();

  const app = new Hono();
  const send = async (name: string, request: Request): Promise<Response | undefined> => {
    const file = (await load()).get(name);
    if (file === undefined) return undefined;
    const extension = name.slice(name.lastIndexOf(".") + 1);
    const headers: Record<string, string> = {
      ...SECURITY_HEADERS,
      "content-type": CONTENT_TYPES[extension] ?? "text/plain",
      etag: file.etag,
      vary: "accept-encoding",
    };
    if (request.headers.get("if-none-match") === file.etag)
      return new Response(null, { status: 304, headers });
    const gzip =
      file.gzipped !== undefined && /\bgzip\b/.test(request.headers.get("accept-encoding") ?? "");
    if (gzip) headers["content-encoding"] = "gzip";
    return new Response(gzip ? file.gzipped : file.body, { status: 200, headers });
  };
  app.get(
    "/",
    async (c) =>
      (await send("index.html", c.req.raw)) ??
      c.text("the web UI's files are missing; run `npm run build`", 404),
  );
  app.get("/ui/:file", async (c) => {
    const name = c.req.param("file");
    const response = FILE_NAME.test(name) ? await send(name, c.req.raw) : undefined;
    return response ?? c.text("not found", 404, { "x-content-type-options": "nosniff" });
  });
  app.get(`/ui/${EDITOR_BUNDLE}`, async (c) => {
    const response = await send(EDITOR_BUNDLE, c.req.raw);
    return response ?? c.text(EDITOR_BUNDLE_MISSING, 404, { "x-content-type-options": "nosniff" });
  });
  return app;
}
