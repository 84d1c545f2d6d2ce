// The driver: feeds events to the pure engine and carries out its commands — checkpoint, send,
// wait, notify — in the order durability needs: the state that says a request is in flight is
// saved before the request leaves, and the attempt's record, stored fields and next state are
// saved together after it returns. Everything that leaves the driver passes the redactor first.
// Commands are dispatched through a map with one handler per command type, so a new command type
// does not compile until the driver handles it.
import type { AttemptOutcome, RequestSpec } from "../exchange/types.ts";
import type { JsonValue } from "../manifest/types.ts";
import { advance } from "../engine/machine.ts";
import { blockSteps } from "../engine/blocks.ts";
import { isSecretTokenField } from "../engine/variables.ts";
import type { RunCommand, RunContext, RunEvent, RunState, Transition } from "../engine/types.ts";
import type { NotificationResult, NotifyConfig } from "../notify/index.ts";
import type { Redactor } from "../redact/index.ts";
import { attemptRecord, type AttemptRecord } from "./attempt-record.ts";
import { notificationsJson, notifyAfterSuccess } from "./notifications.ts";
import { sensitiveViews } from "./stored-secrets.ts";
import { nextState } from "../engine/state-copy.ts";

export interface Checkpoint {
  /** The state to persist, already masked (generated values kept: a resumed run sends the same ones). */
  state: RunState;
  /** The attempt that just ended, masked. */
  attempt?: AttemptRecord;
  /** The drive stops after this checkpoint and hands the run back (`DriveHooks.handBack`). */
  handBack?: true;
  /** With `handBack`: nobody should drive the run again before this time (`DriveHooks.admit`). */
  resumeAt?: number;
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
  /** Persists the checkpoint; a host with nothing to persist answers at once (undefined). */
  checkpoint(checkpoint: Checkpoint): void | Promise<void>;
  /** Called for a wait: resolve true after sleeping to go on inline, false to hand the run back (the service's scheduler wakes it). */
  wait(until: number, reason: "poll" | "retry", state: RunState): Promise<boolean>;
  onAttempt?(record: AttemptRecord): void;
  /** New OAuth tokens from a refresh: persist them (encrypted). The driver already uses them. */
  onOAuthTokens?(tokens: Record<string, JsonValue>): void | Promise<void>;
  /**
   * Makes an OAuth token refresh happen once at a time per integration, across processes: calls
   * `refresh` while holding the integration's lock, with the tokens stored now (read after taking
   * it). When they are not the ones this run has, another run refreshed meanwhile: they are used
   * and nothing is sent. Without it every refresh is sent.
   */
  refreshLock?<T>(
    refresh: (stored: Record<string, JsonValue> | undefined) => Promise<T>,
  ): Promise<T>;
  /** Checked before each send: true stops the run as cancelled. */
  cancelled?(): boolean | Promise<boolean>;
  /** SMTP and text settings for post_execute_notification (none: each item fails "not configured"). */
  notify?: NotifyConfig;
  /** Cancels notifications being sent (items not yet sent are recorded as cancelled). */
  signal?: AbortSignal;
  /**
   * Checked before each send is checkpointed: true stops the drive there, the state saved without
   * the request in flight (nothing was sent), so another driver may take the run at once.
   */
  handBack?(): boolean;
  /**
   * Asked before each send is checkpointed (the integration's rate limit): resolves when the
   * request may go — a permit, released by the driver once the answer is in — or with a time to
   * hand the run back until. Nothing is in flight while it waits, so a crash then resends nothing.
   * `mayHandBack` is false for a resend after an interruption, which must go ahead.
   */
  admit?(request: RequestSpec, mayHandBack: boolean): Promise<Admission>;
}

/** A request may go: `release` (once) when its answer is in, or when it was not sent after all. */
export interface RatePermit {
  release(outcome?: AttemptOutcome): void;
}

/** What `DriveHooks.admit` answers. */
export type Admission = RatePermit | { handBackUntil: number };

