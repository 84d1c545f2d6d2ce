// The library: validate and run manifests from your own code.
export {
  validateManifest,
  parseManifest,
  manifestJsonSchema,
  formatProblem,
} from "./manifest/index.ts";
export type {
  Manifest,
  ProvisioningManifest,
  SyncUsersManifest,
  Step,
  ValidationProblem,
  ValidationResult,
  JsonValue,
} from "./manifest/index.ts";
export { runManifest, resumeRun, dryRun } from "./runner/run-manifest.ts";
export { prepareManifest } from "./runner/prepared-manifest.ts";
export type { RunOptions, RunInputs, RunResult, DryRunResult } from "./runner/run-manifest.ts";
export type { AttemptRecord } from "./runner/attempt-record.ts";
export type { RunState, RunStatus, EngineOptions } from "./engine/types.ts";
export { HirewireError, ERROR_CATALOG, ERROR_MESSAGES } from "./errors/index.ts";
export type { ErrorCode, ErrorInfo, Problem } from "./errors/index.ts";
