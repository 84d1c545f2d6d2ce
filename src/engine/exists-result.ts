// The answer of an `exists` check (docs/manifest.md): the hire has an account when the status is
// in `status_code` (any 2xx when absent) and the response text contains the rendered `expected`.
// A request that could not be made (network, timeout, 5xx after retries) answers "unknown".
import { toErrorInfo, type ErrorInfo } from "../errors/index.ts";
import type { ResponseRecord } from "../exchange/types.ts";
import type { JsonValue, Step } from "../manifest/types.ts";
import { renderTemplate } from "../template/index.ts";
import type { RunContext, RunState } from "./types.ts";
import { runScope } from "./variables.ts";

export interface ExistsAnswer {
  exists: boolean | null;
  reason: string;
}

export function existsResult(
  ctx: RunContext,
  state: RunState,
  step: Step,
  response: ResponseRecord,
): { value: JsonValue } | { error: ErrorInfo } {
  const block = "exists" in ctx.manifest ? ctx.manifest.exists : undefined;
  const accepted = (block?.status_code ?? []).map(Number);
  const statusOk =
    accepted.length > 0
      ? accepted.includes(response.status)
      : response.status >= 200 && response.status < 300;
  const answer = (value: ExistsAnswer) => ({ value: value as unknown as JsonValue });
  const request = `${step.method ?? "GET"} ${response.url}`;
  if (!statusOk) {
    const wanted = accepted.length > 0 ? `not one of ${accepted.join(", ")}` : "not a 2xx status";
    return answer({ exists: false, reason: `${request} answered ${response.status}, ${wanted}` });
  }
  if (block?.expected === undefined || block.expected === "")
    return answer({ exists: true, reason: `${request} answered ${response.status}` });
  let expected: string;
  try {
    expected = renderTemplate(block.expected, runScope(ctx, state));
  } catch (error) {
    return { error: { ...toErrorInfo(error), path: "exists.expected" } };
  }
  const found = (response.text ?? "").includes(expected);
  return answer({
    exists: found,
    reason: found
      ? `${request} answered ${response.status} and the response contains ${JSON.stringify(expected)}`
      : `${request} answered ${response.status} but the response does not contain ${JSON.stringify(expected)}`,
  });
}