export interface DriveResult {
  /** The unmasked final state (kept in memory only). */
  state: RunState;
  /** True when the run was handed back: while waiting, or before a send when `handBack` said so. */
  yielded: boolean;
  /** post_execute_notification results (masked), when this drive sent them. */
  notifications?: NotificationResult[];
}

/** One transition being carried out: its state, and the checkpoint its commands fill in. */
interface Turn {
  state: RunState;
  checkpoint: Checkpoint;
  store?: Extract<RunCommand, { type: "store" }>;
}

/** What carrying out a command leads to: the next transition (and the attempt it recorded), or the end. */
type Next = { transition: Transition; attempt?: AttemptRecord } | { done: DriveResult };

/**
 * One drive: its hooks, the notifications' results for the drive's result, and the
 * `oauth` commands whose tokens were already persisted under the refresh lock (`saved`).
 */
interface Drive {
  hooks: DriveHooks;
  notifications: NotificationResult[] | undefined;
  saved: WeakSet<RunCommand> | undefined;
  /** `hooks.send`, through the rate limit's gate when there is one. */
  send(request: RequestSpec): Promise<AttemptOutcome>;
}

interface CommandHandler<C extends RunCommand> {
  /** Before the checkpoint: what the command adds to it, or teaches the redactor. */
  prepare?(drive: Drive, command: C, turn: Turn): void | Promise<void>;
  /**
   * After the checkpoint: carry the command out. A `Next` ends this transition's turn. A handler
   * with something to wait for answers with a promise; one that can answer at once does.
   */
  carryOut?(
    drive: Drive,
    command: C,
    state: RunState,
  ): Next | undefined | Promise<Next | undefined>;
  /**
   * Instead of `carryOut`, for a command that waits long (a poll's interval, a retry's back-off):
   * `begin` starts the wait and answers whether to go on after it, `end` says what comes next.
   * Meanwhile the drive keeps the command and its state, and no closure: thousands of runs may be
   * waiting at once.
   */
  begin?(drive: Drive, command: C, state: RunState): Promise<boolean>;
  end?(drive: Drive, command: C, state: RunState, goOn: boolean): Next;
}

type CommandMap = {
  [T in RunCommand["type"]]: CommandHandler<Extract<RunCommand, { type: T }>>;
};

/** Drives a run from `event` until it finishes or a wait is handed back. */
export function driveRun(
  hooks: DriveHooks,
  initial: RunState,
  event: RunEvent,
): Promise<DriveResult> {
  // Without a rate limit there is no permit to hold: no gate, and nothing to await per turn.
  if (hooks.admit === undefined) return new DriveLoop(hooks, undefined).start(initial, event);
  return driveGated(hooks, initial, event);
}

async function driveGated(
  hooks: DriveHooks,
  initial: RunState,
  event: RunEvent,
): Promise<DriveResult> {
  const gate = sendGate(hooks);
  try {
    return await new DriveLoop(hooks, gate).start(initial, event);
  } finally {
    gate.letGo();
  }
}

/** A turn that goes on from a promise's continuation: the drive resumes there. */
const LATER = Symbol("later");
type Later = typeof LATER;

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | undefined)?.then === "function";
}

/**
 * One drive, turn by turn: each transition's commands prepared, its checkpoint saved, its commands
 * carried out. It goes on at once while the hooks answer at once, and from a continuation when one
 * answers with a promise; the drive's one promise settles at the end. Not an async function: its
 * suspended frame would keep the first state and event for the run's whole life, and thousands of
 * runs may be waiting at once; what a waiting run keeps is its current state and command.
 */
class DriveLoop implements Drive {
  notifications: NotificationResult[] | undefined = undefined;
  saved: WeakSet<RunCommand> | undefined = undefined;
  readonly #result: Promise<DriveResult>;
  #settle!: (result: DriveResult) => void;
  #fail!: (error: unknown) => void;
  // The command whose long wait is in progress (`CommandHandler.begin`), its handler and state.
  #waitHandler: CommandHandler<RunCommand> | undefined;
  #waitCommand: RunCommand | undefined;
  #waitState: RunState | undefined;
  #woken: ((goOn: boolean) => void) | undefined;
  // The commands after the one a promise is carrying out, and the state they are carried from.
  #carryCommands: readonly RunCommand[] | undefined;
  #carryIndex = 0;
  #carryState: RunState | undefined;
  #carried: ((next: Next | undefined) => void) | undefined;

