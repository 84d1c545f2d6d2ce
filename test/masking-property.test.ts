// Property: whatever a secret looks like (drawn from characters every encoding treats differently)
// and whatever filters it goes through, a real target that echoes it back in every encoding, in
// headers, URL and body, and redirects to another origin, never gets it into anything hirewire
// writes: CLI human output, --json, the --state file, the service's API answers, its logs and
// the raw bytes of its SQLite files — also where the echoes are captured by store_data and sent
// again by a later step.
import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startService, type RunningService } from "../src/service/serve.ts";
import { configFromEnv } from "../src/service/service-config.ts";
import { createScope, renderTemplate } from "../src/template/index.ts";
import { urlEncode } from "../src/template/text-filters.ts";

const BIN = fileURLToPath(new URL("../bin/hirewire.js", import.meta.url));
const ADMIN = "hw_masking_property_admin_token";

// The characters the findings were about, plus non-ASCII of every UTF-8 length.
const HOSTILE = ["/", "+", "=", "'", '"', "\\", "%", "&", " ", "<", ">", "ä", "ß", "字", "😀"];
const FILTERS = ["", "|lower", "|upper", "|title", "|capfirst", '|default:"x"', "|slugify"];

interface Received {
  url: string;
  host: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

let target: Server;
let base: string;
let other: string;
const received: Received[] = [];
let dir: string;
let service: RunningService;
const logs: string[] = [];

/** Everything a target might write back: each received text in every encoding. */
function echoes(text: string): Record<string, string> {
  const json = JSON.stringify(text);
  const b64 = Buffer.from(text).toString("base64");
  const html = text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
  return {
    raw: text,
    json: json.slice(1, -1),
    jsonTwice: JSON.stringify(json).slice(1, -1),
    asciiLower: ascii(json.slice(1, -1), false),
    asciiUpper: ascii(json.slice(1, -1), true),
    uri: encodeURIComponent(text),
    form: new URLSearchParams([["", text]]).toString().slice(1),
    quote: urlEncode(text),
    b64,
    b64url: Buffer.from(text).toString("base64url"),
    htmlPython: html.replace(/'/g, "&#x27;"),
    htmlGo: html.replace(/'/g, "&#39;").replace(/&quot;/g, "&#34;"),
  };
}

function ascii(text: string, upper: boolean): string {
  return text.replace(/[^\x00-\x7f]/g, (c) => {
    const hex = c.charCodeAt(0).toString(16).padStart(4, "0");
    return `\\u${upper ? hex.toUpperCase() : hex}`;
  });
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

beforeAll(async () => {
  target = createServer((req, res) => {
    void readBody(req).then((body) => {
      const url = req.url ?? "/";
      received.push({ url, host: req.headers.host ?? "", headers: req.headers, body });
      if (url.startsWith("/redirect302")) {
        res.writeHead(302, { location: `${other}/echo/redirected` }).end();
        return;
      }
      if (url.startsWith("/redirect307")) {
        res.writeHead(307, { location: `${other}/echo/redirected-post` }).end();
        return;
      }
      const texts = [url, body, ...Object.values(req.headers).map(String)];
      const all = texts.map(echoes);
      const headerEcho = Buffer.from(JSON.stringify(texts)).toString("base64");
      res
        .writeHead(200, {
          "content-type": "application/json",
          "x-echo-url": encodeURIComponent(url),
          "x-echo-all": headerEcho,
        })
        .end(JSON.stringify({ echoes: all }));
    });
  });
  await new Promise<void>((resolve) => target.listen(0, "127.0.0.1", resolve));
  const port = (target.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
  other = `http://localhost:${port}`;

  dir = await mkdtemp(join(tmpdir(), "hirewire-mask-prop-"));
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(chunk.toString("utf8"));
      done();
    },
  });
  service = await startService(
    configFromEnv({
      HIREWIRE_DATA: join(dir, "data"),
      PORT: "0",
      HIREWIRE_ADMIN_TOKEN: ADMIN,
    }),
    pino({ level: "debug" }, sink),
  );
}, 30_000);

afterAll(async () => {
  await service?.close();
  await new Promise((resolve) => target?.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

async function api(method: string, path: string, body?: unknown) {
  const response = await fetch(`${service.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${ADMIN}`,
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, text, body: JSON.parse(text || "null") as any };
}

/** Runs the CLI; `out` is stdout and stderr together, as a user sees them. */
function hirewire(args: string[]): Promise<{ code: number | null; stdout: string; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: "1" },
    });
    let stdout = "";
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      out += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.on("close", (code) => resolve({ code, stdout, out }));
  });
}

