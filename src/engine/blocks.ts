// Which steps a run of each manifest block sends (docs/manifest.md): `execute` and `sync` run the
// execute steps (sync then follows pages), `revoke` its own list, `exists` one request, `oauth`
// the access_token request. Paths name the step as the admin wrote it.
import type { ExistsBlock, Step } from "../manifest/types.ts";
import type { RunBlock, RunContext } from "./types.ts";

export function blockOf(ctx: Pick<RunContext, "block">): RunBlock {
  return ctx.block ?? "execute";
}

/** The steps of the run's block, in order. */
export function blockSteps(ctx: Pick<RunContext, "block" | "manifest">): Step[] {
  const manifest = ctx.manifest;
  switch (blockOf(ctx)) {
    case "execute":
    case "sync":
      return manifest.execute;
    case "revoke":
      return "revoke" in manifest ? (manifest.revoke ?? []) : [];
    case "exists":
      return "exists" in manifest && manifest.exists !== undefined
        ? [existsStep(manifest.exists)]
        : [];
    case "oauth":
      return manifest.oauth?.access_token !== undefined ? [manifest.oauth.access_token] : [];
  }
}

/** The manifest path of step `index` of the run's block, e.g. `execute[2]`, `exists`. */
export function blockStepPath(ctx: Pick<RunContext, "block" | "manifest">, index: number): string {
  switch (blockOf(ctx)) {
    case "execute":
    case "sync":
      return index < ctx.manifest.execute.length ? `execute[${index}]` : "next_page";
    case "revoke":
      return `revoke[${index}]`;
    case "exists":
      return "exists";
    case "oauth":
      return "oauth.access_token";
  }
}

/** The `exists` block as a step; its status_code and expected decide true/false, not success. */
function existsStep(exists: ExistsBlock): Step {
  const step: Step = { url: exists.url, method: exists.method ?? "GET" };
  if (exists.data !== undefined) step.data = exists.data;
  if (exists.headers !== undefined) step.headers = exists.headers;
  if (exists.cast_data_to_json !== undefined) step.cast_data_to_json = exists.cast_data_to_json;
  if (exists.extra_headers !== undefined) step.extra_headers = exists.extra_headers;
  if (exists.timeout !== undefined) step.timeout = exists.timeout;
  return step;
}
