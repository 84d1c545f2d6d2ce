// What is left of a run once its personal details are erased (its hire was deleted, or its
// attempts outlived HIREWIRE_ATTEMPT_RETENTION_DAYS): the skeleton an audit needs — status, times,
// step, attempt counts, methods, hosts, status codes, error codes — and nothing a hire's data
// could hide in: no bodies, headers, full URLs, saved responses, stored values, params or
// messages (a message may quote a response). Pure functions over decoded JSON.
import { ERROR_CATALOG, type ErrorCode, type ErrorInfo } from "../errors/index.ts";
import type { JsonValue } from "../manifest/types.ts";

/** Why a run's details were erased. */
export type ErasedReason = "hire deleted" | "retention";

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The origin of a URL (the host is the integration's, not the hire's); the rest may name them. */
function originOf(url: unknown): string {
  if (typeof url !== "string") return "";
  try {
    return `${new URL(url).origin}/…`;
  } catch {
    return "…";
  }
}

/** An error reduced to its code, path and step, with its catalog title as the message. */
export function erasedError(error: unknown, reason: ErasedReason): ErrorInfo | null {
  if (!isObject(error) || typeof error.code !== "string") return null;
  const code = (error.code in ERROR_CATALOG ? error.code : "INTERNAL") as ErrorCode;
  const info: ErrorInfo = {
    code,
    message: `${ERROR_CATALOG[code].title} (details erased: ${reason}).`,
  };
  if (typeof error.path === "string") info.path = error.path;
  if (typeof error.step === "number") info.step = error.step;
  return info;
}

/** An attempt record without bodies, headers, redirects or the URL past its origin. */
export function erasedAttempt(record: unknown, reason: ErasedReason): JsonValue {
  const source = isObject(record) ? record : {};
  const request = isObject(source.request) ? source.request : {};
  const out: Json = {
    request: {
      method: typeof request.method === "string" ? request.method : "",
      url: originOf(request.url),
      headers: {},
    },
    redirects: [],
    erased: reason,
  };
  for (const key of ["step", "attempt", "name", "startedAt", "durationMs"]) {
    if (key in source) out[key] = source[key];
  }
  if (isObject(source.response) && typeof source.response.status === "number")
    out.response = { status: source.response.status, headers: {} };
  const error = erasedError(source.error, reason);
  if (error !== null) out.error = error;
  return out as JsonValue;
}

/** A run state (without `generated`) keeping only where the run stood. */
export function erasedState(state: unknown, reason: ErasedReason): JsonValue | null {
  if (!isObject(state)) return null;
  const out: Json = {
    responses: [],
    stored: {},
    files: {},
  };
  for (const key of [
    "version",
    "runId",
    "status",
    "step",
    "attempt",
    "pollAttempts",
    "retries",
    "wakeAt",
    "pages",
    "oauthRefreshed",
  ]) {
    if (key in state) out[key] = state[key];
  }
  const error = erasedError(state.error, reason);
  if (error !== null) out.error = error;
  return out as JsonValue;
}
