// OAuth refresh once at a time per integration, across processes: two `hirewire worker` child
// processes (on PostgreSQL, and on one SQLite data directory) drive a batch of runs whose stored
// access token has expired, against a fake provider that rotates refresh tokens and refuses a
// used one. Every run succeeds, and the provider saw exactly one refresh.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { OAUTH_SECRET_KEY, parseOAuthSecret } from "../../src/secrets/oauth-secret.ts";
import { openCipher } from "../../src/secrets/index.ts";
import { openPostgresStore, openSqliteStore, type Store } from "../../src/store/index.ts";
import { createTestSchema, type TestSchema } from "../../src/store/postgres/test-database.ts";
import {
  CLIENT_ID,
  CLIENT_SECRET,
  startFakeOAuthProvider,
  type FakeOAuthProvider,
} from "../support/fake-oauth-provider.ts";
import { eventually, startWorkerProcess, type WorkerProcess } from "../support/service-process.ts";

const RUNS = 12;

function manifest(provider: FakeOAuthProvider) {
  const tokenStep = (data: Record<string, string>) => ({
    url: `${provider.url}/token`,
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    data: { client_id: "{{ CLIENT_ID }}", client_secret: "{{ CLIENT_SECRET }}", ...data },
  });
  return {
    initial_data_form: [
      { id: "CLIENT_ID", name: "Client id", secret: false },
      { id: "CLIENT_SECRET", name: "Client secret" },
    ],
    oauth: {
      authenticate_url: `${provider.url}/authorize?client_id={{ CLIENT_ID }}`,
      access_token: tokenStep({ grant_type: "authorization_code", code: "{{ code }}" }),
      refresh: tokenStep({
        grant_type: "refresh_token",
        refresh_token: "{{ oauth.refresh_token }}",
      }),
    },
    headers: { Authorization: "Bearer {{ oauth.access_token }}" },
    execute: [{ url: `${provider.url}/api/me`, method: "GET" }],
  };
}

/** Connects as the admin's consent would: a code exchanged for the provider's first token pair. */
async function firstTokens(provider: FakeOAuthProvider): Promise<Record<string, unknown>> {
  const redirectUri = "http://127.0.0.1/callback";
  const response = await fetch(`${provider.url}/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code: provider.issueCode(redirectUri),
      redirect_uri: redirectUri,
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
    }).toString(),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

/** An integration whose stored access token expired a minute ago, and RUNS queued runs of it. */
async function expiredIntegration(store: Store, provider: FakeOAuthProvider): Promise<string[]> {
  const integration = await store.createIntegration({
    name: "Provider",
    manifest: manifest(provider) as never,
  });
  await store.setSecret(integration.id, "CLIENT_ID", CLIENT_ID);
  await store.setSecret(integration.id, "CLIENT_SECRET", CLIENT_SECRET);
  const tokens = { ...(await firstTokens(provider)), expires_at: Date.now() - 60_000 };
  await store.setSecret(integration.id, OAUTH_SECRET_KEY, JSON.stringify(tokens));
  const ids: string[] = [];
  for (let i = 0; i < RUNS; i++)
    ids.push((await store.createRun({ integrationId: integration.id, block: "execute" })).run.id);
  return ids;
}

async function expectOneRefresh(
  store: Store,
  provider: FakeOAuthProvider,
  runIds: string[],
  workers: WorkerProcess[],
): Promise<void> {
  const runs = await eventually(
    async () => {
      const all = await Promise.all(runIds.map((id) => store.getRun(id)));
      return all.every((run) => run?.finishedAt !== null) ? all : undefined;
    },
    60_000,
    "every run to finish",
  );
  expect(runs.map((run) => [run?.status, run?.error?.message])).toEqual(
    runIds.map(() => ["succeeded", undefined]),
  );
  expect(provider.count("token:refresh_token")).toBe(1);
  expect(provider.events.filter((event) => event.status !== 200)).toEqual([]);
  const api = provider.events.filter((event) => event.kind === "api");
  expect(api).toHaveLength(RUNS);
  // Every run used the one token the refresh issued, and it is the one stored.
  const current = provider.current()!;
  expect(new Set(api.map((event) => event.token))).toEqual(new Set([current.access]));
  const integrationId = (await store.getRun(runIds[0]!))!.integrationId;
  const stored = parseOAuthSecret((await store.getSecrets(integrationId))[OAUTH_SECRET_KEY]);
  expect(stored).toMatchObject({ access_token: current.access, refresh_token: current.refresh });
  // Both processes drove some of the runs (each logs the runs it finished).
  for (const worker of workers) {
    const finished = runIds.filter((id) => worker.output().includes(id));
    expect(finished.length).toBeGreaterThan(0);
    expect(worker.output()).not.toMatch(/"level":(40|50)/);
  }
}

describe("one OAuth refresh across worker processes", () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setUp(env: Record<string, string>, open: (dir: string) => Promise<Store>) {
    const dataDir = await mkdtemp(join(tmpdir(), "hirewire-refresh-"));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const provider = await startFakeOAuthProvider();
    cleanups.push(() => provider.close());
    const store = await open(dataDir);
    cleanups.push(() => store.close());
    const workers: WorkerProcess[] = [];
    for (let i = 0; i < 2; i++) {
      // A few runs at a time each, so both processes take part.
      const worker = await startWorkerProcess(dataDir, {
        HIREWIRE_CONCURRENCY: "3",
        LOG_LEVEL: "info",
        ...env,
      });
      cleanups.push(async () => void (await worker.kill("SIGTERM")));
      workers.push(worker);
    }
    return { store, provider, workers };
  }

  it("PostgreSQL: N runs with an expired token, two workers, one refresh", async () => {
    const db: TestSchema = await createTestSchema();
    cleanups.push(() => db.drop());
    const { store, provider, workers } = await setUp(
      { HIREWIRE_DATABASE_URL: db.urlWithSchema },
      async (dir) =>
        openPostgresStore({
          url: db.url,
          schema: db.schema,
          cipher: await openCipher(dir),
          max: 2,
        }),
    );
    const runIds = await expiredIntegration(store, provider);
    await expectOneRefresh(store, provider, runIds, workers);
  }, 90_000);

  it("SQLite: N runs with an expired token, two workers on one data directory, one refresh", async () => {
    const { store, provider, workers } = await setUp({}, async (dir) =>
      openSqliteStore({ file: join(dir, "hirewire.sqlite"), cipher: await openCipher(dir) }),
    );
    const runIds = await expiredIntegration(store, provider);
    await expectOneRefresh(store, provider, runIds, workers);
  }, 90_000);
});
