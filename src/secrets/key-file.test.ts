import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SecretCipher } from "./cipher.ts";
import { KEY_FILE_NAME, loadOrCreateKey, openCipher } from "./key-file.ts";

describe("loadOrCreateKey", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "hirewire-key-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("creates secret.key with mode 0600 on first use and reads it back after", async () => {
    const dataDir = join(dir, "data");
    const first = await loadOrCreateKey(dataDir);
    expect(first).toHaveLength(32);
    const info = await stat(join(dataDir, KEY_FILE_NAME));
    expect(info.mode & 0o777).toBe(0o600);
    const second = await loadOrCreateKey(dataDir);
    expect(second.equals(first)).toBe(true);
  });

  it("lets a cipher from the same data dir decrypt what an earlier one encrypted", async () => {
    const token = (await openCipher(dir)).encrypt("carried across restarts");
    expect((await openCipher(dir)).decrypt(token)).toBe("carried across restarts");
  });

  it("prefers a given base64 key and does not write it to disk", async () => {
    const key = randomBytes(32);
    const loaded = await loadOrCreateKey(dir, key.toString("base64"));
    expect(loaded.equals(key)).toBe(true);
    await expect(readFile(join(dir, KEY_FILE_NAME))).rejects.toThrow(/ENOENT/);
  });

  it("rejects a key of the wrong length, given or in the file", async () => {
    await expect(loadOrCreateKey(dir, randomBytes(8).toString("base64"))).rejects.toThrow(
      /32 bytes/,
    );
    await writeFile(join(dir, KEY_FILE_NAME), randomBytes(31).toString("base64"));
    await expect(loadOrCreateKey(dir)).rejects.toThrow(/32 bytes/);
  });

  it("keeps the first key when two openers race on an empty data dir", async () => {
    const keys = await Promise.all([
      loadOrCreateKey(dir),
      loadOrCreateKey(dir),
      loadOrCreateKey(dir),
    ]);
    const onDisk = Buffer.from((await readFile(join(dir, KEY_FILE_NAME), "utf8")).trim(), "base64");
    for (const key of keys) expect(key.equals(onDisk)).toBe(true);
    expect(new SecretCipher(onDisk).decrypt(new SecretCipher(keys[0]!).encrypt("x"))).toBe("x");
  });
});
