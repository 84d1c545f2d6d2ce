#!/usr/bin/env node
// Starts the CLI from the compiled JS in dist/ (built by `npm run build`, which `npm ci`,
// `npm test` and `npm start` run first). Running the TypeScript sources through tsx costs about
// 40 % more CPU and a loader thread's memory, so tsx is only the fallback: when dist/ is missing,
// or older than a file in src/ (a checkout whose sources changed since the last build), so a
// stale build never runs in place of the code in front of you.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const compiled = join(root, "dist", "cli", "main.js");
const sources = join(root, "src");

/**
 * Newest modification time (ms) of the files under `dir` that end up in dist/: the .ts files
 * but tests and fixtures, and the assets the build copies (the web UI's static files).
 */
function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || /\.(test|fixture)\.ts$/.test(entry.name)) continue;
    newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

let useCompiled = existsSync(compiled);
// An installed package ships dist/ without src/: nothing to compare with.
if (useCompiled && existsSync(sources) && newestSource(sources) > statSync(compiled).mtimeMs) {
  useCompiled = false;
  process.stderr.write(
    "hirewire: dist/ is older than src/, running the sources through tsx (`npm run build` to update dist/)\n",
  );
}

if (useCompiled) {
  await import(pathToFileURL(compiled).href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import(pathToFileURL(join(sources, "cli", "main.ts")).href);
}