function manifest(chainA: string, chainB: string): unknown {
  return {
    initial_data_form: [
      { id: "SECRET_A", name: "A" },
      { id: "SECRET_B", name: "B" },
    ],
    execute: [
      {
        url: `{{ BASE_URL }}/echo/{{ SECRET_A${chainA} }}/x?q={{ SECRET_A${chainA}|urlencode }}&r={{ SECRET_B|urlencode:"" }}`,
        headers: {
          "Content-Type": "application/json",
          "X-A": `{{ SECRET_A${chainA}|urlencode }}`,
          "X-B": `{{ SECRET_B${chainB}|urlencode:"" }}`,
        },
        data: { a: `{{ SECRET_A${chainA} }}`, b: `{{ SECRET_B${chainB} }}`, raw: "{{ SECRET_A }}" },
        // Echoes of the secrets become the hire's stored fields (and a later run's input).
        store_data: { ECHOED_URL: "echoes.0", ECHOED_BODY: "echoes.1.raw" },
      },
      {
        url: "{{ BASE_URL }}/echo/form",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        data: { a: "{{ SECRET_A }}", b: `{{ SECRET_B${chainB} }}`, echoed: "{{ ECHOED_BODY }}" },
      },
      {
        url: "{{ BASE_URL }}/redirect302",
        method: "GET",
        headers: { "X-Api-Key": `{{ SECRET_A${chainA}|urlencode }}`, "X-Trace": "t-1" },
      },
      { url: "{{ BASE_URL }}/redirect307", data: { key: `{{ SECRET_B${chainB} }}` } },
    ],
  };
}

/** Every text the secret was sent as, in every form an echo may take. */
function sensitiveForms(secret: string, chain: string): string[] {
  const forms = new Set<string>();
  for (const filters of ["", chain, `${chain}|urlencode`, `${chain}|urlencode:""`]) {
    const sent = renderTemplate(`{{ S${filters} }}`, createScope([{ S: secret }]));
    for (const form of Object.values(echoes(sent))) forms.add(form);
    forms.add(new URL(`http://h/${sent}`).pathname.slice(1));
    forms.add(new URL(`http://h/?${sent}`).search.slice(1));
  }
  return [...forms].filter((form) => form.length >= 8);
}

function leaks(where: string, text: string, cores: string[], forms: string[]): string[] {
  const found: string[] = [];
  const lower = text.toLowerCase();
  for (const core of cores) {
    const at = lower.indexOf(core);
    if (at !== -1) found.push(`${where}: ${JSON.stringify(text.slice(at - 40, at + 40))}`);
  }
  for (const form of forms)
    if (text.includes(form)) found.push(`${where}: ${JSON.stringify(form)}`);
  return found;
}

async function dataFiles(): Promise<Array<{ name: string; text: string }>> {
  const data = join(dir, "data");
  const names = (await readdir(data)).filter((name) => /\.sqlite(-wal|-shm)?$/.test(name));
  expect(names).toContain("hirewire.sqlite");
  return Promise.all(
    names.map(async (name) => ({
      name,
      text: (await readFile(join(data, name))).toString("latin1"),
    })),
  );
}

const hostile = fc
  .array(fc.constantFrom(...HOSTILE), { minLength: 1, maxLength: 24 })
  .map((chars) => chars.join(""));
// A run of letters no output contains by chance (no hex digits, never "qx" in a word), so any
// copy of the secret, in any case and any encoding that keeps letters, is found.
const core = fc
  .array(fc.constantFrom(..."ghijkmnprstuvwyz"), { minLength: 6, maxLength: 6 })
  .map((letters) => `qx${letters.join("")}`);
const secret = fc
  .tuple(hostile, core, hostile)
  .map(([before, middle, after]) => ({ value: `${before}${middle}${after}`, core: middle }));

