import { describe, expect, it } from "vitest";
import type { AttemptOutcome } from "../exchange/types.ts";
import type { JsonValue, ProvisioningManifest } from "../manifest/types.ts";
import { advance, createRunState } from "./machine.ts";
import type { RunContext, RunState, Transition } from "./types.ts";

const BASE = "https://api.example.test";

function context(manifest: ProvisioningManifest, extra: Partial<RunContext> = {}): RunContext {
  return {
    manifest,
    hire: { email: "ada@example.com", first_name: "Ada" },
    hireStored: {},
    secrets: { TOKEN: "tok-123456" },
    params: {},
    ...extra,
  };
}

function ok(json: JsonValue, status = 200, headers: Record<string, string> = {}): AttemptOutcome {
  return {
    type: "response",
    response: { status, headers, text: JSON.stringify(json), json, url: `${BASE}/x` },
    durationMs: 5,
    redirects: [],
  };
}

function refused(): AttemptOutcome {
  return {
    type: "error",
    error: { code: "HTTP_CONNECTION", message: "connection refused by api.example.test:443" },
    durationMs: 1,
    redirects: [],
  };
}

function start(ctx: RunContext, state: RunState = createRunState("run-1")): Transition {
  return advance(ctx, state, { type: "start", now: 1_000 });
}

