// Checking a run state read back from outside (a --state file, a database row) before the engine
// trusts it: the type of every field, the version, and — given the manifest — that the step index
// points at a step of the run's block. Pure: returns the first problem as a path and a sentence.
import { ERROR_CODES, type ErrorCode } from "../errors/index.ts";
import { formatPath, isRecord, previewValue, type PathSegment } from "../manifest/path.ts";
import { blockOf, blockSteps } from "./blocks.ts";
import { RUN_STATUSES, STATE_VERSION, type RunContext, type RunState } from "./types.ts";

/** Where a run state is wrong (`step`, `files["a.pdf"].size`) and what was expected there. */
export interface RunStateProblem {
  path: string;
  /** Reads after the path: `must be a whole number of 0 or more (got -1)`. */
  message: string;
}

export type ParseRunStateResult = { ok: true; state: RunState } | ({ ok: false } & RunStateProblem);

/** `step must be …`, or with a prefix for states inside something else: `state.step must be …`. */
export function describeRunStateProblem(problem: RunStateProblem, prefix = ""): string {
  const path =
    problem.path === "" ? prefix : prefix === "" ? problem.path : `${prefix}.${problem.path}`;
  return `${path === "" ? "the run state" : path} ${problem.message}`;
}

/**
 * Checks that `value` is a run state this hirewire can continue. With `against` (the manifest and
 * block the run executes) the step index must also point into that block: a state that points
 * past the last step would otherwise "succeed" without sending the steps it never ran.
 */
export function parseRunState(
  value: unknown,
  against?: Pick<RunContext, "manifest" | "block">,
): ParseRunStateResult {
  const problem =
    shapeProblem(value) ?? (against ? stepProblem(value as RunState, against) : undefined);
  return problem === undefined ? { ok: true, state: value as RunState } : { ok: false, ...problem };
}

type Check = (value: unknown, path: PathSegment[]) => RunStateProblem | undefined;

const fail = (path: PathSegment[], message: string, value: unknown): RunStateProblem => ({
  path: formatPath(path),
  message: `${message} (got ${previewValue(value)})`,
});

const wholeNumber: Check = (value, path) =>
  typeof value === "number" && Number.isSafeInteger(value) && value >= 0
    ? undefined
    : fail(path, "must be a whole number of 0 or more", value);

const string: Check = (value, path) =>
  typeof value === "string" ? undefined : fail(path, "must be a string", value);

const boolean: Check = (value, path) =>
  typeof value === "boolean" ? undefined : fail(path, "must be true or false", value);

const finiteNumber: Check = (value, path) =>
  typeof value === "number" && Number.isFinite(value)
    ? undefined
    : fail(path, "must be a number", value);

const anything: Check = () => undefined;

const list: Check = (value, path) =>
  Array.isArray(value) ? undefined : fail(path, "must be a list", value);

const object = (item: Check = anything): Check =>
  function check(value, path) {
    if (!isRecord(value)) return fail(path, "must be an object", value);
    for (const [key, entry] of Object.entries(value)) {
      const problem = item(entry, [...path, key]);
      if (problem !== undefined) return problem;
    }
    return undefined;
  };

const oneOf =
  (choices: readonly string[]): Check =>
  (value, path) =>
    typeof value === "string" && choices.includes(value)
      ? undefined
      : fail(path, `must be one of ${choices.map((c) => JSON.stringify(c)).join(", ")}`, value);

/** An object with these fields (`?` marks optional ones); other keys are left alone. */
const fields = (shape: Record<string, Check>): Check =>
  function check(value, path) {
    if (!isRecord(value)) return fail(path, "must be an object", value);
    for (const [spec, item] of Object.entries(shape)) {
      const optional = spec.endsWith("?");
      const key = optional ? spec.slice(0, -1) : spec;
      // An optional key set to undefined (as the engine clears one in memory) is absent in JSON.
      if (!Object.hasOwn(value, key) || (optional && value[key] === undefined)) {
        if (optional) continue;
        return { path: formatPath([...path, key]), message: "is missing" };
      }
      const problem = item(value[key], [...path, key]);
      if (problem !== undefined) return problem;
    }
    return undefined;
  };

const version: Check = (value, path) =>
  value === STATE_VERSION
    ? undefined
    : {
        path: formatPath(path),
        message: `is ${previewValue(value)}; this hirewire reads version ${STATE_VERSION}`,
      };

const fileRef = fields({ name: string, ref: string, size: wholeNumber, contentType: string });

const errorInfo = fields({
  code: oneOf(ERROR_CODES as readonly ErrorCode[]),
  message: string,
  "path?": string,
  "step?": wholeNumber,
  "details?": object(),
});

const inFlight = fields({ step: wholeNumber, attempt: wholeNumber, idempotent: boolean });

const runState = fields({
  version,
  runId: (value, path) =>
    typeof value === "string" && value !== ""
      ? undefined
      : fail(path, "must be a non-empty string", value),
  status: oneOf(RUN_STATUSES),
  step: wholeNumber,
  attempt: wholeNumber,
  pollAttempts: wholeNumber,
  retries: wholeNumber,
  responses: list,
  stored: object(),
  files: object(fileRef),
  generated: object(string),
  "wakeAt?": finiteNumber,
  "inFlight?": inFlight,
  "error?": errorInfo,
  "lastOutcome?": string,
  "result?": anything,
  "nextPage?": string,
  "pages?": wholeNumber,
  "phase?": oneOf(["oauth-refresh"]),
  "oauthRefreshed?": boolean,
  "notifications?": anything,
});

function shapeProblem(value: unknown): RunStateProblem | undefined {
  if (!isRecord(value))
    return { path: "", message: `must be an object (got ${previewValue(value)})` };
  return runState(value, []);
}

/** The step index against the block: inside it, or just past its end once the run succeeded. */
function stepProblem(
  state: RunState,
  against: Pick<RunContext, "manifest" | "block">,
): RunStateProblem | undefined {
  const block = blockOf(against);
  const count = blockSteps(against).length;
  if (state.inFlight !== undefined && state.inFlight.step !== state.step)
    return fail(
      ["inFlight", "step"],
      `must be the same as step (${state.step})`,
      state.inFlight.step,
    );
  // Sync runs count the pages they fetch after the execute steps; any index is theirs.
  if (block === "sync") return undefined;
  if (count === 0)
    return fail(
      ["step"],
      `cannot point into the ${block} block: the manifest has none`,
      state.step,
    );
  if (state.status === "succeeded")
    return state.step <= count
      ? undefined
      : fail(
          ["step"],
          `must be at most ${count}, the number of steps of the ${block} block, for a succeeded run`,
          state.step,
        );
  return state.step < count
    ? undefined
    : fail(
        ["step"],
        `must be the index of a step of the ${block} block (0 to ${count - 1}) for a ${state.status} run`,
        state.step,
      );
}