  constructor(
    readonly hooks: DriveHooks,
    private readonly gate: SendGate | undefined,
  ) {
    this.#result = new Promise((resolve, reject) => {
      this.#settle = resolve;
      this.#fail = reject;
    });
  }

  send(request: RequestSpec): Promise<AttemptOutcome> {
    return this.gate === undefined ? this.hooks.send(request) : this.gate.send(request);
  }

  start(initial: RunState, event: RunEvent): Promise<DriveResult> {
    const hooks = this.hooks;
    // Excerpts of responses in messages are cut short: the engine masks them before the cut.
    hooks.ctx.maskText = hooks.redactor;
    try {
      this.goOn({ transition: advance(hooks.ctx, initial, event) });
    } catch (error) {
      this.#fail(error);
    }
    return this.#result;
  }

  /** A long wait: what it needs afterwards is kept in fields, and one continuation per drive. */
  private wait(handler: CommandHandler<RunCommand>, command: RunCommand, state: RunState): Later {
    this.#waitHandler = handler;
    this.#waitCommand = command;
    this.#waitState = state;
    this.#woken ??= (goOn: boolean) => {
      const end = this.#waitHandler!.end!;
      const waited = this.#waitCommand!;
      const current = this.#waitState!;
      this.#waitHandler = this.#waitCommand = this.#waitState = undefined;
      try {
        this.goOn(end(this, waited, current, goOn));
      } catch (error) {
        this.#fail(error);
      }
    };
    handler.begin!(this, command, state).then(this.#woken, this.#fail);
    return LATER;
  }

  /**
   * A command carried out by a promise (a send): the commands after it are kept in fields, with
   * one continuation per drive, rather than in closures made for each request.
   */
  private carrying(
    carried: PromiseLike<Next | undefined>,
    commands: readonly RunCommand[],
    index: number,
    state: RunState,
  ): Later {
    this.#carryCommands = commands;
    this.#carryIndex = index;
    this.#carryState = state;
    this.#carried ??= (next: Next | undefined) => {
      const rest = this.#carryCommands!;
      const from = this.#carryIndex + 1;
      const current = this.#carryState!;
      this.#carryCommands = this.#carryState = undefined;
      try {
        this.goOn(next ?? this.carryOut(rest, from, current));
      } catch (error) {
        this.#fail(error);
      }
    };
    carried.then(this.#carried, this.#fail);
    return LATER;
  }

  /** Carries out turns while they answer at once; one that waits resumes here later. */
  private goOn(next: Next | Later): void {
    while (next !== LATER) {
      if ("done" in next) return this.#settle(next.done);
      next = this.admit(next.transition, next.attempt);
    }
  }

  /** `value` now, or LATER: `then(value)` goes on from the promise's continuation. */
  private when<T>(value: T | PromiseLike<T>, then: (value: T) => Next | Later): Next | Later {
    if (!isPromiseLike(value)) return then(value);
    value.then((settled) => {
      try {
        this.goOn(then(settled));
      } catch (error) {
        this.#fail(error);
      }
    }, this.#fail);
    return LATER;
  }

  /** The rate limit's permit for the transition's send, or handing the run back before it. */
  private admit(transition: Transition, attempt: AttemptRecord | undefined): Next | Later {
    if (handsBack(this.hooks, transition)) return this.turn(withoutSend(transition), attempt, {});
    if (this.gate === undefined) return this.turn(transition, attempt, undefined);
    return this.when(this.gate.admit(transition), (handingBack) =>
      this.turn(
        handingBack === undefined ? transition : withoutSend(transition),
        attempt,
        handingBack,
      ),
    );
  }

  private turn(
    transition: Transition,
    attempt: AttemptRecord | undefined,
    handingBack: { resumeAt?: number } | undefined,
  ): Next | Later {
    const turn: Turn = {
      state: transition.state,
      checkpoint: new LazyCheckpoint(transition.state, this.hooks.redactor),
    };
    if (handingBack !== undefined) Object.assign(turn.checkpoint, { handBack: true }, handingBack);
    if (attempt !== undefined) turn.checkpoint.attempt = attempt;
    return this.prepare(transition.commands, 0, turn, handingBack !== undefined);
  }

  private prepare(
    commands: readonly RunCommand[],
    from: number,
    turn: Turn,
    handingBack: boolean,
  ): Next | Later {
    // Indexed loops: with thousands of runs in flight, every iterator a turn keeps alive across a
    // request is old-generation garbage.
    for (let i = from; i < commands.length; i += 1) {
      const command = commands[i]!;
      const prepared = handlerOf(command).prepare?.(this, command, turn);
      if (prepared !== undefined)
        return this.when(prepared, () => this.prepare(commands, i + 1, turn, handingBack));
    }
    const store = turn.store;
    if (store !== undefined)
      turn.checkpoint.stored = {
        step: store.step,
        fields: store.fields,
        // Judged now, by every secret the run knows so far (tokens this response carried too).
        shown: sensitiveViews(store.fields, this.hooks.redactor),
      };
    const state = turn.state;
    return this.when(this.hooks.checkpoint(turn.checkpoint), () =>
      handingBack ? { done: { state, yielded: true } } : this.carryOut(commands, 0, state),
    );
  }

  private carryOut(commands: readonly RunCommand[], from: number, state: RunState): Next | Later {
    for (let i = from; i < commands.length; i += 1) {
      const command = commands[i]!;
      const handler = handlerOf(command);
      if (handler.begin !== undefined) return this.wait(handler, command, state);
      const carried = handler.carryOut?.(this, command, state);
      if (isPromiseLike(carried)) return this.carrying(carried, commands, i, state);
      if (carried !== undefined) return carried;
    }
    // A transition with nothing to carry out (an event the state ignores) ends the drive.
    return { done: { state, yielded: false } };
  }
}