describe("no secret in any output, whatever it looks like and wherever it is echoed", () => {
  it("holds for the CLI (human, --json, --state) and the service (API, logs, SQLite files)", async () => {
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        secret,
        secret,
        fc.constantFrom(...FILTERS),
        fc.constantFrom(...FILTERS),
        async (a, b, chainA, chainB) => {
          fc.pre(a.core !== b.core);
          round++;
          const cores = [a.core, b.core];
          const forms = [...sensitiveForms(a.value, chainA), ...sensitiveForms(b.value, chainB)];
          const manifestPath = join(dir, `manifest-${round}.json`);
          await writeFile(manifestPath, JSON.stringify(manifest(chainA, chainB)));
          await writeFile(join(dir, "hire.json"), JSON.stringify({ email: "ada@example.com" }));
          await writeFile(
            join(dir, "secrets.json"),
            JSON.stringify({ SECRET_A: a.value, SECRET_B: b.value }),
          );
          const common = [manifestPath, "--hire", "hire.json", "--secrets", "secrets.json"];
          const params = ["--param", `BASE_URL=${base}`];
          const found: string[] = [];

          const before = received.length;
          const human = await hirewire(["run", ...common, ...params, "--state", "state.json"]);
          expect(human.code, human.out).toBe(1);
          expect(human.out).toContain("not resent to the other origin");
          const sent = received.slice(before);
          expect(sent.map((r) => r.host.split(":")[0])).toEqual([
            "127.0.0.1",
            "127.0.0.1",
            "127.0.0.1",
            "localhost",
            "127.0.0.1",
          ]);
          expect(sent[3]!.headers["x-api-key"]).toBeUndefined();
          expect(sent[3]!.headers["x-trace"]).toBe("t-1");
          found.push(...leaks("CLI human output", human.out, cores, forms));
          const state = await readFile(join(dir, "state.json"), "utf8");
          found.push(...leaks("--state file", state, cores, forms));
          const json = await hirewire(["run", ...common, ...params, "--json"]);
          expect(JSON.parse(json.stdout).error.code, json.out).toBe("HTTP_REDIRECT_SECRET");
          found.push(...leaks("CLI --json", json.out, cores, forms));

          const integration = await api("POST", "/api/integrations", {
            name: `masking ${round}`,
            manifest: manifest(chainA, chainB),
          });
          expect(integration.status, integration.text).toBe(201);
          const id = integration.body.id as string;
          const put = await api("PUT", `/api/integrations/${id}/secrets`, {
            SECRET_A: a.value,
            SECRET_B: b.value,
          });
          expect(put.status, put.text).toBeLessThan(300);
          const hire = await api("POST", "/api/hires", { email: `h${round}@example.com` });
          const hireId = (hire.body.hire?.id ?? hire.body.id) as string;
          const triggered = await api("POST", "/api/runs", {
            integration_id: id,
            hire_id: hireId,
            params: { BASE_URL: base },
          });
          expect(triggered.status, triggered.text).toBe(202);
          let run = triggered.body;
          for (let i = 0; i < 400 && !["failed", "succeeded"].includes(run.status); i++) {
            await new Promise((resolve) => setTimeout(resolve, 25));
            run = (await api("GET", `/api/runs/${triggered.body.id}`)).body;
          }
          expect(run.status, JSON.stringify(run.error)).toBe("failed");
          expect(run.error.code).toBe("HTTP_REDIRECT_SECRET");
          for (const path of [
            `/api/runs/${run.id}`,
            `/api/runs?hire_id=${hireId}`,
            `/api/hires/${hireId}`,
            `/api/integrations/${id}/secrets`,
          ]) {
            const answer = await api("GET", path);
            expect(answer.status, path).toBe(200);
            found.push(...leaks(`GET ${path}`, answer.text, cores, forms));
          }
          found.push(...leaks("service logs", logs.join(""), cores, forms));
          for (const file of await dataFiles())
            found.push(...leaks(`SQLite ${file.name}`, file.text, cores, forms));
          expect(found, `secrets ${JSON.stringify([a.value, b.value])}`).toEqual([]);
        },
      ),
      { numRuns: 6, endOnFailure: true },
    );
    expect(round).toBeGreaterThanOrEqual(6);
  }, 120_000);
});
