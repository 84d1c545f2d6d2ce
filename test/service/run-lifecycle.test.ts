// One run lifecycle: every way a run starts reads the integration's manifest through one cache
// (validated once per saved version, re-validated as soon as it is updated) and refuses bad input
// with the same problems — the CLI, the API trigger, the scheduler and the library alike.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { JsonValue } from "../../src/manifest/index.ts";
import { dryRun, runManifest } from "../../src/runner/run-manifest.ts";
import { integrationManifest, integrationValidations } from "../../src/runner/prepared-manifest.ts";
import { Scheduler } from "../../src/runner/scheduler.ts";
import { runHirewire } from "../support/cli-process.ts";
import { eventually } from "../support/service-process.ts";
import { sendJson, startTargetServer, type TargetServer } from "../support/target-server.ts";
import { startTestApi, tokenManifest, type TestApi } from "../support/test-api.ts";

const TOKEN = "lifecycle-token-0123456789";
let target: TargetServer;
let api: TestApi;
let scheduler: Scheduler;

beforeAll(async () => {
  target = await startTargetServer();
  target.route("POST", "/users", (_req, res) => sendJson(res, 201, { id: "u_1" }));
});
afterAll(() => target.close());

beforeEach(async () => {
  api = await startTestApi();
  scheduler = new Scheduler({ store: api.store, files: api.files, idleMs: 20 });
  scheduler.start();
});
afterEach(async () => {
  await scheduler.stop();
  await api.close();
});

async function integration(manifest: { [key: string]: JsonValue }): Promise<string> {
  const created = await api.call("POST", "/api/integrations", { name: "Accounts", manifest });
  expect(created.status).toBe(201);
  await api.call("PUT", `/api/integrations/${created.body.id}/secrets`, {
    API_TOKEN: TOKEN,
    ORG_ID: "org-1",
  });
  return created.body.id as string;
}

async function hire(email: string, props: Record<string, JsonValue> = {}): Promise<string> {
  const created = await api.call("POST", "/api/hires", { email, ...props });
  expect(created.status).toBe(201);
  return created.body.hire.id as string;
}

function trigger(integrationId: string, hireId: string) {
  return api.call("POST", "/api/runs", { integration_id: integrationId, hire_id: hireId });
}

async function finished(runId: string) {
  return eventually(async () => {
    const run = (await api.call("GET", `/api/runs/${runId}`)).body;
    return ["succeeded", "failed", "blocked"].includes(run.status) ? run : undefined;
  });
}

describe("an integration's manifest is validated once per saved version", () => {
  it("across many triggers, form reads and the scheduler's drives; again at once after an update", async () => {
    const url = `${target.url}/users`;
    const id = await integration(tokenManifest(url));
    const hires = await Promise.all(
      ["ada", "bob", "cy", "dee", "eve"].map((name) => hire(`${name}@example.com`)),
    );
    const before = integrationValidations();
    const triggerAll = async () => {
      const runs = [];
      for (const hireId of hires) {
        const reply = await trigger(id, hireId);
        expect(reply.status).toBe(202);
        runs.push(reply.body.id as string);
      }
      expect((await api.call("GET", `/api/integrations/${id}/form`)).status).toBe(200);
      for (const runId of runs) expect((await finished(runId)).status).toBe("succeeded");
    };

    // Saved through the API: validated then, and never again for this version.
    await triggerAll();
    expect(integrationValidations() - before).toBe(0);

    // Saved behind the API's back (another process, an older version): validated on its first
    // read, once, however many runs follow.
    const changed = { ...tokenManifest(url), headers: { Authorization: "Token {{ API_TOKEN }}" } };
    await api.store.updateIntegration(id, { manifest: changed });
    await triggerAll();
    expect(integrationValidations() - before).toBe(1);
    expect(target.requests.at(-1)?.headers.authorization).toBe(`Token ${TOKEN}`);

    // An update that makes it invalid is seen by the very next trigger, whether or not the clock
    // moved since the last read.
    const invalid = { ...tokenManifest(url), execute: [{ method: "POST" }] };
    await api.store.updateIntegration(id, { manifest: invalid });
    const refused = await trigger(id, hires[0]!);
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe("VALIDATION");
    expect(refused.body.message).toContain("the saved manifest is no longer valid");
    expect((await trigger(id, hires[1]!)).status).toBe(422);
    expect(integrationValidations() - before).toBe(2);

    const fixed = await api.call("PUT", `/api/integrations/${id}`, {
      name: "Accounts",
      manifest: tokenManifest(url),
    });
    expect(fixed.status).toBe(200);
    const again = await trigger(id, hires[2]!);
    expect(again.status).toBe(202);
    expect((await finished(again.body.id)).status).toBe("succeeded");
    expect(integrationValidations() - before).toBe(2);
  });

  it("tells apart two versions saved within one millisecond by their text", () => {
    const valid = integrationManifest({
      id: "int_same_ms",
      updatedAt: 1_700_000_000_000,
      manifest: tokenManifest(),
    });
    expect(valid.ok).toBe(true);
    const before = integrationValidations();
    expect(
      integrationManifest({
        id: "int_same_ms",
        updatedAt: 1_700_000_000_000,
        manifest: tokenManifest(),
      }),
    ).toBe(valid);
    expect(integrationValidations()).toBe(before);
    const changed = integrationManifest({
      id: "int_same_ms",
      updatedAt: 1_700_000_000_000,
      manifest: { execute: "not a list" },
    });
    expect(changed.ok).toBe(false);
    expect(integrationValidations()).toBe(before + 1);
  });
});

