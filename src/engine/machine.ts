// The run state machine (DESIGN.md): advance(context, state, event) → (state, commands). No I/O,
// no clock, no timers, no randomness: time arrives in events, randomness in the initial state.
// The driver checkpoints the returned state before carrying out its commands, so a run saved after
// any transition continues in another process exactly where it stopped.
import { problem, toErrorInfo } from "../errors/index.ts";
import type { AttemptOutcome } from "../exchange/types.ts";
import type { JsonValue, Step } from "../manifest/types.ts";
import { blockOf, blockSteps } from "./blocks.ts";
import { currentStep, ENGINE_DEFAULTS, stepPath } from "./current-step.ts";
import { finish, waitFresh, withoutWake, type MachineOps } from "./finish-wait.ts";
import { notifying, onNotified, succeed } from "./notify.ts";
import { needsRefresh } from "./oauth-refresh.ts";
import { onOutcome } from "./outcome.ts";
import { buildRequest, getHeader, type BuiltRequest } from "./request.ts";
import { IDEMPOTENT_METHODS } from "./retry.ts";
import {
  FINAL_STATUSES,
  STATE_VERSION,
  type EngineOptions,
  type InFlight,
  type Resend,
  type RunCommand,
  type RunContext,
  type RunEvent,
  type RunState,
  type Transition,
} from "./types.ts";
import { stepVariables } from "./variables.ts";
import { ObjectSlot } from "../json/object-slot.ts";
import { copyState, keepUnknownKeys, nextState } from "./state-copy.ts";

/**
 * An empty record, shared by every state that has nothing there (stored fields, files, generated
 * values): states are never written to, and thousands of runs may be waiting at once.
 */
export const NOTHING: Readonly<Record<string, never>> = Object.freeze({});

/** A new run, queued. `generated` holds fresh random values for `generate` items (the driver makes them). */
export function createRunState(
  runId: string,
  generated: Record<string, string> = NOTHING,
): RunState {
  // The shape `shaped` gives, written out: every key, in its order.
  return {
    version: STATE_VERSION,
    runId,
    status: "queued",
    step: 0,
    attempt: 0,
    pollAttempts: 0,
    retries: 0,
    responses: [],
    stored: NOTHING,
    files: NOTHING,
    generated,
    wakeAt: undefined,
    inFlight: undefined,
    error: undefined,
    lastOutcome: undefined,
    result: undefined,
    nextPage: undefined,
    pages: undefined,
    phase: undefined,
    oauthRefreshed: undefined,
    notifications: undefined,
    resentAfterInterruption: undefined,
  };
}

/**
 * The state with every key in one order, the ones it does not have set to undefined (JSON and
 * `maskState` leave those out), as every transition's copy has them (state-copy.ts). Keys this
 * version does not know are kept, after the others.
 */
export function shaped(state: RunState): RunState {
  const next = copyState(state);
  keepUnknownKeys(state, next);
  return next;
}

/** Feeds one event to the run. Never throws for run-level problems: they become a failed state. */
export function advance(ctx: RunContext, state: RunState, event: RunEvent): Transition {
  switch (event.type) {
    case "start":
      if (state.status !== "queued") return ignore(state);
      return begin(ctx, nextState(state, { status: "running" }), event.now);
    case "wake":
      if (state.status !== "waiting" || (state.wakeAt !== undefined && event.now < state.wakeAt)) {
        return ignore(state);
      }
      return sendCurrentFresh(ctx, nextState(state, { status: "running", wakeAt: undefined }));
    case "outcome":
      if (state.status !== "running" || state.inFlight === undefined) return ignore(state);
      return onOutcome(ctx, state, event.outcome, event.now, FRESH_OPS);
    case "resume":
      if (state.status !== "failed" && state.status !== "blocked") return ignore(state);
      return begin(
        ctx,
        withoutWake(
          nextState(clearError(state), {
            status: "running",
            attempt: 0,
            pollAttempts: 0,
            retries: 0,
          }),
        ),
        event.now,
      );
    case "refreshed":
      if (state.status !== "running" || state.phase !== "oauth-refresh") return ignore(state);
      return onRefreshedElsewhere(ctx, state, event.tokens, event.now);
    case "recover":
      return recover(ctx, state, event.now);
    case "notified":
      if (!notifying(state)) return ignore(state);
      return onNotified(state, event.results);
    case "cancel":
      if (FINAL_STATUSES.has(state.status)) return ignore(state);
      return finish(
        withoutWake(nextState(state, { inFlight: undefined })),
        "cancelled",
        problem("CANCELLED", "run", {}, { step: state.step }),
      );
  }
}

