// The --state file: everything `hirewire resume` needs except the secrets, which are given again.
// Written after every attempt (atomically: temp file then rename) so a killed run can resume.
import { readFile, rename, writeFile } from "node:fs/promises";
import { HirewireError } from "../errors/index.ts";
import type { JsonValue } from "../manifest/types.ts";
import type { RunBlock, RunState } from "../engine/types.ts";
import { STATE_VERSION } from "../engine/types.ts";
import { checkRunState } from "../engine/state-check.ts";

export const STATE_FORMAT = "hirewire-run-state";

export interface StateFile {
  format: typeof STATE_FORMAT;
  version: typeof STATE_VERSION;
  manifestPath: string;
  manifest: unknown;
  /** The block the run executes; absent in files written before revoke runs (= `execute`). */
  block?: RunBlock;
  hire: Record<string, JsonValue>;
  stored: Record<string, JsonValue>;
  params: Record<string, JsonValue>;
  filesDir: string;
  state: RunState;
}

export async function writeStateFile(path: string, file: StateFile): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  await rename(temp, path);
}

export async function readStateFile(path: string): Promise<StateFile> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new HirewireError({
      code: "INPUT_INVALID",
      message: `cannot read state file ${path}: ${(error as Error).message}`,
      path,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new HirewireError({
      code: "STATE_INVALID",
      message: `state file ${path} is not valid JSON: ${(error as Error).message}`,
      path,
    });
  }
  const file = value as Partial<StateFile>;
  if (file === null || typeof file !== "object" || file.format !== STATE_FORMAT) {
    throw new HirewireError({
      code: "STATE_INVALID",
      message: `${path} is not a hirewire state file (written by \`hirewire run --state\`)`,
      path,
    });
  }
  if (file.version !== STATE_VERSION || file.state?.version !== STATE_VERSION) {
    throw new HirewireError({
      code: "STATE_INVALID",
      message: `state file ${path} has version ${String(file.version)}; this hirewire reads version ${STATE_VERSION}`,
      path,
    });
  }
  const checked = checkRunState(file.state);
  if (!checked.ok) {
    throw new HirewireError({
      code: "STATE_INVALID",
      message: `state file ${path} cannot be resumed: ${checked.reason}`,
      path,
    });
  }
  return file as StateFile;
}