describe("advance", () => {
  it("sends steps in order and succeeds after the last", () => {
    const ctx = context({
      execute: [
        { url: `${BASE}/users`, data: { email: "{{ email }}" } },
        { url: `${BASE}/users/{{ responses.0.id }}`, method: "GET" },
      ],
    });
    const t1 = start(ctx);
    expect(t1.commands).toMatchObject([
      {
        type: "send",
        step: 0,
        attempt: 1,
        idempotent: false,
        request: {
          method: "POST",
          url: `${BASE}/users`,
          body: { kind: "text", text: '{"email":"ada@example.com"}' },
        },
      },
    ]);
    expect(t1.state.inFlight).toEqual({ step: 0, attempt: 1, idempotent: false });
    const t2 = advance(ctx, t1.state, {
      type: "outcome",
      now: 2_000,
      outcome: ok({ id: "u1" }, 201),
    });
    expect(t2.commands).toMatchObject([
      {
        type: "send",
        step: 1,
        request: { method: "GET", url: `${BASE}/users/u1`, body: { kind: "none" } },
      },
    ]);
    const t3 = advance(ctx, t2.state, { type: "outcome", now: 3_000, outcome: ok({}) });
    expect(t3.commands).toEqual([{ type: "finish", status: "succeeded" }]);
    expect(t3.state.status).toBe("succeeded");
    expect(t3.state.responses).toEqual([{ id: "u1" }, {}]);
  });

  it("counts polling attempts in total and fails after `amount` without a match", () => {
    const ctx = context({
      execute: [
        {
          url: `${BASE}/job`,
          method: "GET",
          polling: { interval: 2, amount: 3 },
          continue_if: { response_notation: "status", value: "done" },
        },
      ],
    });
    let t = start(ctx);
    t = advance(ctx, t.state, { type: "outcome", now: 1_000, outcome: ok({ status: "pending" }) });
    expect(t.commands).toEqual([{ type: "wait", until: 3_000, reason: "poll" }]);
    expect(t.state.status).toBe("waiting");
    t = advance(ctx, t.state, { type: "wake", now: 3_000 });
    t = advance(ctx, t.state, { type: "outcome", now: 3_100, outcome: ok({ status: "pending" }) });
    t = advance(ctx, t.state, { type: "wake", now: 5_100 });
    t = advance(ctx, t.state, { type: "outcome", now: 5_200, outcome: ok({ status: "pending" }) });
    expect(t.state.status).toBe("failed");
    expect(t.state.error).toMatchObject({ code: "POLL_TIMEOUT", step: 0 });
    expect(t.state.error?.message).toBe(
      'polling timed out after 3 attempts; last value at status was "pending" (waiting for "done")',
    );
  });

  it("polls with the request built for the step's first attempt, and builds anew when what it reads changed", () => {
    const ctx = context({
      execute: [
        {
          url: `${BASE}/jobs`,
          method: "POST",
          data: { name: "{{ first_name }}" },
          store_data: { JOB_ID: "id" },
        },
        {
          url: `${BASE}/jobs/{{ JOB_ID }}`,
          method: "GET",
          headers: { Authorization: "Bearer {{ TOKEN }}" },
          polling: { interval: 1, amount: 5 },
          continue_if: { response_notation: "status", value: "done" },
        },
      ],
    });
    const sent = (t: Transition) => {
      const command = t.commands.find((c) => c.type === "send");
      if (command?.type !== "send") throw new Error("no send");
      return command.request;
    };
    let t = start(ctx);
    t = advance(ctx, t.state, { type: "outcome", now: 1_000, outcome: ok({ id: "j1" }) });
    const first = sent(t);
    expect(first.url).toBe(`${BASE}/jobs/j1`);
    t = advance(ctx, t.state, { type: "outcome", now: 1_100, outcome: ok({ status: "pending" }) });
    t = advance(ctx, t.state, { type: "wake", now: 2_100 });
    // Nothing the templates read changed: the very same request goes again.
    expect(sent(t)).toBe(first);
    // The same step of another run with another job id: built for that run.
    const other = createRunState("run-2");
    let u = start(ctx, other);
    u = advance(ctx, u.state, { type: "outcome", now: 1_000, outcome: ok({ id: "j2" }) });
    expect(sent(u).url).toBe(`${BASE}/jobs/j2`);
    t = advance(ctx, t.state, { type: "outcome", now: 2_200, outcome: ok({ status: "pending" }) });
    t = advance(ctx, t.state, { type: "wake", now: 3_200 });
    expect(sent(t).url).toBe(`${BASE}/jobs/j1`);
    expect(sent(t).headers).toEqual([["Authorization", "Bearer tok-123456"]]);
  });

  it("does not wake before its time", () => {
    const ctx = context({
      execute: [
        {
          url: `${BASE}/job`,
          method: "GET",
          polling: { interval: 2, amount: 3 },
          continue_if: { response_notation: "status", value: "done" },
        },
      ],
    });
    let t = start(ctx);
    t = advance(ctx, t.state, { type: "outcome", now: 1_000, outcome: ok({ status: "pending" }) });
    expect(advance(ctx, t.state, { type: "wake", now: 2_999 }).commands).toEqual([]);
  });

  it("recovered before its wake-up time, waits out the rest of it, then polls", () => {
    const ctx = context({
      execute: [
        {
          url: `${BASE}/job`,
          method: "GET",
          polling: { interval: 2, amount: 3 },
          continue_if: { response_notation: "status", value: "done" },
        },
      ],
    });
    let t = start(ctx);
    t = advance(ctx, t.state, { type: "outcome", now: 1_000, outcome: ok({ status: "pending" }) });
    // As `hirewire resume` reads it back from its state file, 1 s into the 2 s interval.
    const saved = JSON.parse(JSON.stringify(t.state)) as typeof t.state;
    const early = advance(ctx, saved, { type: "recover", now: 2_000 });
    expect(early.commands).toEqual([{ type: "wait", until: 3_000, reason: "poll" }]);
    expect(early.state.status).toBe("waiting");
    const woken = advance(ctx, early.state, { type: "wake", now: 3_000 });
    expect(woken.commands.map((command) => command.type)).toEqual(["send"]);
    // Recovered after it, it polls at once.
    const late = advance(ctx, saved, { type: "recover", now: 3_500 });
    expect(late.commands.map((command) => command.type)).toEqual(["send"]);
  });

  it("blocks (not fails) on a false continue_if without polling, keeping earlier stored fields", () => {
    const ctx = context({
      execute: [
        { url: `${BASE}/a`, store_data: { USER_ID: "id" } },
        { url: `${BASE}/b`, continue_if: { response_notation: "active", value: true } },
      ],
    });
    let t = start(ctx);
    t = advance(ctx, t.state, { type: "outcome", now: 1, outcome: ok({ id: 7 }) });
    expect(t.commands[0]).toEqual({ type: "store", step: 0, fields: { USER_ID: 7 } });
    t = advance(ctx, t.state, { type: "outcome", now: 2, outcome: ok({ active: false }) });
    expect(t.state.status).toBe("blocked");
    expect(t.state.stored).toEqual({ USER_ID: 7 });
    expect(t.state.error?.message).toContain('active was "false", expected "true"');
  });

  it("stores nothing of a step when one store_data entry is missing", () => {
    const ctx = context({ execute: [{ url: `${BASE}/a`, store_data: { A: "a", B: "data.b" } }] });
    const t = advance(ctx, start(ctx).state, { type: "outcome", now: 1, outcome: ok({ a: 1 }) });
    expect(t.commands.some((c) => c.type === "store")).toBe(false);
    expect(t.state.stored).toEqual({});
    expect(t.state.error).toMatchObject({
      code: "STORE_DATA_NOT_FOUND",
      path: "execute[0].store_data.B",
    });
    expect(t.state.error?.message).toBe('could not store B: data.b not found in response {"a":1}');
  });

  it("retries transient failures of idempotent methods with backoff, but not POST by default", () => {
    const get = context({ execute: [{ url: `${BASE}/a`, method: "GET" }] });
    const t = advance(get, start(get).state, { type: "outcome", now: 10_000, outcome: refused() });
    expect(t.commands[0]).toMatchObject({ type: "wait", reason: "retry" });
    const until = (t.commands[0] as { until: number }).until;
    expect(until).toBeGreaterThanOrEqual(10_250);
    expect(until).toBeLessThanOrEqual(10_500);

    const post = context({ execute: [{ url: `${BASE}/a` }] });
    const p = advance(post, start(post).state, {
      type: "outcome",
      now: 10_000,
      outcome: refused(),
    });
    expect(p.state.status).toBe("failed");
    expect(p.state.error?.code).toBe("HTTP_CONNECTION");
  });

  it("honours Retry-After and gives up after retry.max", () => {
    const ctx = context({ execute: [{ url: `${BASE}/a`, retry: { max: 1 } }] });
    let t = advance(ctx, start(ctx).state, {
      type: "outcome",
      now: 0,
      outcome: ok({ error: "slow down" }, 429, { "retry-after": "7" }),
    });
    expect(t.commands).toEqual([{ type: "wait", until: 7_000, reason: "retry" }]);
    t = advance(ctx, t.state, { type: "wake", now: 7_000 });
    t = advance(ctx, t.state, {
      type: "outcome",
      now: 7_100,
      outcome: ok({ error: "slow down" }, 429),
    });
    expect(t.state.status).toBe("failed");
    expect(t.state.error?.message).toContain("answered 429");
  });

  it("treats a status listed in status_code (as string or number) as success, never retried", () => {
    const ctx = context({
      execute: [{ url: `${BASE}/a`, method: "GET", status_code: ["503", 200] }],
    });
    const t = advance(ctx, start(ctx).state, { type: "outcome", now: 0, outcome: ok({}, 503) });
    expect(t.state.status).toBe("succeeded");
  });

  it("fails a 4xx/5xx without status_code (ChiefOnboarding would call it success)", () => {
    const ctx = context({ execute: [{ url: `${BASE}/a` }] });
    const t = advance(ctx, start(ctx).state, {
      type: "outcome",
      now: 0,
      outcome: ok({ error: "nope" }, 401),
    });
    expect(t.state.error).toMatchObject({ code: "HTTP_STATUS", step: 0 });
    expect(t.state.error?.message).toBe(
      `POST ${BASE}/x answered 401, expected a 2xx status; response: {"error":"nope"}`,
    );
  });

  it("marks an interrupted POST failed on recovery and resends an interrupted GET", () => {
    const post = context({ execute: [{ url: `${BASE}/a` }] });
    const p = advance(post, start(post).state, { type: "recover", now: 5 });
    expect(p.state.status).toBe("failed");
    expect(p.state.error?.message).toBe(
      "interrupted while sending; not resent to avoid a duplicate",
    );

    const get = context({ execute: [{ url: `${BASE}/a`, method: "GET" }] });
    const g = advance(get, start(get).state, { type: "recover", now: 5 });
    expect(g.commands[0]).toMatchObject({ type: "send", step: 0, attempt: 1 });
  });

  it("resends an interrupted POST with the same Idempotency-Key when the integration sends keys, and records it", () => {
    const keyed = context(
      { execute: [{ url: `${BASE}/a`, method: "GET" }, { url: `${BASE}/users` }] },
      { options: { idempotencyKeys: true } },
    );
    let t = start(keyed);
    t = advance(keyed, t.state, { type: "outcome", now: 2, outcome: ok({}) });
    const sent = t.commands[0];
    if (sent?.type !== "send") throw new Error("expected a send");
    const key = sent.request.headers.find(([name]) => name === "Idempotency-Key")?.[1];
    expect(key).toBe("hw-run-1-execute-1");
    expect(t.state.inFlight).toEqual({
      step: 1,
      attempt: 1,
      idempotent: false,
      idempotencyKey: key,
    });

    const r = advance(keyed, t.state, { type: "recover", now: 9 });
    expect(r.state.status).toBe("running");
    expect(r.commands).toMatchObject([
      { type: "send", step: 1, attempt: 1, resentAfterInterruption: true },
    ]);
    const again = r.commands[0];
    if (again?.type !== "send") throw new Error("expected a send");
    expect(again.request.headers).toContainEqual(["Idempotency-Key", key]);
    expect(r.state.resentAfterInterruption).toEqual([{ step: 1, attempt: 1, at: 9 }]);
    const done = advance(keyed, r.state, { type: "outcome", now: 10, outcome: ok({}, 201) });
    expect(done.state.status).toBe("succeeded");
    expect(done.state.resentAfterInterruption).toEqual([{ step: 1, attempt: 1, at: 9 }]);
  });

  it("still stops an interrupted POST whose key was not the run's own (keys off, or a masked key)", () => {
    const plain = context({
      execute: [{ url: `${BASE}/a`, headers: { "Idempotency-Key": "k-1234" } }],
    });
    const p = advance(plain, start(plain).state, { type: "recover", now: 5 });
    expect(p.state.error?.code).toBe("INTERRUPTED");

    const keyed = context(
      { execute: [{ url: `${BASE}/a` }] },
      { options: { idempotencyKeys: true } },
    );
    const sent = start(keyed).state;
    const masked = { ...sent, inFlight: { ...sent.inFlight!, idempotencyKey: "***TOKEN***" } };
    const m = advance(keyed, masked, { type: "recover", now: 5 });
    expect(m.state.error?.code).toBe("INTERRUPTED");
    expect(m.commands).toMatchObject([{ type: "finish", status: "failed" }]);
  });

  it("resumes a failed run from the failed step without resending earlier steps", () => {
    const ctx = context({
      execute: [{ url: `${BASE}/a`, store_data: { ID: "id" } }, { url: `${BASE}/b/{{ ID }}` }],
    });
    let t = start(ctx);
    t = advance(ctx, t.state, { type: "outcome", now: 1, outcome: ok({ id: "x1" }) });
    t = advance(ctx, t.state, { type: "outcome", now: 2, outcome: ok({}, 400) });
    expect(t.state).toMatchObject({ status: "failed", step: 1 });
    const resumed = advance(ctx, JSON.parse(JSON.stringify(t.state)) as RunState, {
      type: "resume",
      now: 3,
    });
    expect(resumed.commands).toMatchObject([
      { type: "send", step: 1, attempt: 1, request: { url: `${BASE}/b/x1` } },
    ]);
  });

  it("fails before sending when a variable is unknown, naming it and where", () => {
    const ctx = context({
      execute: [{ url: `${BASE}/a`, headers: { Authorization: "Bearer {{ API_TOKEN }}" } }],
    });
    const t = start(ctx);
    expect(t.commands).toMatchObject([{ type: "finish", status: "failed" }]);
    expect(t.state.error).toMatchObject({
      code: "TEMPLATE_UNDEFINED_VARIABLE",
      path: "execute[0].headers.Authorization",
      step: 0,
    });
    expect(t.state.error?.message).toContain("API_TOKEN");
  });

  it("encodes `Basic user:pass` and leaves an encoded token alone", () => {
    const ctx = context({
      execute: [
        { url: `${BASE}/a`, headers: { Authorization: "Basic {{ TOKEN }}:x" } },
        { url: `${BASE}/b`, headers: { authorization: "Basic dXNlcjpwYXNz" } },
      ],
    });
    const t1 = start(ctx);
    const send = t1.commands[0] as Extract<Transition["commands"][number], { type: "send" }>;
    expect(send.request.headers).toContainEqual(["Authorization", `Basic ${btoa("tok-123456:x")}`]);
    expect(send.derived).toEqual([{ name: "BASIC_CREDENTIAL", value: btoa("tok-123456:x") }]);
    const t2 = advance(ctx, t1.state, { type: "outcome", now: 1, outcome: ok({}) });
    expect((t2.commands[0] as typeof send).request.headers).toContainEqual([
      "authorization",
      "Basic dXNlcjpwYXNz",
    ]);
  });

  it("replaces manifest headers with a step's non-empty headers", () => {
    const ctx = context({
      headers: { Authorization: "Bearer {{ TOKEN }}", "X-Org": "1" },
      execute: [
        { url: `${BASE}/a` },
        { url: `${BASE}/b`, headers: { "X-Other": "2" } },
        { url: `${BASE}/c`, headers: {} },
      ],
    });
    const t1 = start(ctx);
    const headersOf = (t: Transition) =>
      (
        t.commands.find((c) => c.type === "send") as {
          request: { headers: Array<[string, string]> };
        }
      ).request.headers;
    expect(headersOf(t1)).toEqual([
      ["Authorization", "Bearer tok-123456"],
      ["X-Org", "1"],
    ]);
    const t2 = advance(ctx, t1.state, { type: "outcome", now: 1, outcome: ok({}) });
    expect(headersOf(t2)).toEqual([["X-Other", "2"]]);
    const t3 = advance(ctx, t2.state, { type: "outcome", now: 2, outcome: ok({}) });
    expect(headersOf(t3)).toEqual([
      ["Authorization", "Bearer tok-123456"],
      ["X-Org", "1"],
    ]);
  });

  it("reads the same after a JSON round trip of the state (serializable)", () => {
    const ctx = context({
      execute: [
        {
          url: `${BASE}/job`,
          method: "GET",
          polling: { interval: 1, amount: 5 },
          continue_if: { response_notation: "s", value: "done" },
        },
      ],
    });
    let t = start(ctx);
    t = advance(ctx, t.state, { type: "outcome", now: 0, outcome: ok({ s: "pending" }) });
    const reloaded = JSON.parse(JSON.stringify(t.state)) as RunState;
    expect(advance(ctx, reloaded, { type: "wake", now: 1_000 })).toEqual(
      advance(ctx, t.state, { type: "wake", now: 1_000 }),
    );
  });
});

