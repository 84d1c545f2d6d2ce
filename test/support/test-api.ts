// Shared set-up for the API tests: a real SQLite store and file store in a temp dir, an API token,
// and a `call` helper that records every response body so tests can grep them for secrets.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Hono } from "hono";
import { DiskFileStore } from "../../src/files/index.ts";
import { SecretCipher, generateApiToken, hashApiToken } from "../../src/secrets/index.ts";
import { openSqliteStore } from "../../src/store/sqlite/index.ts";
import type { Store } from "../../src/store/store.ts";
import type { JsonValue } from "../../src/manifest/index.ts";
import type { EgressSettings } from "../../src/runner/egress-policy.ts";
import { createApi } from "../../src/service/api/create-api.ts";

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON (undefined for an empty or non-JSON body); `any` keeps assertions short. */
  body: any;
}

export interface TestApi {
  store: Store;
  files: DiskFileStore;
  dir: string;
  token: string;
  /** How often the API called `notify()`. */
  notified: () => number;
  /** The app as serve.ts mounts it (with /healthz beside it). */
  app: Hono;
  /** Every response text so far, for secret-leak checks. */
  transcript: string[];
  call(
    method: string,
    url: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Reply>;
  close(): Promise<void>;
}

/** Starts an API over a fresh store; `call` sends the token unless headers override it. */
/** `egress`: the operator's egress settings, as `hirewire serve` passes them to the API. */
export async function startTestApi(options: { egress?: EgressSettings } = {}): Promise<TestApi> {
  const dir = await mkdtemp(path.join(tmpdir(), "hirewire-api-"));
  const store = await openSqliteStore({
    file: path.join(dir, "hirewire.db"),
    cipher: new SecretCipher(randomBytes(32)),
  });
  const files = new DiskFileStore(path.join(dir, "files"));
  const token = generateApiToken();
  await store.createApiToken({ name: "test", tokenHash: hashApiToken(token) });
  let notifications = 0;
  const app = new Hono();
  app.get("/healthz", (c) => c.json({ ok: true }));
  app.route(
    "/",
    createApi({
      store,
      files,
      notify: () => {
        notifications += 1;
      },
      logError: () => undefined,
      ...(options.egress !== undefined ? { egress: options.egress } : {}),
    }),
  );
  const transcript: string[] = [];
  return {
    store,
    files,
    dir,
    token,
    app,
    transcript,
    notified: () => notifications,
    async call(method, url, body, headers = {}) {
      const init: RequestInit = {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
          ...headers,
        },
      };
      if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
      const response = await app.request(url, init);
      const text = await response.text();
      transcript.push(text);
      let parsed: unknown = undefined;
      try {
        parsed = text === "" ? undefined : JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      return { status: response.status, headers: response.headers, text, body: parsed };
    },
    async close() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A manifest that needs one secret and the hire's email; valid per docs/manifest.md. */
export function tokenManifest(url = "https://api.example.com/users"): { [key: string]: JsonValue } {
  return {
    initial_data_form: [
      { id: "API_TOKEN", name: "API token" },
      { id: "ORG_ID", name: "Organisation id", secret: false },
      { id: "PASSWORD", name: "generate" },
    ],
    headers: { Authorization: "Bearer {{ API_TOKEN }}" },
    execute: [
      {
        url,
        data: { email: "{{ email }}", org: "{{ ORG_ID }}", password: "{{ PASSWORD }}" },
        store_data: { USER_ID: "id" },
      },
    ],
  };
}
