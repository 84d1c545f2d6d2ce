#!/usr/bin/env node
// Starts the CLI from the compiled JS in dist/ (built by `npm run build`, which `npm ci`,
// `npm test` and `npm start` run first). Running the TypeScript sources through tsx costs about
// 40 % more CPU and a loader thread's memory, so tsx is only the fallback: when dist/ is missing,
// or older than a file in src/ (a checkout whose sources changed since the last build), so a
// stale build never runs in place of the code in front of you.
//
// The engine commands (validate, run, resume, exists, revoke, sync) start from one bundled file
// with a V8 code cache (scripts/bundle-cli.js, bin/cached-bundle.js) when the build made one;
// the service commands, a dist/ rebuilt by tsc alone, and HIREWIRE_CLI_BUNDLE=off (stack traces
// that name dist/ files) run from dist/ as ES modules.
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { distState } from "./dist-freshness.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const state = distState(root);
if (state === "stale") {
  process.stderr.write(
    "hirewire: dist/ is older than src/, running the sources through tsx (`npm run build` to update dist/)\n",
  );
}

const SERVICE_COMMANDS = new Set(["serve", "worker", "migrate", "token"]);
const main = join(root, "dist", "cli", "main.js");
const bundle = join(root, "dist", "cli", "hirewire.cjs");

/** The bundle, when it was built from the dist/ in place (not older than its entry point). */
function bundleIsCurrent() {
  return existsSync(bundle) && statSync(bundle).mtimeMs >= statSync(main).mtimeMs;
}

if (state !== "fresh") {
  const { register } = await import("tsx/esm/api");
  register();
  await import(pathToFileURL(join(root, "src", "cli", "main.ts")).href);
} else if (
  process.env.HIREWIRE_CLI_BUNDLE !== "off" &&
  !SERVICE_COMMANDS.has(process.argv[2] ?? "") &&
  bundleIsCurrent()
) {
  const { runCachedBundle } = await import("./cached-bundle.js");
  runCachedBundle(bundle);
} else {
  await import(pathToFileURL(main).href);
}