/**
 * True when the driver is asked to let go before this transition's send. A resend after an
 * interruption goes ahead: its state already records the resend.
 */
function handsBack(hooks: DriveHooks, transition: Transition): boolean {
  if (hooks.handBack === undefined) return false;
  const send = transition.commands.find((command) => command.type === "send");
  return (
    send?.type === "send" && send.resentAfterInterruption !== true && hooks.handBack?.() === true
  );
}

interface SendGate {
  /** Waits for the permit of the transition's send: undefined to go on, or how to hand back. */
  admit(transition: Transition): Promise<{ resumeAt?: number } | undefined>;
  /** `hooks.send`, releasing the permit with the answer. */
  send(request: RequestSpec): Promise<AttemptOutcome>;
  /** Releases a permit not used (the send was cancelled, or the drive ended). */
  letGo(): void;
}

/** Holds the permit of the send in progress between `DriveHooks.admit` and its answer. */
function sendGate(hooks: DriveHooks): SendGate {
  let permit: RatePermit | undefined;
  const letGo = (outcome?: AttemptOutcome) => {
    const held = permit;
    permit = undefined;
    held?.release(outcome);
  };
  return {
    async admit(transition) {
      letGo();
      const send = transition.commands.find((command) => command.type === "send");
      if (hooks.admit === undefined || send?.type !== "send") return undefined;
      const admission = await hooks.admit(send.request, send.resentAfterInterruption !== true);
      if ("handBackUntil" in admission) return { resumeAt: admission.handBackUntil };
      permit = admission;
      return undefined;
    },
    async send(request) {
      let outcome: AttemptOutcome | undefined;
      try {
        outcome = await hooks.send(request);
        return outcome;
      } finally {
        letGo(outcome);
      }
    },
    letGo: () => letGo(),
  };
}

/** The transition as if its send had not been asked for: the state has no request in flight. */
function withoutSend(transition: Transition): Transition {
  const state: RunState = nextState(transition.state, { inFlight: undefined });
  return { state, commands: transition.commands.filter((command) => command.type !== "send") };
}

