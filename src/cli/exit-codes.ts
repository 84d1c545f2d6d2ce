// Exit codes scripts can branch on.
import type { ErrorCode } from "../errors/index.ts";

export const EXIT = Object.freeze({ succeeded: 0, failed: 1, blocked: 2, invalid: 3 });

const INPUT_CODES: ReadonlySet<ErrorCode> = new Set([
  "VALIDATION",
  "INPUT_INVALID",
  "INPUT_MISSING",
  "STATE_INVALID",
  "TEMPLATE_SYNTAX",
  "TEMPLATE_UNDEFINED_VARIABLE",
]);

export function exitCodeFor(code: ErrorCode): number {
  return INPUT_CODES.has(code) ? EXIT.invalid : EXIT.failed;
}

export function exitCodeForStatus(status: string): number {
  switch (status) {
    case "succeeded":
    case "dry-run":
      return EXIT.succeeded;
    case "blocked":
      return EXIT.blocked;
    case "invalid":
      return EXIT.invalid;
    default:
      return EXIT.failed;
  }
}
