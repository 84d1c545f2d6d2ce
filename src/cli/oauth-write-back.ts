// The CLI keeps OAuth tokens in the secrets file's `oauth` object. A refresh during a run replaces
// them — and a provider that rotates refresh tokens revokes the old one — so the new tokens are
// written back into that file, or the next run could not authenticate.
import { chmod, readFile, rename, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { randomBytes } from "node:crypto";
import { applyEdits, modify } from "jsonc-parser";
import type { JsonValue } from "../manifest/types.ts";

/**
 * Replaces the `oauth` object of the JSON secrets file at `path`, keeping the rest of the file as
 * it is. Atomic (temp file + rename) and keeping the file's permissions, since it holds secrets.
 */
export async function writeBackTokens(
  path: string,
  tokens: Record<string, JsonValue>,
): Promise<void> {
  const text = await readFile(path, "utf8");
  const edits = modify(text, ["oauth"], tokens, {
    formattingOptions: { insertSpaces: true, tabSize: 2, eol: "\n" },
  });
  const { mode } = await stat(path);
  const temp = join(dirname(path), `.${randomBytes(6).toString("hex")}.tmp`);
  await writeFile(temp, applyEdits(text, edits), { mode: mode & 0o777 });
  await chmod(temp, mode & 0o777);
  await rename(temp, path);
}

/** The runner hook that writes refreshed tokens back, when the secrets come from a JSON file with tokens. */
export function oauthWriteBack(
  secretsPath: string | undefined,
  hasTokens: boolean,
): { onOAuthTokens?: (tokens: Record<string, JsonValue>) => Promise<void> } {
  if (secretsPath === undefined || !hasTokens) return {};
  return { onOAuthTokens: (tokens) => writeBackTokens(secretsPath, tokens) };
}
