// Bundles the web UI's code editor (CodeMirror 6 and src/service/ui/editor/) into ONE static ES
// module, src/service/ui/static/vendor/editor.bundle.js, which `npm run build` then copies to
// dist/ with the other static files. Run first by `npm run build`, before tsc, so the bundle is
// never newer than dist/ (bin/dist-freshness.js compares modification times).
import { build } from "esbuild";
import { statSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const outfile = `${root}src/service/ui/static/vendor/editor.bundle.js`;

await build({
  entryPoints: [`${root}src/service/ui/editor/entry.js`],
  outfile,
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  minify: true,
  // The licences of the bundled packages stay in the file, at its end.
  legalComments: "eof",
  logLevel: "warning",
});
const kib = (statSync(outfile).size / 1024).toFixed(0);
console.log(`bundled the code editor: ${kib} KiB → src/service/ui/static/vendor/editor.bundle.js`);
