// Durable run state is checked where it comes back in (a store row, a --state file): version and
// shape, field by field. A state that fails is never handed to `advance`; a wrong type there can
// loop forever (a step index that is not a number never reaches the step count).
import { RUN_STATUSES, STATE_VERSION, type RunState } from "./types.ts";

/** The state as saved, or the first thing wrong with it, as a phrase ("step is not …"). */
export type StateCheck = { ok: true; state: RunState } | { ok: false; reason: string };

type Check = (value: unknown) => boolean;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const isCount: Check = (value) => Number.isSafeInteger(value) && (value as number) >= 0;
const isString: Check = (value) => typeof value === "string";
const isBoolean: Check = (value) => typeof value === "boolean";
const isTime: Check = (value) => typeof value === "number" && Number.isFinite(value);
const isFileRef: Check = (value) =>
  isObject(value) &&
  isString(value.name) &&
  isString(value.ref) &&
  isCount(value.size) &&
  isString(value.contentType);
const recordOf =
  (item: Check): Check =>
  (value) =>
    isObject(value) && Object.values(value).every(item);

const REQUIRED: Array<[keyof RunState, Check, string]> = [
  ["runId", isString, "a string"],
  ["status", (value) => (RUN_STATUSES as readonly unknown[]).includes(value), "a run status"],
  ["step", isCount, "a whole number of 0 or more"],
  ["attempt", isCount, "a whole number of 0 or more"],
  ["pollAttempts", isCount, "a whole number of 0 or more"],
  ["retries", isCount, "a whole number of 0 or more"],
  ["responses", Array.isArray, "a list"],
  ["stored", isObject, "an object"],
  ["files", recordOf(isFileRef), "an object of saved files"],
  ["generated", recordOf(isString), "an object of strings"],
];

const OPTIONAL: Array<[keyof RunState, Check, string]> = [
  ["wakeAt", isTime, "a time in milliseconds"],
  [
    "inFlight",
    (value) =>
      isObject(value) &&
      isCount(value.step) &&
      isCount(value.attempt) &&
      isBoolean(value.idempotent),
    "an object with step, attempt and idempotent",
  ],
  [
    "error",
    (value) => isObject(value) && isString(value.code) && isString(value.message),
    "an object with code and message",
  ],
  ["lastOutcome", isString, "a string"],
  ["nextPage", isString, "a string"],
  ["pages", isCount, "a whole number of 0 or more"],
  ["phase", (value) => value === "oauth-refresh", '"oauth-refresh"'],
  ["oauthRefreshed", isBoolean, "true or false"],
];

/** Checks a decoded state (with `generated` merged back) against this hirewire's RunState. */
export function checkRunState(value: unknown): StateCheck {
  if (!isObject(value)) return { ok: false, reason: "the state is not an object" };
  if (value.version !== STATE_VERSION) {
    return {
      ok: false,
      reason: `the state has version ${JSON.stringify(value.version) ?? "(none)"}; this hirewire reads version ${STATE_VERSION}`,
    };
  }
  for (const [key, check, expected] of REQUIRED) {
    if (!check(value[key])) return { ok: false, reason: wrong(key, value[key], expected) };
  }
  for (const [key, check, expected] of OPTIONAL) {
    if (value[key] !== undefined && !check(value[key]))
      return { ok: false, reason: wrong(key, value[key], expected) };
  }
  return { ok: true, state: value as unknown as RunState };
}

function wrong(key: string, value: unknown, expected: string): string {
  const got = value === undefined ? "missing" : `${JSON.stringify(value)?.slice(0, 40)}`;
  return `the state's ${key} should be ${expected} (got ${got})`;
}
