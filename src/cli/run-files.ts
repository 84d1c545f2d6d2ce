// Where a CLI run keeps its files (save_as_file): the folder the user named (--files-dir, or the
// --state file's `.files` folder), else a temporary folder that is removed when the command ends —
// a run the user cannot resume leaves nothing behind in the OS temp dir. Also tells the user where
// the files a run saved are, or that they were not kept.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { safeSegment } from "../files/index.ts";
import type { RunResult } from "../runner/index.ts";

/**
 * Runs `run` with a folder for run files: `given` (created if needed) or a temporary one, which
 * is removed afterwards whatever happened. `kept` says which of the two it was.
 */
export async function withFilesDir<T>(
  given: string | undefined,
  run: (dir: string, kept: boolean) => Promise<T>,
): Promise<T> {
  if (given !== undefined) {
    await mkdir(given, { recursive: true });
    return run(given, true);
  }
  const temporary = await mkdtemp(join(tmpdir(), "hirewire-files-"));
  try {
    return await run(temporary, false);
  } finally {
    await rm(temporary, { recursive: true, force: true });
  }
}

/** Names of the files the run's attempts saved (save_as_file), each once, in order. */
export function savedFileNames(result: RunResult): string[] {
  const names = new Set<string>();
  for (const step of result.steps)
    for (const attempt of step.attempts)
      if (attempt.response?.file !== undefined) names.add(attempt.response.file.name);
  return [...names];
}

/** The folder holding the files of run `runId` under `filesDir`. */
export function runFilesDir(filesDir: string, runId: string): string {
  return join(resolve(filesDir), safeSegment(runId));
}

/** One line saying where the run's saved files are, or that they were not kept; "" without any. */
export function filesLine(result: RunResult, filesDir: string, kept: boolean): string {
  const names = savedFileNames(result);
  if (names.length === 0) return "";
  const list = names.join(", ");
  return kept
    ? `files ${list} kept in ${runFilesDir(filesDir, result.runId)}\n`
    : `files ${list} were not kept (give --files-dir DIR or --state FILE to keep them)\n`;
}
