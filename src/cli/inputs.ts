// Reading the CLI's input files (manifest, hire, secrets, params) with errors that name the file
// and what is wrong in it. Environment and files are read here, at the edge, never deeper.
import { readFile } from "node:fs/promises";
import { parse as parseDotenv } from "dotenv";
import { hirewireError } from "../errors/index.ts";
import type { JsonValue } from "../manifest/types.ts";

/** What the common reasons a file cannot be read mean, instead of Node's `ENOENT: …` text. */
const READ_FAILURES: Record<string, string> = {
  ENOENT: "no such file",
  EISDIR: "it is a folder, not a file",
  EACCES: "permission denied",
  EPERM: "permission denied",
  ENOTDIR: "a part of the path is not a folder",
};

export async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      (code !== undefined ? READ_FAILURES[code] : undefined) ?? (error as Error).message;
    throw hirewireError("INPUT_INVALID", "unreadableFile", { what, file: path, reason }, { path });
  }
}

function parseJsonFile(text: string, path: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = (error as Error).message;
    throw hirewireError("INPUT_INVALID", "fileNotJson", { what, file: path, reason }, { path });
  }
}

export interface HireFile {
  hire: Record<string, JsonValue>;
  stored: Record<string, JsonValue>;
}

/** HIRE.json: the hire's props plus an optional `"stored"` object of fields stored by earlier runs. */
export async function readHire(path: string): Promise<HireFile> {
  const value = parseJsonFile(await readText(path, "hire file"), path, "hire file");
  if (!isObject(value))
    throw hirewireError(
      "INPUT_INVALID",
      "fileShape",
      { what: "hire file", file: path, rule: "hold a JSON object of the hire's props" },
      { path },
    );
  const { stored, ...hire } = value;
  if (stored !== undefined && !isObject(stored))
    throw hirewireError(
      "INPUT_INVALID",
      "fileShape",
      { what: "hire file", file: path, field: '"stored"', rule: "be an object of stored fields" },
      { path: "stored" },
    );
  return {
    hire: hire as Record<string, JsonValue>,
    stored: (stored ?? {}) as Record<string, JsonValue>,
  };
}

export interface SecretsFile {
  secrets: Record<string, string>;
  oauth?: Record<string, JsonValue>;
}

/** SECRETS: a JSON object (id → value; an `oauth` object supplies `{{ oauth.* }}`) or a .env file. */
export async function readSecrets(path: string): Promise<SecretsFile> {
  const text = await readText(path, "secrets file");
  const looksJson = path.endsWith(".json") || text.trimStart().startsWith("{");
  if (!looksJson) return { secrets: parseDotenv(text) };
  const value = parseJsonFile(text, path, "secrets file");
  if (!isObject(value))
    throw hirewireError(
      "INPUT_INVALID",
      "fileShape",
      { what: "secrets file", file: path, rule: "hold a JSON object of secret id → value" },
      { path },
    );
  const secrets: Record<string, string> = {};
  let oauth: Record<string, JsonValue> | undefined;
  for (const [key, item] of Object.entries(value)) {
    if (key === "oauth") {
      if (!isObject(item))
        throw hirewireError(
          "INPUT_INVALID",
          "fileShape",
          { what: "secrets file", file: path, field: '"oauth"', rule: "be an object of tokens" },
          { path: "oauth" },
        );
      oauth = item as Record<string, JsonValue>;
    } else if (typeof item === "string" || typeof item === "number" || typeof item === "boolean") {
      secrets[key] = String(item);
    } else {
      const type = item === null ? "null" : typeof item;
      throw hirewireError(
        "INPUT_INVALID",
        "fileShape",
        { what: "secrets file", file: path, field: key, rule: `be a string (got ${type})` },
        { path: key },
      );
    }
  }
  return oauth !== undefined ? { secrets, oauth } : { secrets };
}

/** `--param KEY=VALUE`, repeatable. */
export function parseParams(pairs: readonly string[]): Record<string, JsonValue> {
  const params: Record<string, JsonValue> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw hirewireError("INPUT_INVALID", "paramShape", { pair });
    params[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return params;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
