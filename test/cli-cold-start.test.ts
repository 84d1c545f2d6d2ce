// `hirewire run` starts fast because it loads only what a run needs: not the service (hono, the
// OpenAPI layer), not the store (kysely, better-sqlite3), not the logger or the mail client — and
// because the engine commands start from one bundled file with a V8 code cache instead of two
// hundred ES modules compiled from source. The process is real; a module-loading hook lists what
// it loaded, from the module tree (HIREWIRE_CLI_BUNDLE=off) and from the bundle.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTargetServer, type TargetServer } from "./support/target-server.ts";

const BIN = fileURLToPath(new URL("../bin/hirewire.js", import.meta.url));
const TRACE = fileURLToPath(new URL("./support/trace-loads.mjs", import.meta.url));
/** Packages only the service, the store or a notification needs. */
const HEAVY = [
  "kysely",
  "better-sqlite3",
  "hono",
  "@hono/zod-openapi",
  "@hono/node-server",
  "pino",
  "nodemailer",
  "undici (all)",
];

let server: TargetServer;
let dir: string;

beforeAll(async () => {
  server = await startTargetServer();
  dir = await mkdtemp(join(tmpdir(), "hirewire-cold-"));
  await writeFile(join(dir, "hire.json"), JSON.stringify({ email: "ada@example.com" }));
  await writeFile(
    join(dir, "secrets.env"),
    `TOKEN=cold_start_token_9a8b\nBASE_URL=${server.url}\n`,
  );
  await writeFile(
    join(dir, "manifest.json"),
    JSON.stringify({
      form: [],
      execute: [
        {
          url: "{{ BASE_URL }}/echo",
          method: "POST",
          data: { email: "{{ email }}" },
          headers: { Authorization: "Bearer {{ TOKEN }}" },
        },
      ],
    }),
  );
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

interface Traced {
  code: number | null;
  /** Packages loaded as modules of their own. */
  packages: Set<string>;
  /** Every module URL loaded. */
  urls: string[];
}

/**
 * Runs `hirewire ARGS` under the loading hook: its exit code and what it loaded. `bundle: false`
 * runs it from the module tree in dist/, whose lazy imports decide what a command loads.
 */
async function tracedRun(args: string[], { bundle = false } = {}): Promise<Traced> {
  const trace = join(dir, `loads-${args[0]}-${Date.now()}.txt`);
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, ["--import", TRACE, BIN, ...args], {
      cwd: dir,
      env: {
        ...process.env,
        NO_COLOR: "1",
        TRACE_LOADS_FILE: trace,
        HIREWIRE_CLI_BUNDLE: bundle ? "on" : "off",
      },
      stdio: "ignore",
    });
    child.on("close", resolve);
  });
  const packages = new Set<string>();
  const urls = (await readFile(trace, "utf8")).split("\n");
  // undici's index loads the whole package; the sender requires only the files it uses.
  if (urls.some((url) => url.endsWith("/node_modules/undici/index.js")))
    packages.add("undici (all)");
  for (const url of urls) {
    const match = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (match !== null) packages.add(match[1]!);
  }
  return { code, packages, urls };
}

describe("hirewire's cold start", () => {
  it("`run` sends the request without loading the service, the store, the logger or the mail client", async () => {
    const { code, packages } = await tracedRun([
      "run",
      "manifest.json",
      "--hire",
      "hire.json",
      "--secrets",
      "secrets.env",
    ]);
    expect(code).toBe(0);
    expect(server.requests.filter((r) => r.path === "/echo")).toHaveLength(1);
    expect(packages).toContain("commander");
    expect(HEAVY.filter((name) => packages.has(name))).toEqual([]);
  });

  it("`validate` loads none of them either", async () => {
    const { code, packages } = await tracedRun(["validate", "manifest.json"]);
    expect(code).toBe(0);
    expect(packages).toContain("zod");
    expect(HEAVY.filter((name) => packages.has(name))).toEqual([]);
  });

  it("`run` starts from the bundle with its code cache: no module of dist/ is loaded one by one", async () => {
    const bundle = fileURLToPath(new URL("../dist/cli/hirewire.cjs", import.meta.url));
    expect(existsSync(bundle), "npm run build writes dist/cli/hirewire.cjs").toBe(true);
    const before = server.requests.length;
    const { code, packages, urls } = await tracedRun(
      ["run", "manifest.json", "--hire", "hire.json", "--secrets", "secrets.env"],
      { bundle: true },
    );
    expect(code).toBe(0);
    expect(server.requests.length - before).toBe(1);
    expect(urls.filter((url) => url.includes("/dist/"))).toEqual([]);
    expect(urls.some((url) => url.endsWith("/bin/cached-bundle.js"))).toBe(true);
    expect(HEAVY.filter((name) => packages.has(name))).toEqual([]);
    expect(existsSync(`${bundle}.cache`)).toBe(true);
  });
});