describe("an OAuth refresh another run made meanwhile", () => {
  const manifest = {
    oauth: {
      access_token: { url: `${BASE}/token`, method: "POST" },
      refresh: {
        url: `${BASE}/token`,
        method: "POST",
        data: { grant_type: "refresh_token", refresh_token: "{{ oauth.refresh_token }}" },
      },
    },
    headers: { Authorization: "Bearer {{ oauth.access_token }}" },
    execute: [{ url: `${BASE}/me`, method: "GET" }],
  } as ProvisioningManifest;
  const expired = { access_token: "at-old", refresh_token: "rt-old", expires_at: 0 };

  it("goes on with the stored tokens instead of sending the refresh", () => {
    const ctx = context(manifest, { oauth: expired });
    const refresh = start(ctx);
    expect(refresh.state.phase).toBe("oauth-refresh");
    const fresh = { access_token: "at-new", refresh_token: "rt-new", expires_at: 999_999_999 };
    const next = advance(ctx, refresh.state, { type: "refreshed", now: 2_000, tokens: fresh });
    expect(next.state.phase).toBeUndefined();
    expect(next.state.oauthRefreshed).toBe(true);
    expect(next.state.attempt).toBe(0);
    expect(next.commands).toMatchObject([
      {
        type: "send",
        step: 0,
        attempt: 1,
        request: { url: `${BASE}/me`, headers: [["Authorization", "Bearer at-new"]] },
      },
    ]);
    expect(next.commands.some((command) => command.type === "oauth")).toBe(false);
  });

  it("refreshes again with the stored refresh token when the stored tokens expire too", () => {
    const ctx = context(manifest, { oauth: expired });
    const refresh = start(ctx);
    const stale = { access_token: "at-2", refresh_token: "rt-2", expires_at: 1_500 };
    const next = advance(ctx, refresh.state, { type: "refreshed", now: 2_000, tokens: stale });
    expect(next.state.phase).toBe("oauth-refresh");
    expect(next.commands).toMatchObject([{ type: "send", label: "oauth.refresh" }]);
    const send = next.commands[0] as Extract<Transition["commands"][number], { type: "send" }>;
    expect(JSON.stringify(send.request.body)).toContain("rt-2");
  });

  it("is ignored when no refresh is under way", () => {
    const ctx = context(manifest, { oauth: { ...expired, expires_at: 999_999_999 } });
    const sending = start(ctx);
    const next = advance(ctx, sending.state, { type: "refreshed", now: 2_000, tokens: {} });
    expect(next).toEqual({ state: sending.state, commands: [] });
  });

  it("a driver stopped during the refresh (waiting for another's) refreshes again on recovery", () => {
    const ctx = context(manifest, { oauth: expired });
    const refresh = start(ctx);
    expect(refresh.state.inFlight).toMatchObject({ idempotent: false });
    const recovered = advance(ctx, refresh.state, { type: "recover", now: 3_000 });
    expect(recovered.state.status).toBe("running");
    expect(recovered.commands).toMatchObject([{ type: "send", label: "oauth.refresh" }]);
  });
});

