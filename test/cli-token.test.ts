// `hirewire token` and the first-start token as users meet them: child processes on a real data
// directory, next to a running service that must honour what the command did at once.
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { createTestSchema } from "../src/store/postgres/test-database.ts";
import { BIN, runHirewire, type CliResult } from "./support/cli-process.ts";
import { startServiceProcess } from "./support/service-process.ts";

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hirewire-cli-token-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function hirewire(args: string[]): Promise<CliResult> {
  return runHirewire(args, { env: { HIREWIRE_ADMIN_TOKEN: "" } });
}

async function status(url: string, token: string): Promise<number> {
  const response = await fetch(`${url}/api/integrations`, {
    headers: { authorization: `Bearer ${token}` },
  });
  await response.text();
  return response.status;
}

describe("hirewire serve and hirewire token", () => {
  it("print the first-start token on stderr only, and create, list and revoke tokens", async () => {
    const child = spawn(process.execPath, [BIN, "serve", "--data", dir, "--port", "0"], {
      env: { ...process.env, HIREWIRE_ADMIN_TOKEN: "", HIREWIRE_SANDBOX: "off", LOG_LEVEL: "info" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no start:\n${stdout}\n${stderr}`)),
          30_000,
        );
        const poll = setInterval(() => {
          const match = /hirewire is running at (http:\/\/\S+)/.exec(stdout);
          if (match !== null && /Admin API token/.test(stderr)) {
            clearTimeout(timer);
            clearInterval(poll);
            resolve(match[1]!);
          }
        }, 50);
      });
      const first = /Admin API token[^\n]*\n\s+(hw_\S+)/.exec(stderr)![1]!;
      expect(stdout).not.toContain(first);
      expect(await status(url, first)).toBe(200);

      const created = await hirewire(["token", "create", "--name", "ci deploys", "--data", dir]);
      expect(created.code, created.stderr).toBe(0);
      const token = created.stdout.trim();
      expect(token).toMatch(/^hw_\S+$/);
      expect(created.stderr).toContain("ci deploys");
      expect(created.stderr).not.toContain(token);
      expect(await status(url, token)).toBe(200);

      const listed = await hirewire(["token", "list", "--data", dir, "--json"]);
      expect(listed.code, listed.stderr).toBe(0);
      expect(listed.stdout).not.toContain(token);
      expect(listed.stdout).not.toContain(first);
      const items = JSON.parse(listed.stdout).items as Array<Record<string, unknown>>;
      expect(items.map((t) => `${t.name}/${t.source}`)).toEqual([
        "admin/generated",
        "ci deploys/created",
      ]);
      expect(items[1]!.last_used_at).toEqual(expect.any(String));
      const human = await hirewire(["token", "list", "--data", dir]);
      expect(human.stdout).toContain("ci deploys  (created)");

      const revoked = await hirewire(["token", "revoke", "ci deploys", "--data", dir]);
      expect(revoked.code, revoked.stderr).toBe(0);
      expect(revoked.stdout).toContain(`revoked ${items[1]!.id}`);
      expect(await status(url, token)).toBe(401);
      expect(await status(url, first)).toBe(200);

      const unknown = await hirewire(["token", "revoke", "tok_nope", "--data", dir]);
      expect(unknown.code).not.toBe(0);
      expect(unknown.stderr).toContain('no API token has the id or name "tok_nope"');
    } finally {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
    }
  });

  it("refuses a directory without hirewire data instead of creating one", async () => {
    const empty = await mkdtemp(join(tmpdir(), "hirewire-cli-token-empty-"));
    try {
      const result = await hirewire(["token", "list", "--data", empty]);
      expect(result.code).toBe(3);
      expect(result.stderr).toContain("holds no hirewire data");
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it("with HIREWIRE_DATABASE_URL works on the PostgreSQL store an API process serves", async () => {
    const db = await createTestSchema();
    const serviceDir = await mkdtemp(join(tmpdir(), "hirewire-cli-token-pg-"));
    // The command runs where the service's data directory is not: PostgreSQL holds the tokens.
    const elsewhere = join(serviceDir, "not-here");
    const env = { HIREWIRE_ADMIN_TOKEN: "", HIREWIRE_DATABASE_URL: db.urlWithSchema };
    const service = await startServiceProcess(
      serviceDir,
      { HIREWIRE_DATABASE_URL: db.urlWithSchema, HIREWIRE_SANDBOX: "off" },
      ["--no-worker"],
    );
    try {
      const created = await runHirewire(
        ["token", "create", "--name", "pg deploys", "--data", elsewhere],
        { env },
      );
      expect(created.code, created.stderr).toBe(0);
      const token = created.stdout.trim();
      expect(token).toMatch(/^hw_\S+$/);
      expect(await status(service.url, token)).toBe(200);
      expect(existsSync(elsewhere)).toBe(false);

      const listed = await runHirewire(["token", "list", "--json"], { env });
      expect(listed.code, listed.stderr).toBe(0);
      const names = (JSON.parse(listed.stdout).items as Array<{ name: string }>).map((t) => t.name);
      expect(names).toContain("pg deploys");

      const revoked = await runHirewire(["token", "revoke", "pg deploys"], { env });
      expect(revoked.code, revoked.stderr).toBe(0);
      expect(await status(service.url, token)).toBe(401);
    } finally {
      await service.kill("SIGTERM");
      await db.drop();
      await rm(serviceDir, { recursive: true, force: true });
    }
  }, 60_000);
});
