// The --state file: everything `hirewire resume` needs except the secrets, which are given again.
// Written after every attempt (atomically: temp file then rename) so a killed run can resume.
// Read back as strictly as a manifest: a hand-edited or damaged file is refused with one sentence
// naming the field, before anything is sent.
import { createHash } from "node:crypto";
import { rename, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, relative, resolve, sep } from "node:path";
import type { HirewireError } from "../errors/index.ts";
import { hirewireError } from "../errors/index.ts";
import { isRecord, previewValue } from "../manifest/path.ts";
import { validateManifest } from "../manifest/index.ts";
import type { JsonValue, Manifest } from "../manifest/types.ts";
import { describeRunStateProblem, parseRunState } from "../engine/parse-run-state.ts";
import type { RunState } from "../engine/types.ts";
import { STATE_VERSION } from "../engine/types.ts";
import { preparedFrom, type PreparedManifest } from "../runner/prepared-manifest.ts";
import { readText } from "./inputs.ts";

export const STATE_FORMAT = "hirewire-run-state";

/** The blocks the CLI runs with --state (`hirewire run` and `hirewire revoke`). */
const STATE_BLOCKS = ["execute", "revoke"] as const;
type StateBlock = (typeof STATE_BLOCKS)[number];

export interface StateFile {
  format: typeof STATE_FORMAT;
  version: typeof STATE_VERSION;
  manifestPath: string;
  manifest: unknown;
  /** `sha256:<hex>` of the manifest (keys sorted): a manifest swapped in later is refused. */
  manifestDigest: string;
  /** The block the run executes; absent means `execute`. */
  block?: StateBlock;
  hire: Record<string, JsonValue>;
  stored: Record<string, JsonValue>;
  params: Record<string, JsonValue>;
  /** Where the run's files are kept, relative to the state file's folder (and inside it). */
  filesDir: string;
  state: RunState;
}

/** A state file checked from end to end, with its manifest validated and its folder resolved. */
export interface LoadedStateFile {
  file: StateFile;
  manifest: Manifest;
  /** The manifest as validated here, for the runner (not validated again). */
  prepared: PreparedManifest;
  /** `file.filesDir` as an absolute path inside the state file's folder. */
  filesDir: string;
}

export async function writeStateFile(path: string, file: StateFile): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  await rename(temp, path);
}

/** `sha256:<hex>` of the manifest as JSON with sorted keys, so reformatting the file keeps it. */
export function manifestDigest(manifest: unknown): string {
  const canonical = JSON.stringify(manifest, (_key, value: unknown) =>
    isRecord(value)
      ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : value,
  );
  return `sha256:${createHash("sha256").update(canonical).digest("hex")}`;
}

/**
 * The files folder to record for a state file at `statePath`: relative to the state file's folder.
 * A folder outside it is refused, since `hirewire resume` only ever writes inside that folder.
 */
export function recordedFilesDir(statePath: string, filesDir: string): string {
  const folder = dirname(resolve(statePath));
  const inside = insideFolder(folder, resolve(filesDir));
  if (inside === undefined)
    throw hirewireError(
      "INPUT_INVALID",
      "filesDirOutside",
      { filesDir, folder },
      { path: "--files-dir" },
    );
  return inside === "" ? "." : inside;
}

export async function readStateFile(path: string): Promise<LoadedStateFile> {
  const text = await readText(path, "state file");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason = (error as Error).message;
    throw hirewireError("STATE_INVALID", "notJson", { file: path, reason }, { path });
  }
  if (!isRecord(value) || value.format !== STATE_FORMAT)
    throw hirewireError("STATE_INVALID", "notStateFile", { file: path }, { path });
  if (value.version !== STATE_VERSION)
    throw hirewireError(
      "STATE_INVALID",
      "version",
      { file: path, version: previewValue(value.version), supported: STATE_VERSION },
      { path: "version" },
    );
  for (const key of ["hire", "stored", "params"] as const)
    if (!isRecord(value[key]))
      throw invalid(path, key, `${key} must be an object${got(value[key])}`);
  for (const key of ["manifestPath", "manifestDigest", "filesDir"] as const)
    if (typeof value[key] !== "string")
      throw invalid(path, key, `${key} must be a string${got(value[key])}`);
  const block = value.block ?? "execute";
  if (!(STATE_BLOCKS as readonly unknown[]).includes(block))
    throw invalid(path, "block", `block must be "execute" or "revoke"${got(value.block)}`);

  const manifest = validateManifest(value.manifest);
  if (!manifest.ok) {
    const [first, ...more] = manifest.problems;
    const where = first!.path === "" ? "manifest" : `manifest.${first!.path}`;
    const others = more.length > 0 ? ` (and ${more.length} more problems)` : "";
    throw invalid(path, "manifest", `${where}: ${first!.message}${others}`);
  }
  if (manifestDigest(value.manifest) !== value.manifestDigest)
    throw hirewireError("STATE_INVALID", "manifestChanged", { file: path }, { path: "manifest" });

  const state = parseRunState(value.state, {
    manifest: manifest.manifest,
    block: block as StateBlock,
  });
  if (!state.ok)
    throw invalid(
      path,
      state.path === "" ? "state" : `state.${state.path}`,
      describeRunStateProblem(state, "state"),
    );

  const folder = dirname(resolve(path));
  const filesDir = resolve(folder, value.filesDir as string);
  if (insideFolder(folder, filesDir) === undefined)
    throw invalid(
      path,
      "filesDir",
      `filesDir must be a folder inside ${folder}${got(value.filesDir)}`,
    );
  return {
    file: value as unknown as StateFile,
    manifest: manifest.manifest,
    prepared: preparedFrom(manifest),
    filesDir,
  };
}

/** `target` relative to `folder` when it is the folder or inside it; undefined otherwise. */
function insideFolder(folder: string, target: string): string | undefined {
  const rel = relative(folder, target);
  if (isAbsolute(rel) || rel === ".." || rel.startsWith(`..${sep}`)) return undefined;
  return rel;
}

function got(value: unknown): string {
  return ` (got ${previewValue(value)})`;
}

/** STATE_INVALID: `state file PATH: SENTENCE`, the sentence naming the field at `field`. */
function invalid(path: string, field: string, sentence: string): HirewireError {
  return hirewireError(
    "STATE_INVALID",
    "stateFile",
    { file: path, problem: sentence },
    { path: field },
  );
}