describe("states are never written to", () => {
  /** Freezes a state and everything in it: writing to any part of it then throws. */
  function frozen<T>(value: T): T {
    if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
      Object.freeze(value);
      for (const item of Object.values(value)) frozen(item);
    }
    return value;
  }

  it("leaves every state it is given as it was, through polls, a retry and the next step", () => {
    const ctx = context({
      execute: [
        {
          url: `${BASE}/jobs`,
          store_data: { JOB: "id" },
          retry: { max: 1 },
        },
        {
          url: `${BASE}/jobs/{{ JOB }}`,
          method: "GET",
          continue_if: { response_notation: "status", value: "done" },
          polling: { interval: 1, amount: 3 },
        },
      ],
    });
    const seen: string[] = [];
    let now = 1_000;
    let transition = advance(ctx, frozen(createRunState("run-1")), { type: "start", now });
    const step = (event: Parameters<typeof advance>[2]): void => {
      const before = frozen(transition.state);
      const copy = JSON.stringify(before);
      transition = advance(ctx, before, event);
      expect(JSON.stringify(before)).toBe(copy);
      seen.push(`${transition.state.status}:${transition.commands.map((c) => c.type).join("+")}`);
    };
    step({ type: "outcome", now, outcome: refused() });
    now = transition.state.wakeAt!;
    step({ type: "wake", now });
    step({ type: "outcome", now, outcome: ok({ id: "j1" }, 201) });
    step({ type: "outcome", now, outcome: ok({ status: "pending" }) });
    now = transition.state.wakeAt!;
    step({ type: "wake", now });
    step({ type: "outcome", now, outcome: ok({ status: "done" }) });
    expect(seen).toEqual([
      "waiting:wait",
      "running:send",
      "running:store+send",
      "waiting:wait",
      "running:send",
      "succeeded:finish",
    ]);
    expect(transition.state.stored).toEqual({ JOB: "j1" });
  });
});
