// Manifest JSON text → validation result. A syntax error is one problem at the root that says
// where (line:column), since Node's own JSON.parse messages often give no position at all.
// jsonc-parser (VS Code's JSON scanner) is only used to locate an error JSON.parse found.
import { parse as parseLenient, printParseErrorCode, type ParseError } from "jsonc-parser";
import type { ValidationResult } from "./types.ts";
import { validateManifest } from "./validate.ts";

// Keyed by jsonc-parser's error names (its codes are a const enum, unusable with isolated modules).
const REASONS: Record<string, string> = {
  InvalidSymbol: "unexpected character",
  InvalidNumberFormat: "invalid number",
  PropertyNameExpected: "expected a property name in double quotes",
  ValueExpected: "expected a value",
  ColonExpected: 'expected ":"',
  CommaExpected: 'expected ","',
  CloseBraceExpected: 'expected "}"',
  CloseBracketExpected: 'expected "]"',
  EndOfFileExpected: "unexpected text after the end of the JSON value",
  InvalidCommentToken: "comments are not allowed in JSON",
  UnexpectedEndOfComment: "unterminated comment",
  UnexpectedEndOfString: "unterminated string",
  UnexpectedEndOfNumber: "unexpected end of number",
  InvalidUnicode: "invalid unicode escape",
  InvalidEscapeCharacter: "invalid escape character",
  InvalidCharacter: "invalid character in string (control characters must be escaped)",
};

function lineAndColumn(text: string, offset: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === "\n") {
      line++;
      lineStart = i + 1;
    }
  }
  return `line ${line}, column ${offset - lineStart + 1}`;
}

/** Describes a JSON syntax error as `invalid JSON at line 3, column 1: expected a property name in double quotes`. */
function describeSyntaxError(text: string, caught: unknown): string {
  const errors: ParseError[] = [];
  parseLenient(text, errors, {
    disallowComments: true,
    allowTrailingComma: false,
    allowEmptyContent: false,
  });
  const first = errors[0];
  if (first !== undefined) {
    const reason = REASONS[printParseErrorCode(first.error)] ?? "syntax error";
    return `invalid JSON at ${lineAndColumn(text, first.offset)}: ${reason}`;
  }
  // Rare cases the lenient scanner accepts (e.g. a leading zero): fall back on V8's position.
  const message = caught instanceof Error ? caught.message : String(caught);
  const position = /at position (\d+)/.exec(message);
  const where = position ? lineAndColumn(text, Number(position[1])) : "line 1, column 1";
  return `invalid JSON at ${where}: ${message}`;
}

/** Parses JSON text, then validates it; a syntax error is one problem with path "". */
export function parseManifest(text: string): ValidationResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (caught) {
    return {
      ok: false,
      problems: [
        {
          path: "",
          message: describeSyntaxError(text, caught),
          severity: "error",
          code: "VALIDATION",
        },
      ],
    };
  }
  return validateManifest(value);
}