/** The handler of a command's type. */
function handlerOf(command: RunCommand): CommandHandler<RunCommand> {
  // The map is keyed by command type, so this handler takes exactly this command.
  return HANDLERS[command.type] as CommandHandler<RunCommand>;
}

// One set of handlers for every drive (the drive is an argument): a run allocates no closures here.
const HANDLERS: CommandMap = {
  store: {
    prepare(_drive, command, turn) {
      turn.store = command;
    },
  },
  oauth: {
    async prepare({ hooks, saved }, command) {
      learnTokens(hooks.redactor, command);
      hooks.ctx.oauth = command.tokens;
      if (saved?.has(command) !== true) await hooks.onOAuthTokens?.(command.tokens);
    },
  },
  send: {
    // What the request makes of its secrets (`{{ TOKEN|upper }}`, a Basic credential) is
    // masked from this checkpoint on, before the request leaves.
    prepare({ hooks }, command) {
      const derived = command.derived;
      if (derived !== undefined)
        for (const item of derived) hooks.redactor.add(item.name, item.value);
    },
    carryOut(drive, command, state) {
      const hooks = drive.hooks;
      // Awaited only when the hook answers with a promise: most answer at once.
      const cancelled = hooks.cancelled?.();
      if (cancelled === true) return cancelNow(hooks, state);
      if (typeof cancelled === "object")
        return cancelled.then((yes) =>
          yes ? cancelNow(hooks, state) : sendNow(drive, command, state),
        );
      return sendNow(drive, command, state);
    },
  },
  wait: {
    begin({ hooks }, command, state) {
      return hooks.wait(command.until, command.reason, state);
    },
    end({ hooks }, command, state, goOn) {
      if (!goOn) return { done: { state, yielded: true } };
      const now = Math.max(hooks.now(), command.until);
      return { transition: advance(hooks.ctx, state, { type: "wake", now }) };
    },
  },
  notify: {
    async carryOut(drive, _command, state) {
      const hooks = drive.hooks;
      const results = await notifyAfterSuccess(
        hooks.ctx,
        state,
        hooks.notify ?? {},
        hooks.redactor,
        hooks.signal,
      );
      drive.notifications = results;
      const now = hooks.now();
      const event: RunEvent = { type: "notified", now, results: notificationsJson(results) };
      return { transition: advance(hooks.ctx, state, event) };
    },
  },
  finish: {
    carryOut({ notifications }, _command, state) {
      if (notifications === undefined) return { done: { state, yielded: false } };
      return { done: { state, yielded: false, notifications } };
    },
  },
};

function cancelNow(hooks: DriveHooks, state: RunState): Next {
  return { transition: advance(hooks.ctx, state, { type: "cancel", now: hooks.now() }) };
}

/** The send itself: an OAuth refresh under the integration's lock, or the step's request. */
function sendNow(
  drive: Drive,
  command: Extract<RunCommand, { type: "send" }>,
  state: RunState,
): Promise<Next> {
  const hooks = drive.hooks;
  if (command.label === REFRESH_LABEL && hooks.refreshLock !== undefined) {
    const saved = (drive.saved ??= new WeakSet());
    return hooks.refreshLock((stored) => refreshOnce(drive, command, state, stored, saved));
  }
  return sendOne(drive, command, state);
}

/** Sends the request, then advances with its outcome; the attempt's record waits for the next checkpoint. */
function sendOne(
  drive: Drive,
  send: Extract<RunCommand, { type: "send" }>,
  state: RunState,
): Promise<{ transition: Transition; attempt: AttemptRecord }> {
  const hooks = drive.hooks;
  const startedAt = hooks.now();
  // A continuation rather than an async function: no suspended frame per request in flight.
  return drive
    .send(send.request)
    .then((outcome) => afterSend(hooks, send, state, startedAt, outcome));
}

