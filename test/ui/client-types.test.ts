// The web UI's browser scripts are plain JavaScript with JSDoc types (served as they are, no build
// step); the project's `tsc --noEmit` does not read them, so this test type-checks them.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));

describe("web UI scripts", () => {
  it("type-check against the DOM with tsc", async () => {
    const tsc = fileURLToPath(import.meta.resolve("typescript/bin/tsc"));
    const result = await promisify(execFile)(
      process.execPath,
      [tsc, "-p", "src/service/ui/tsconfig.client.json"],
      { cwd: root },
    ).then(
      () => ({ ok: true, output: "" }),
      (error: { stdout?: string }) => ({ ok: false, output: error.stdout ?? String(error) }),
    );
    expect(result.output).toBe("");
    expect(result.ok).toBe(true);
  });
});
