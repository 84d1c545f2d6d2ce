// `npm start` runs this first: builds dist/ only when it is missing or older than src/, so a start
// with nothing changed takes about a second instead of a whole TypeScript build.
import { execSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { distState } from "../bin/dist-freshness.js";

const root = fileURLToPath(new URL("..", import.meta.url));
if (distState(root) !== "fresh") execSync("npm run build", { cwd: root, stdio: "inherit" });