/** Starting (or resuming) a block: refresh an expiring OAuth token first, then send. */
function begin(ctx: RunContext, state: RunState, now: number): Transition {
  if (blockOf(ctx) !== "oauth" && needsRefresh(ctx, now)) {
    return sendCurrent(ctx, nextState(state, { phase: "oauth-refresh" }));
  }
  return sendCurrent(ctx, state);
}

/**
 * Another run refreshed the token while this one was about to: go on with its tokens. Should they
 * be about to expire as well, the refresh is built again from them (their refresh token).
 */
function onRefreshedElsewhere(
  ctx: RunContext,
  state: RunState,
  tokens: Record<string, JsonValue>,
  now: number,
): Transition {
  const withTokens: RunContext = { ...ctx, oauth: tokens };
  const next: RunState = nextState(state, { inFlight: undefined });
  if (needsRefresh(withTokens, now)) return sendCurrent(withTokens, next);
  next.oauthRefreshed = true;
  next.phase = undefined;
  return sendCurrent(withTokens, next);
}

function recover(ctx: RunContext, state: RunState, now: number): Transition {
  switch (state.status) {
    case "queued":
      return advance(ctx, state, { type: "start", now });
    case "waiting":
      // Recovered before its wake-up time (`hirewire resume` right after a stop during a poll
      // interval or a retry back-off): it waits out the rest, then goes on. It used to be ignored,
      // and the run ended there, still waiting.
      if (state.wakeAt !== undefined && now < state.wakeAt) {
        const reason = currentStep(ctx, state)?.polling !== undefined ? "poll" : "retry";
        return { state, commands: [{ type: "wait", until: state.wakeAt, reason }] };
      }
      return advance(ctx, state, { type: "wake", now });
    case "running": {
      const inFlight = state.inFlight;
      // An OAuth refresh is made again: its driver may have been waiting for another run's refresh
      // (nothing sent), and a refresh that did go out is asked for again with the tokens stored now.
      if (inFlight !== undefined && state.phase === "oauth-refresh")
        return sendCurrent(ctx, nextState(state, { inFlight: undefined }));
      if (inFlight !== undefined && !inFlight.idempotent) {
        const resent = resendWithKey(ctx, state, inFlight, now);
        if (resent !== undefined) return resent;
        return finish(
          nextState(state, { inFlight: undefined }),
          "failed",
          problem("INTERRUPTED", "notResent", {}, { step: state.step, path: stepPath(ctx, state) }),
        );
      }
      // An idempotent request in flight (or none) is simply sent again.
      return sendCurrent(ctx, nextState(state, { inFlight: undefined }));
    }
    default:
      return ignore(state);
  }
}

/**
 * A POST/PATCH in flight at a crash, sent with an Idempotency-Key: the target deduplicates by the
 * key, so the same request goes again with the same key. Undefined (stop safely) when it was sent
 * without one, or the request built now would carry a different key.
 */
function resendWithKey(
  ctx: RunContext,
  state: RunState,
  inFlight: InFlight,
  now: number,
): Transition | undefined {
  if (inFlight.idempotencyKey === undefined || inFlight.step !== state.step) return undefined;
  const transition = sendCurrent(ctx, nextState(state, { inFlight: undefined }));
  const send = transition.commands.find((command) => command.type === "send");
  if (
    send?.type !== "send" ||
    getHeader(send.request.headers, "idempotency-key") !== inFlight.idempotencyKey
  )
    return undefined;
  const resend: Resend = { step: inFlight.step, attempt: inFlight.attempt, at: now };
  return {
    state: nextState(transition.state, {
      resentAfterInterruption: [...(state.resentAfterInterruption ?? []), resend],
    }),
    commands: [{ ...send, resentAfterInterruption: true }],
  };
}

/**
 * What outcome handling finishes its transition with. Every state it passes was made in this
 * transition and seen by no one yet (the outcome's own copy, or a literal), so a wait or a send
 * completes it in place rather than copying all its keys once more: a poll's round trip is two
 * copies of the state, not four.
 */
const FRESH_OPS: MachineOps = { sendCurrent: sendCurrentFresh, finish, wait: waitFresh };

function sendCurrent(ctx: RunContext, state: RunState): Transition {
  return sendFrom(ctx, state, false);
}

/** `sendCurrent` for a state made in this transition and seen by no one yet: set in place. */
function sendCurrentFresh(ctx: RunContext, fresh: RunState): Transition {
  return sendFrom(ctx, fresh, true);
}

