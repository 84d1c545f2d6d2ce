// `hirewire validate MANIFEST...`: exit 0 when every file is valid, 3 otherwise.
import { parseManifest } from "../manifest/index.ts";
import type { ValidationProblem } from "../manifest/types.ts";
import { EXIT } from "./exit-codes.ts";
import { HumanOutput } from "./human-output.ts";
import { readText } from "./inputs.ts";
import { toErrorInfo } from "../errors/index.ts";

export async function validateCommand(
  files: string[],
  options: { json?: boolean },
): Promise<number> {
  const results: Array<{ file: string; valid: boolean; problems: ValidationProblem[] }> = [];
  for (const file of files) {
    try {
      const result = parseManifest(await readText(file, "manifest"));
      results.push({
        file,
        valid: result.ok,
        problems: result.ok ? result.warnings : result.problems,
      });
    } catch (error) {
      results.push({
        file,
        valid: false,
        problems: [
          { path: "", message: toErrorInfo(error).message, severity: "error", code: "VALIDATION" },
        ],
      });
    }
  }
  const valid = results.every((result) => result.valid);
  if (options.json === true) {
    process.stdout.write(`${JSON.stringify({ valid, files: results }, null, 2)}\n`);
  } else {
    const out = new HumanOutput();
    for (const result of results) {
      out.problems(result.problems, result.file);
      if (result.valid) process.stdout.write(`${result.file}: valid\n`);
    }
  }
  return valid ? EXIT.succeeded : EXIT.invalid;
}
