// `hirewire sync MANIFEST`: runs a sync-users manifest in this process — execute, data_from,
// data_structure, every page — and prints the users it found, as a preview. The CLI keeps no
// hires, so nothing is created or updated; the service applies syncs.
import { problem } from "../errors/index.ts";
import type { IncompleteUser } from "../engine/sync-pages.ts";
import { isSyncUsersManifest } from "../manifest/types.ts";
import { parseManifest } from "../manifest/index.ts";
import { preparedFrom, runManifest, type RunResult } from "../runner/index.ts";
import {
  readSyncResult,
  screenSyncUsers,
  type ScreenedUser,
  type SkippedUser,
} from "../sync/index.ts";
import { exitCodeForStatus, EXIT } from "./exit-codes.ts";
import { HumanOutput } from "./human-output.ts";
import { parseParams, readSecrets, readText } from "./inputs.ts";
import { withFilesDir } from "./run-files.ts";

export interface SyncCommandOptions {
  secrets?: string;
  param: string[];
  json?: boolean;
  filesDir?: string;
}

/** What `--json` prints. */
export interface SyncCommandJson {
  status: RunResult["status"];
  action?: "create" | "update";
  pages: number;
  /** Users with a usable email, first per email: those the service would create or match. */
  users: ScreenedUser["user"][];
  skipped: SkippedUser[];
  /** Users kept without some data_structure fields (their entry lacked them). */
  incomplete: IncompleteUser[];
  error?: RunResult["error"];
  problems?: RunResult["problems"];
  warnings: string[];
}

export async function syncCommand(
  manifestPath: string,
  options: SyncCommandOptions,
): Promise<number> {
  const out = new HumanOutput();
  const parsed = parseManifest(await readText(manifestPath, "manifest"));
  if (!parsed.ok) {
    if (options.json === true)
      process.stdout.write(
        `${JSON.stringify({ status: "invalid", problems: parsed.problems }, null, 2)}\n`,
      );
    else out.problems(parsed.problems, manifestPath);
    return EXIT.invalid;
  }
  if (!isSyncUsersManifest(parsed.manifest)) {
    const notSync = problem(
      "VALIDATION",
      "notSyncManifest",
      {},
      { path: "action", severity: "error" },
    );
    if (options.json === true)
      process.stdout.write(
        `${JSON.stringify({ status: "invalid", problems: [notSync] }, null, 2)}\n`,
      );
    else out.problems([notSync], manifestPath);
    return EXIT.invalid;
  }
  const secrets =
    options.secrets !== undefined ? await readSecrets(options.secrets) : { secrets: {} };
  const started = Date.now();
  const result = await withFilesDir(options.filesDir, (filesDir) =>
    runManifest(preparedFrom(parsed), {
      block: "sync",
      hire: {},
      secrets: secrets.secrets,
      params: parseParams(options.param),
      ...(secrets.oauth !== undefined ? { oauth: secrets.oauth } : {}),
      filesDir,
    }),
  );
  const found = readSyncResult(result.result);
  const screened = found !== undefined ? screenSyncUsers(found) : { users: [], skipped: [] };
  const action = parsed.manifest.action;

  if (options.json === true) {
    const body: SyncCommandJson = {
      status: result.status,
      action,
      pages: found?.pages ?? 0,
      users: screened.users.map((entry) => entry.user),
      skipped: screened.skipped,
      incomplete: found?.incomplete ?? [],
      warnings: result.warnings,
    };
    if (result.error !== undefined) body.error = result.error;
    if (result.problems !== undefined) body.problems = result.problems;
    process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
    return exitCodeForStatus(result.status);
  }

  if (found !== undefined) {
    const verb =
      action === "create"
        ? "create a hire for each one not yet a hire"
        : "update the stored fields of matching hires";
    process.stdout.write(
      `${screened.users.length} users on ${found.pages} page${found.pages === 1 ? "" : "s"} (the service would ${verb}):\n`,
    );
    for (const { email, user } of screened.users) {
      const { email: _email, ...rest } = user;
      process.stdout.write(`  ${email} ${JSON.stringify(rest)}\n`);
    }
    const incomplete = found.incomplete ?? [];
    if (incomplete.length > 0) {
      process.stdout.write(`${incomplete.length} kept without some fields:\n`);
      for (const entry of incomplete)
        process.stdout.write(
          `  page ${entry.page} entry ${entry.index + 1}${entry.email !== undefined ? ` (${entry.email})` : ""}: no ${entry.missing.join(", ")}\n`,
        );
    }
    if (screened.skipped.length > 0) {
      process.stdout.write(`${screened.skipped.length} skipped:\n`);
      for (const skip of screened.skipped) process.stdout.write(`  ${describeSkip(skip)}\n`);
    }
  }
  out.result(result, Date.now() - started);
  if (result.status === "succeeded")
    process.stdout.write(
      "preview only: the CLI keeps no hires; apply a sync through the service\n",
    );
  return exitCodeForStatus(result.status);
}

function describeSkip(skip: SkippedUser): string {
  const where =
    skip.page !== undefined
      ? `page ${skip.page} entry ${(skip.index ?? 0) + 1}: `
      : skip.email !== undefined
        ? `${skip.email}: `
        : "";
  return `${where}${skip.reason}`;
}
