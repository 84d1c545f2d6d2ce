// The base error of hirewire: a stable code, the place it is about (JSON path and/or step index)
// and structured details. Messages are written for the admin who wrote the manifest.
import { ERROR_CATALOG, type ErrorCode } from "./catalog.ts";

/** A plain, JSON-serializable description of an error, as stored in run state and records. */
export interface ErrorInfo {
  code: ErrorCode;
  message: string;
  /** JSON path in the manifest or input, e.g. `execute[2].headers.Authorization`. */
  path?: string;
  /** Zero-based index of the step in the block being run. */
  step?: number;
  details?: Record<string, unknown>;
}

export class HirewireError extends Error {
  readonly code: ErrorCode;
  readonly path: string | undefined;
  readonly step: number | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(info: ErrorInfo, options?: { cause?: unknown }) {
    super(info.message, options);
    this.name = "HirewireError";
    this.code = info.code;
    this.path = info.path;
    this.step = info.step;
    this.details = info.details;
  }

  get title(): string {
    return ERROR_CATALOG[this.code].title;
  }

  toJSON(): ErrorInfo {
    return toErrorInfo(this);
  }
}

/** Turns any thrown value into an ErrorInfo (unknown errors become INTERNAL). */
export function toErrorInfo(error: unknown): ErrorInfo {
  if (error instanceof HirewireError) {
    const info: ErrorInfo = { code: error.code, message: error.message };
    if (error.path !== undefined) info.path = error.path;
    if (error.step !== undefined) info.step = error.step;
    if (error.details !== undefined) info.details = error.details;
    return info;
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: "INTERNAL", message };
}

export function isHirewireError(error: unknown, code?: ErrorCode): error is HirewireError {
  return error instanceof HirewireError && (code === undefined || error.code === code);
}
