// Bundles the CLI's engine commands (validate, run, resume, exists, revoke, sync) into ONE
// CommonJS file, dist/cli/hirewire.cjs, which bin/hirewire.js loads with a V8 code cache
// (bin/cached-bundle.js). Node 20 compiles every ES module from source at each start — about a
// hundred of ours and a hundred of zod's for `hirewire run`; one script with a code cache is
// compiled once and then read back, which is most of what separates a cold `hirewire run` from a
// plain node script. Run by `npm run build` after tsc, so the bundle is newer than dist/cli/main.js
// (bin/hirewire.js uses it only then). The service commands (serve, worker, migrate, token) keep
// running from dist/ as ES modules: they read files next to their own modules (the web UI) and
// their start-up time does not matter; their modules stay out of the bundle.
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { rmSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const outfile = `${root}dist/cli/hirewire.cjs`;

/** Lazily imported modules only the service commands reach: left out of the bundle. */
const SERVICE_ONLY =
  /\/(serve-command|worker-command|copy-store|api-tokens)\.js$|\/(store|secrets)\/index\.js$/;

await build({
  entryPoints: [`${root}dist/cli/main.js`],
  outfile,
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  // Packages that ship both: their ES build, as `import` would load it (jsonc-parser's UMD build
  // requires files by computed names, which a bundle cannot follow).
  mainFields: ["module", "main"],
  // Readable stack traces in a bug report: no renamed identifiers.
  minifyWhitespace: true,
  minifySyntax: true,
  // `import.meta.url` of the bundle, for main.js's `../../package.json` (the bundle sits beside it).
  define: { "import.meta.url": "__bundleUrl" },
  banner: { js: 'const __bundleUrl = require("node:url").pathToFileURL(__filename).href;' },
  plugins: [
    {
      name: "service-only",
      setup(builder) {
        builder.onResolve({ filter: /\.js$/ }, (args) =>
          args.kind === "dynamic-import" && SERVICE_ONLY.test(`/${args.path.replace(/^\.+\//, "")}`)
            ? { path: args.path, external: true }
            : undefined,
        );
      },
    },
  ],
  logLevel: "warning",
});
// A code cache belongs to the bundle it was made from. Make the new one from a dry run of an
// example, so it holds what validating, rendering and printing a run compile, not only what the
// first command someone happens to type compiles (`--version`).
rmSync(`${outfile}.cache`, { force: true });
const example = (name) => `${root}examples/${name}`;
execFileSync(
  process.execPath,
  [
    `${root}bin/hirewire.js`,
    "run",
    example("create-account.json"),
    "--hire",
    example("hire.json"),
    "--secrets",
    example("secrets.example.json"),
    "--dry-run",
  ],
  { stdio: "ignore" },
);
const kib = (size) => `${(size / 1024).toFixed(0)} KiB`;
console.log(
  `bundled the CLI: ${kib(statSync(outfile).size)} → dist/cli/hirewire.cjs (code cache ${kib(statSync(`${outfile}.cache`).size)})`,
);