function sendFrom(ctx: RunContext, state: RunState, fresh: boolean): Transition {
  const step = currentStep(ctx, state);
  if (step === undefined) {
    if (blockSteps(ctx).length === 0) {
      const block = blockOf(ctx);
      return finish(
        state,
        "failed",
        problem("VALIDATION", "noBlockToRun", { block }, { path: block }),
      );
    }
    return succeed(ctx, state);
  }
  const options = engineOptions(ctx);
  try {
    const built = builtRequest(ctx, state, step, options);
    const idempotent = IDEMPOTENT_METHODS.has(built.request.method);
    const inFlight: InFlight = { step: state.step, attempt: state.attempt + 1, idempotent };
    if (!idempotent && options.idempotencyKeys === true) {
      const key = getHeader(built.request.headers, "idempotency-key");
      if (key !== undefined) inFlight.idempotencyKey = key;
    }
    let next: RunState;
    if (fresh) {
      state.inFlight = inFlight;
      next = state;
    } else next = nextState(state, { inFlight });
    const command: RunCommand = {
      type: "send",
      step: state.step,
      attempt: state.attempt + 1,
      request: built.request,
      idempotent,
    };
    if (built.derived.length > 0) command.derived = built.derived;
    if (state.phase === "oauth-refresh") command.label = "oauth.refresh";
    return { state: next, commands: [command] };
  } catch (error) {
    return finish(state, "failed", toErrorInfo(error));
  }
}

/**
 * What a step's templates read: everything else of the request is the step's own. Two builds
 * from the same inputs are the same request (templates are pure), so a poll or a retry of the
 * step reuses the one built for its previous attempt.
 */
interface BuildInputs {
  step: Step;
  runId: string;
  index: number;
  phase: RunState["phase"];
  generated: RunState["generated"];
  responses: RunState["responses"];
  stored: RunState["stored"];
  files: RunState["files"];
  oauth: RunContext["oauth"];
  secrets: RunContext["secrets"];
  built: BuiltRequest;
}

// Per run context, its last build, kept on the context (one per run; a WeakMap's entries would
// cost every garbage collection). States and what they hold are never mutated, so the same
// objects mean the same values.
const lastBuild = new ObjectSlot<RunContext, BuildInputs>();

function builtRequest(
  ctx: RunContext,
  state: RunState,
  step: Step,
  options: ReturnType<typeof engineOptions>,
): BuiltRequest {
  const last = lastBuild.get(ctx);
  if (
    last !== undefined &&
    last.step === step &&
    last.runId === state.runId &&
    last.index === state.step &&
    last.phase === state.phase &&
    last.generated === state.generated &&
    last.responses === state.responses &&
    last.stored === state.stored &&
    last.files === state.files &&
    last.oauth === ctx.oauth &&
    last.secrets === ctx.secrets
  )
    return last.built;
  const variables = stepVariables(ctx, state);
  const built = buildRequest(step, variables.scope, {
    stepPath: stepPath(ctx, state),
    stepIndex: state.step,
    manifestHeaders: ctx.manifest.headers,
    files: state.files,
    defaultTimeoutMs: options.defaultTimeoutMs,
    maxRedirects: options.maxRedirects,
    secrets: ctx.secrets,
    secretVariable: variables.secretVariable,
    // A sync page URL comes rendered from the previous response: never render it again.
    literalUrl: state.step >= blockSteps(ctx).length,
    ...(options.idempotencyKeys === true && state.phase === undefined
      ? { idempotencyKey: `hw-${state.runId}-${blockOf(ctx)}-${state.step}` }
      : {}),
  });
  lastBuild.set(ctx, {
    step,
    runId: state.runId,
    index: state.step,
    phase: state.phase,
    generated: state.generated,
    responses: state.responses,
    stored: state.stored,
    files: state.files,
    oauth: ctx.oauth,
    secrets: ctx.secrets,
    built,
  });
  return built;
}

/** The engine's defaults under the operator's options (most runs give none: nothing to merge). */
function engineOptions(
  ctx: RunContext,
): EngineOptions & { defaultTimeoutMs: number; maxRedirects: number } {
  return ctx.options === undefined ? ENGINE_DEFAULTS : { ...ENGINE_DEFAULTS, ...ctx.options };
}

function ignore(state: RunState): Transition {
  return { state, commands: [] };
}

function clearError(state: RunState): RunState {
  return nextState(state, { error: undefined, lastOutcome: undefined });
}

export type { AttemptOutcome, MachineOps };