function afterSend(
  hooks: DriveHooks,
  send: Extract<RunCommand, { type: "send" }>,
  state: RunState,
  startedAt: number,
  outcome: AttemptOutcome,
): { transition: Transition; attempt: AttemptRecord } {
  const name = send.label ?? blockSteps(hooks.ctx)[send.step]?.name;
  const transition = advance(hooks.ctx, state, { type: "outcome", now: hooks.now(), outcome });
  // Tokens this response carried are secrets before the record of it is built and cut.
  const oauth = transition.commands.find((command) => command.type === "oauth");
  if (oauth?.type === "oauth") learnTokens(hooks.redactor, oauth);
  // Masked as it is built.
  const record = attemptRecord(
    {
      step: send.step,
      attempt: send.attempt,
      startedAt,
      request: send.request,
      outcome,
      ...(name !== undefined ? { name } : {}),
      ...(send.resentAfterInterruption === true ? { resentAfterInterruption: true as const } : {}),
    },
    hooks.redactor,
  );
  hooks.onAttempt?.(record);
  return { transition, attempt: record };
}

/** The label the engine gives the send of an OAuth token refresh. */
const REFRESH_LABEL = "oauth.refresh";

/**
 * The refresh, under the integration's lock: when the stored tokens are not the ones this run has,
 * another run refreshed meanwhile and they are taken instead; else the refresh is sent and its
 * tokens are persisted before the lock is let go (the provider may have revoked the refresh token
 * just used, so the next holder must find the new one).
 */
async function refreshOnce(
  drive: Drive,
  send: Extract<RunCommand, { type: "send" }>,
  state: RunState,
  stored: Record<string, JsonValue> | undefined,
  saved: WeakSet<RunCommand>,
): Promise<Next> {
  const hooks = drive.hooks;
  if (stored !== undefined && JSON.stringify(stored) !== JSON.stringify(hooks.ctx.oauth)) {
    learnTokens(hooks.redactor, { type: "oauth", tokens: stored });
    hooks.ctx.oauth = stored;
    const event: RunEvent = { type: "refreshed", now: hooks.now(), tokens: stored };
    return { transition: advance(hooks.ctx, state, event) };
  }
  const next = await sendOne(drive, send, state);
  const oauth = next.transition.commands.find((command) => command.type === "oauth");
  if (oauth?.type === "oauth") {
    await hooks.onOAuthTokens?.(oauth.tokens);
    saved.add(oauth);
  }
  return next;
}

function learnTokens(redactor: Redactor, command: Extract<RunCommand, { type: "oauth" }>): void {
  for (const [name, value] of Object.entries(command.tokens)) {
    if (isSecretTokenField(name, value)) redactor.add(`oauth.${name}`, value);
  }
}

// Masking walks the whole state (every response so far) on each transition; runManifest without
// onCheckpoint never reads it, so it is masked on first read. Reading it later is safe: states are
// never mutated, and the redactor only ever learns more secrets. `state` is an accessor of the
// class, not an own property: whoever hands a checkpoint on as plain data copies it out.
class LazyCheckpoint implements Checkpoint {
  // Declared only: set when there is something to say, as on a plain checkpoint object.
  declare attempt?: AttemptRecord;
  declare handBack?: true;
  declare resumeAt?: number;
  declare stored?: NonNullable<Checkpoint["stored"]>;
  #state: RunState;
  #redactor: Redactor | undefined;

  constructor(state: RunState, redactor: Redactor) {
    this.#state = state;
    this.#redactor = redactor;
  }

  get state(): RunState {
    if (this.#redactor !== undefined) {
      this.#state = maskState(this.#state, this.#redactor);
      this.#redactor = undefined;
    }
    return this.#state;
  }

  set state(value: RunState) {
    this.#state = value;
    this.#redactor = undefined;
  }
}

/** Masks everything in the state but the generated values, which a resumed run must send again. */
export function maskState(state: RunState, redactor: Redactor): RunState {
  // One pass, keys in the same order as masking a copy without `generated` and adding it last.
  const masked: Record<string, unknown> = {};
  // Keys a transition cleared (set to undefined) are left out, as JSON leaves them out.
  for (const key of Object.keys(state)) {
    const value = state[key as keyof RunState];
    if (key === "generated" || value === undefined) continue;
    masked[redactor.redactString(key)] = redactor.redact(value);
  }
  masked.generated = state.generated;
  return masked as unknown as RunState;
}
