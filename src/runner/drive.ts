// The driver: feeds events to the pure engine and carries out its commands — checkpoint, send,
// wait — in the order durability needs: the state that says a request is in flight is saved
// before the request leaves, and the attempt's record, stored fields and next state are saved
// together after it returns. Everything that leaves the driver passes the redactor first.
import type { AttemptOutcome, RequestSpec } from "../exchange/types.ts";
import type { JsonValue } from "../manifest/types.ts";
import { advance } from "../engine/machine.ts";
import { blockSteps } from "../engine/blocks.ts";
import { isSecretTokenField } from "../engine/variables.ts";
import type { RunCommand, RunContext, RunEvent, RunState } from "../engine/types.ts";
import type { Redactor } from "../redact/index.ts";
import { attemptRecord, type AttemptRecord } from "./attempt-record.ts";
import { sensitiveViews } from "./stored-secrets.ts";

export interface Checkpoint {
  /** The state to persist, already masked (generated values kept: a resumed run sends the same ones). */
  state: RunState;
  /** The attempt that just ended, masked. */
  attempt?: AttemptRecord;
  /**
   * Fields a step stored: commit them in the same transaction as the state. `fields` are the real
   * values; `shown` has the masked view of each one that holds a secret (keep those encrypted).
   */
  stored?: {
    step: number;
    fields: Record<string, JsonValue>;
    shown: Record<string, JsonValue>;
  };
}

export interface DriveHooks {
  ctx: RunContext;
  redactor: Redactor;
  send(request: RequestSpec): Promise<AttemptOutcome>;
  now(): number;
  checkpoint(checkpoint: Checkpoint): Promise<void>;
  /** Called for a wait: resolve true after sleeping to go on inline, false to hand the run back (the service's scheduler wakes it). */
  wait(until: number, reason: "poll" | "retry", state: RunState): Promise<boolean>;
  onAttempt?(record: AttemptRecord): void;
  /** New OAuth tokens from a refresh: persist them (encrypted). The driver already uses them. */
  onOAuthTokens?(tokens: Record<string, JsonValue>): void | Promise<void>;
  /** Checked before each send: true stops the run as cancelled. */
  cancelled?(): boolean | Promise<boolean>;
}

export interface DriveResult {
  /** The unmasked final state (kept in memory only). */
  state: RunState;
  /** True when the run was handed back while waiting. */
  yielded: boolean;
}

/** Drives a run from `event` until it finishes or a wait is handed back. */
export async function driveRun(
  hooks: DriveHooks,
  initial: RunState,
  event: RunEvent,
): Promise<DriveResult> {
  // Excerpts of responses in messages are cut short: the engine masks them before the cut.
  hooks.ctx.maskText = (text) => hooks.redactor.redactString(text);
  let transition = advance(hooks.ctx, initial, event);
  let pendingAttempt: AttemptRecord | undefined;
  for (;;) {
    const state = transition.state;
    const commands = transition.commands;
    const store = find(commands, "store");
    const oauth = find(commands, "oauth");
    if (oauth !== undefined) {
      learnTokens(hooks.redactor, oauth);
      hooks.ctx.oauth = oauth.tokens;
      await hooks.onOAuthTokens?.(oauth.tokens);
    }
    // What the next request makes of its secrets (`{{ TOKEN|upper }}`, a Basic credential) is
    // masked from this checkpoint on, before the request leaves.
    for (const derived of find(commands, "send")?.derived ?? [])
      hooks.redactor.add(derived.name, derived.value);
    const checkpoint = lazyCheckpoint(state, hooks.redactor);
    if (pendingAttempt !== undefined) checkpoint.attempt = pendingAttempt;
    if (store !== undefined)
      checkpoint.stored = {
        step: store.step,
        fields: store.fields,
        // Judged now, by every secret the run knows so far (tokens this response carried too).
        shown: sensitiveViews(store.fields, hooks.redactor),
      };
    await hooks.checkpoint(checkpoint);
    pendingAttempt = undefined;

    if (find(commands, "finish") !== undefined) return { state, yielded: false };
    const wait = find(commands, "wait");
    if (wait !== undefined) {
      if (!(await hooks.wait(wait.until, wait.reason, state))) return { state, yielded: true };
      transition = advance(hooks.ctx, transition.state, {
        type: "wake",
        now: Math.max(hooks.now(), wait.until),
      });
      continue;
    }
    const send = find(commands, "send");
    if (send === undefined) return { state, yielded: false };
    if ((await hooks.cancelled?.()) === true) {
      transition = advance(hooks.ctx, state, { type: "cancel", now: hooks.now() });
      continue;
    }
    const startedAt = hooks.now();
    const outcome = await hooks.send(send.request);
    const name = send.label ?? blockSteps(hooks.ctx)[send.step]?.name;
    transition = advance(hooks.ctx, state, { type: "outcome", now: hooks.now(), outcome });
    // Tokens this response carried are secrets before the record of it is built and cut.
    learnTokens(hooks.redactor, find(transition.commands, "oauth"));
    const record = attemptRecord(
      {
        step: send.step,
        attempt: send.attempt,
        startedAt,
        request: send.request,
        outcome,
        ...(name !== undefined ? { name } : {}),
        ...(send.resentAfterInterruption === true
          ? { resentAfterInterruption: true as const }
          : {}),
      },
      hooks.redactor,
    );
    const masked = hooks.redactor.redact(record);
    pendingAttempt = masked;
    hooks.onAttempt?.(masked);
  }
}

function learnTokens(
  redactor: Redactor,
  command: Extract<RunCommand, { type: "oauth" }> | undefined,
): void {
  for (const [name, value] of Object.entries(command?.tokens ?? {})) {
    if (isSecretTokenField(name, value)) redactor.add(`oauth.${name}`, value);
  }
}

// Masking walks the whole state (every response so far) on each transition; runManifest without
// onCheckpoint never reads it, so it is masked on first read. Reading it later is safe: states are
// never mutated, and the redactor only ever learns more secrets.
function lazyCheckpoint(state: RunState, redactor: Redactor): Checkpoint {
  let masked: RunState | undefined;
  return {
    get state(): RunState {
      masked ??= maskState(state, redactor);
      return masked;
    },
    set state(value: RunState) {
      masked = value;
    },
  };
}

/** Masks everything in the state but the generated values, which a resumed run must send again. */
export function maskState(state: RunState, redactor: Redactor): RunState {
  const { generated, ...rest } = state;
  return { ...redactor.redact(rest), generated };
}

function find<T extends RunCommand["type"]>(
  commands: RunCommand[],
  type: T,
): Extract<RunCommand, { type: T }> | undefined {
  return commands.find((command) => command.type === type) as
    Extract<RunCommand, { type: T }> | undefined;
}
