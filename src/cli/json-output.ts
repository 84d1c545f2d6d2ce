// What `--json` prints for run, resume, revoke, exists and dry-run: the API's convention (snake_case
// keys for hirewire's own fields, ISO 8601 times, headers as objects) and the API's attempt shape.
import type { DryRunResult, RunResult } from "../runner/index.ts";
import { attemptJson, requestSpecJson } from "../runner/json-views.ts";
import { notificationsJson } from "../runner/notifications.ts";
import { notificationsView } from "../runner/notifications-view.ts";

/** Every attempt of a run, in order, as the API shows them (`id` is null: the CLI keeps no rows). */
function attemptsJson(result: Pick<RunResult, "steps">) {
  let seq = 0;
  return result.steps.flatMap((step) =>
    step.attempts.map((record) =>
      attemptJson({
        id: null,
        seq: ++seq,
        step: record.step,
        attempt: record.attempt,
        startedAt: record.startedAt,
        durationMs: record.durationMs,
        record,
      }),
    ),
  );
}

/** A finished run (or check): its outcome, stored fields and attempts; never its raw state. */
export function runResultJson(result: RunResult, extra: { filesDir?: string } = {}) {
  return {
    run_id: result.runId,
    status: result.status,
    ...(result.error !== undefined ? { error: result.error } : {}),
    ...(result.problems !== undefined ? { problems: result.problems } : {}),
    warnings: result.warnings,
    stored: result.stored,
    ...(result.result !== undefined ? { result: result.result } : {}),
    ...(result.notifications !== undefined
      ? { notifications: notificationsView({ results: notificationsJson(result.notifications) }) }
      : {}),
    attempts: attemptsJson(result),
    ...(extra.filesDir !== undefined ? { files_dir: extra.filesDir } : {}),
  };
}

/** A dry run: each step's rendered request in an attempt's request shape. */
export function dryRunJson(result: DryRunResult) {
  return {
    status: result.status,
    steps: result.steps.map((step) => ({
      index: step.index,
      ...(step.name !== undefined ? { name: step.name } : {}),
      request: requestSpecJson(step.request),
    })),
    problems: result.problems,
    warnings: result.warnings,
  };
}
