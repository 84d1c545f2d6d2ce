// How a run starts, whoever starts it: `prepareRun` takes a prepared manifest and the run's inputs
// (hire, stored fields, secrets and OAuth tokens, params, block) and gives back the one context,
// state and redactor the run is driven with, and every problem found before anything is sent.
// The CLI (run, dry-run, revoke, exists), the API's trigger checks, the scheduler's first drive,
// the exists check and form choices all call it; none builds a context of its own.
import type { ErrorInfo, ListedProblem } from "../errors/index.ts";
import type { JsonValue, Manifest } from "../manifest/types.ts";
import { createRunState, NOTHING, shaped } from "../engine/machine.ts";
import { preflight, type PlannedStep } from "../engine/preflight.ts";
import type { EngineOptions, RunBlock, RunContext, RunState } from "../engine/types.ts";
import { generatedSecretIds, secretsToMask } from "../engine/variables.ts";
import { Redactor } from "../redact/index.ts";
import { generateValues } from "./generate.ts";
import type { PreparedManifest } from "./prepared-manifest.ts";

/** What a run is given besides its manifest. */
export interface RunInputs {
  /** The hire's props (email, first_name, …: docs/manifest.md, Words). */
  hire: Record<string, JsonValue>;
  /** The hire's stored fields from earlier runs. */
  stored?: Record<string, JsonValue>;
  /**
   * Secret values among the stored fields, masked as `***stored.NAME***` (the service passes
   * those of fields it keeps encrypted; see `storedSecretEntries`).
   */
  storedSecrets?: Array<{ name: string; value: string }>;
  secrets?: Record<string, string>;
  oauth?: Record<string, JsonValue>;
  params?: Record<string, JsonValue>;
  redirectUrl?: string;
}

/** The inputs of `prepareRun`: the run's inputs, which block, and the operator's engine options. */
export interface PrepareInputs extends RunInputs {
  /** The manifest block to run (default `execute`). */
  block?: RunBlock;
  engine?: EngineOptions;
  /** The hire's secret stored fields that cannot be decrypted (a lost key). */
  unreadableStored?: string[];
}

export interface PrepareOptions {
  /** The new run's id (a fresh run: values to generate are generated, every step is checked). */
  runId?: string;
  /** A run that already has a state continues from it: nothing is generated or checked again. */
  resume?: RunState;
  /** False for a context that only renders (form choices): no step is checked. */
  check?: boolean;
  /** Keep every step rendered with placeholders in `steps` (the dry-run); else only checked. */
  plan?: boolean;
}

/** A run ready to drive, or the reasons it cannot start (`problems`, masked by `redactor`). */
export interface PreparedRun {
  context: RunContext;
  state: RunState;
  /** Knows every secret of the run: the integration's, generated ones, OAuth tokens, stored ones. */
  redactor: Redactor;
  /** Input problems found before anything is sent (unknown variables, missing answers), unmasked. */
  problems: ErrorInfo[];
  /** With `plan`: every step rendered with placeholders for run-time values (the dry-run), unmasked. */
  steps: PlannedStep[];
}

/** The engine's context for running `manifest` with these inputs. */
export function contextFor(manifest: Manifest, inputs: PrepareInputs): RunContext {
  const ctx: RunContext = {
    manifest,
    hire: inputs.hire,
    hireStored: inputs.stored ?? NOTHING,
    secrets: inputs.secrets ?? NOTHING,
    params: inputs.params ?? NOTHING,
    // Set by the driver; named here so the context keeps one shape from the start.
    maskText: undefined,
  };
  if (inputs.oauth !== undefined) ctx.oauth = inputs.oauth;
  if (inputs.storedSecrets !== undefined) ctx.storedSecrets = inputs.storedSecrets;
  if (inputs.unreadableStored !== undefined) ctx.unreadableStored = inputs.unreadableStored;
  if (inputs.redirectUrl !== undefined) ctx.redirectUrl = inputs.redirectUrl;
  if (inputs.engine !== undefined) ctx.options = inputs.engine;
  if (inputs.block !== undefined) ctx.block = inputs.block;
  return ctx;
}

/**
 * The one way a run starts: its context, its state (fresh, with generated values, or the one it
 * resumes), a redactor that knows its secrets, and — for a fresh run — every problem that would
 * stop it before anything is sent.
 */
export function prepareRun(
  manifest: Pick<PreparedManifest, "manifest">,
  inputs: PrepareInputs,
  options: PrepareOptions = {},
): PreparedRun {
  const context = contextFor(manifest.manifest, inputs);
  if (options.resume !== undefined) {
    const state = shaped(options.resume);
    const redactor = new Redactor(secretsToMask(context, state.generated));
    return { context, state, redactor, problems: [], steps: [] };
  }
  const state = createRunState(
    options.runId ?? "prepared",
    generateValues(generatedSecretIds(context)),
  );
  const redactor = new Redactor(secretsToMask(context, state.generated));
  if (options.check === false) return { context, state, redactor, problems: [], steps: [] };
  const plan = preflight(context, options.plan === true);
  // Values derived from secrets while rendering (encoded Basic credentials) are masked too.
  for (const derived of plan.derived) redactor.add(derived.name, derived.value);
  return { context, state, redactor, problems: plan.problems, steps: plan.steps };
}

/** A redactor for what a run showed: the integration's secrets, tokens and stored secrets. */
export function runRedactor(
  manifest: Manifest,
  inputs: Pick<PrepareInputs, "secrets" | "oauth" | "storedSecrets">,
  generated: Record<string, string>,
): Redactor {
  return new Redactor(secretsToMask(contextFor(manifest, { ...inputs, hire: {} }), generated));
}

/** The warnings a run reports for secrets too short to mask. */
export function tooShortWarnings(redactor: Redactor): string[] {
  return redactor.tooShort.map(
    (name) => `secret ${name} is shorter than 4 characters and cannot be masked in output`,
  );
}

/** A problem as the API and the CLI list it: where, what, and which code. */
export type RunProblem = ListedProblem;

/** An ErrorInfo as a listed problem (details stay out: they may be large). */
export function problemOf(info: ErrorInfo): RunProblem {
  const problem: RunProblem = { path: info.path ?? "", message: info.message, code: info.code };
  if (info.step !== undefined) problem.step = info.step;
  return problem;
}
