// Whether dist/ holds a build of the sources in front of us. Shared by bin/hirewire.js (which runs
// the sources through tsx when dist/ is stale) and scripts/build-if-stale.js (which `npm start`
// runs first, so a start with nothing changed does not pay for a whole TypeScript build).
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

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

/**
 * "missing" when there is no build, "stale" when a source (or a tsconfig) is newer than it,
 * "fresh" otherwise, or when there are no sources to compare with (an installed package ships
 * dist/ without src/).
 */
export function distState(root) {
  const compiled = join(root, "dist", "cli", "main.js");
  if (!existsSync(compiled)) return "missing";
  const sources = join(root, "src");
  if (!existsSync(sources)) return "fresh";
  let newest = newestSource(sources);
  for (const config of ["tsconfig.json", "tsconfig.build.json"]) {
    const file = join(root, config);
    if (existsSync(file)) newest = Math.max(newest, statSync(file).mtimeMs);
  }
  return newest > statSync(compiled).mtimeMs ? "stale" : "fresh";
}