describe("every way a run starts refuses the same bad input with the same problems", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "hirewire-lifecycle-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Valid as saved; for a hire with no manager and no BADGE it cannot start. */
  function badForThisHire(): { [key: string]: JsonValue } {
    return {
      initial_data_form: [{ id: "API_TOKEN", name: "API token" }],
      extra_user_info: [{ id: "BADGE", name: "Badge number" }],
      headers: { Authorization: "Bearer {{ API_TOKEN }}" },
      execute: [
        {
          url: `${target.url}/users`,
          data: { email: "{{ email }}", manager: "{{ manager_email }}" },
        },
      ],
    };
  }

  const shape = (problems: Array<{ path?: string; code?: string; message: string }>) =>
    problems.map(({ path, code, message }) => ({ path: path ?? "", code, message }));

  it("the CLI (run and dry-run), the library, the API trigger and the scheduler", async () => {
    const manifest = badForThisHire();
    const props = { email: "ada@example.com" };

    const manifestFile = join(dir, "manifest.json");
    const hireFile = join(dir, "hire.json");
    const secretsFile = join(dir, "secrets.json");
    await writeFile(manifestFile, JSON.stringify(manifest));
    await writeFile(hireFile, JSON.stringify(props));
    await writeFile(secretsFile, JSON.stringify({ API_TOKEN: TOKEN }));
    const args = [manifestFile, "--hire", hireFile, "--secrets", secretsFile, "--json"];
    const cli = await runHirewire(["run", ...args]);
    expect(cli.code).toBe(3);
    const cliProblems = shape(JSON.parse(cli.stdout).problems);
    expect(cliProblems.map((problem) => problem.code)).toEqual([
      "INPUT_MISSING",
      "TEMPLATE_UNDEFINED_VARIABLE",
    ]);
    const dry = await runHirewire(["run", ...args, "--dry-run"]);
    expect(shape(JSON.parse(dry.stdout).problems)).toEqual(cliProblems);

    const inputs = { hire: props, secrets: { API_TOKEN: TOKEN } };
    const library = await runManifest(manifest, inputs);
    expect(library.status).toBe("invalid");
    expect(shape(library.problems as Array<{ message: string }>)).toEqual(cliProblems);
    expect(shape(dryRun(manifest, inputs).problems)).toEqual(cliProblems);

    const created = await api.call("POST", "/api/integrations", { name: "Badges", manifest });
    expect(created.status).toBe(201);
    const integrationId = created.body.id as string;
    await api.call("PUT", `/api/integrations/${integrationId}/secrets`, { API_TOKEN: TOKEN });
    const hireId = await hire(props.email);
    const reply = await trigger(integrationId, hireId);
    expect(reply.status).toBe(422);
    expect(reply.body.code).toBe("INPUT_MISSING");
    expect(shape(reply.body.problems)).toEqual(cliProblems);

    // A run queued without the API's checks (another process, an older version): the scheduler
    // refuses it on its first drive with the same problems, and nothing is sent.
    const sent = target.requests.length;
    const { run } = await api.store.createRun({
      integrationId,
      hireId,
      block: "execute",
      params: {},
    });
    scheduler.notify();
    const failed = await finished(run.id);
    expect(failed.status).toBe("failed");
    expect(failed.error.message).toMatch(/^nothing was sent: /);
    const stored = await api.store.getRun(run.id);
    const details = (stored?.error as { details?: { problems?: Array<{ message: string }> } })
      ?.details;
    expect(shape(details?.problems ?? [])).toEqual(cliProblems);
    expect(target.requests.length).toBe(sent);
    expect(api.transcript.join("\n")).not.toContain(TOKEN);
  });
});
