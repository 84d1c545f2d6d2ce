#!/usr/bin/env node
// Starts the CLI from the compiled JS in dist/ (built by `npm run build`, which `npm ci`,
// `npm test` and `npm start` run first). Running the TypeScript sources through tsx costs about
// 40 % more CPU and a loader thread's memory, so tsx is only the fallback: when dist/ is missing,
// or older than a file in src/ (a checkout whose sources changed since the last build), so a
// stale build never runs in place of the code in front of you.
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { distState } from "./dist-freshness.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const state = distState(root);
const useCompiled = state === "fresh";
if (state === "stale") {
  process.stderr.write(
    "hirewire: dist/ is older than src/, running the sources through tsx (`npm run build` to update dist/)\n",
  );
}

if (useCompiled) {
  await import(pathToFileURL(join(root, "dist", "cli", "main.js")).href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import(pathToFileURL(join(root, "src", "cli", "main.ts")).href);
}
