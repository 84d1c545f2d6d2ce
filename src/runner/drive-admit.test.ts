// The driver's seam for rate limits (`DriveHooks.admit`): each send is admitted before the state
// saying it is in flight is checkpointed, and its permit is released with the answer; a hand-back
// saves the state with nothing in flight and a time to resume; a cancelled send gives its permit
// back unused; a resend after an interruption may not be handed back.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  sendJson,
  startTargetServer,
  type TargetServer,
} from "../../test/support/target-server.ts";
import { createRunState } from "../engine/machine.ts";
import type { RunEvent, RunState } from "../engine/types.ts";
import type { AttemptOutcome } from "../exchange/types.ts";
import { DiskFileStore } from "../files/index.ts";
import { sendAttempt } from "../http/index.ts";
import type { Manifest } from "../manifest/types.ts";
import { Redactor } from "../redact/index.ts";
import { driveRun, type Admission, type Checkpoint, type DriveHooks } from "./drive.ts";
import { contextFor } from "./lifecycle.ts";

let target: TargetServer;
let dir: string;
beforeAll(async () => {
  target = await startTargetServer();
  target.route("*", "/ok", (_req, res) => sendJson(res, 200, { ok: true }));
  dir = await mkdtemp(join(tmpdir(), "hirewire-admit-"));
});
afterAll(async () => {
  await target.close();
  await rm(dir, { recursive: true, force: true });
});

interface Drive {
  events: string[];
  checkpoints: Checkpoint[];
  handBacks: boolean[];
  result: Awaited<ReturnType<typeof driveRun>>;
}

async function drive(
  manifest: Manifest,
  answer: (index: number) => Admission | "permit",
  options: {
    state?: RunState;
    event?: RunEvent;
    cancelled?: boolean;
    idempotencyKeys?: boolean;
  } = {},
): Promise<Drive> {
  const events: string[] = [];
  const checkpoints: Checkpoint[] = [];
  const handBacks: boolean[] = [];
  const ctx = contextFor(manifest, { hire: { email: "ada@example.test" } });
  if (options.idempotencyKeys === true) ctx.options = { idempotencyKeys: true };
  const files = new DiskFileStore(dir);
  const state = options.state ?? createRunState("run-1");
  let admitted = 0;
  const hooks: DriveHooks = {
    ctx,
    redactor: new Redactor(),
    now: Date.now,
    send: async (request) => {
      events.push(`send ${request.method}`);
      return sendAttempt(request, { files, runId: state.runId, holdsSecret: () => false });
    },
    checkpoint: async (checkpoint) => {
      checkpoints.push(checkpoint);
      events.push(checkpoint.state.inFlight !== undefined ? "checkpoint in flight" : "checkpoint");
    },
    wait: async () => false,
    cancelled: async () => options.cancelled === true,
    admit: async (_request, mayHandBack) => {
      handBacks.push(mayHandBack);
      const index = admitted++;
      events.push(`admit ${index}`);
      const admission = answer(index);
      if (admission !== "permit") return admission;
      return {
        release: (outcome?: AttemptOutcome) =>
          events.push(`release ${index} ${outcome?.response?.status ?? "unsent"}`),
      };
    },
  };
  const result = await driveRun(hooks, state, options.event ?? { type: "start", now: Date.now() });
  return { events, checkpoints, handBacks, result };
}

const twoSteps = (): Manifest => ({
  execute: [
    { url: `${target.url}/ok`, method: "GET" },
    { url: `${target.url}/ok`, method: "PUT" },
  ],
});

it("admits each send before its in-flight checkpoint and releases it with the answer", async () => {
  const { events, result } = await drive(twoSteps(), () => "permit");
  expect(result.state.status).toBe("succeeded");
  expect(events).toEqual([
    "admit 0",
    "checkpoint in flight",
    "send GET",
    "release 0 200",
    "admit 1",
    "checkpoint in flight",
    "send PUT",
    "release 1 200",
    "checkpoint",
  ]);
});

it("a hand-back saves nothing in flight, with the time to resume, and sends nothing", async () => {
  const until = Date.now() + 60_000;
  const { events, checkpoints, result } = await drive(twoSteps(), (index) =>
    index === 0 ? "permit" : { handBackUntil: until },
  );
  expect(result.yielded).toBe(true);
  expect(events).toEqual([
    "admit 0",
    "checkpoint in flight",
    "send GET",
    "release 0 200",
    "admit 1",
    "checkpoint",
  ]);
  const last = checkpoints.at(-1)!;
  expect(last.handBack).toBe(true);
  expect(last.resumeAt).toBe(until);
  expect(last.state.inFlight).toBeUndefined();
  expect(last.state.step).toBe(1);
  expect(last.attempt?.response?.status).toBe(200);
});

it("a send cancelled after it was admitted gives its permit back unused", async () => {
  const { events, result } = await drive(twoSteps(), () => "permit", { cancelled: true });
  expect(result.state.status).toBe("cancelled");
  expect(events).toContain("release 0 unsent");
  expect(events.some((event) => event.startsWith("send"))).toBe(false);
});

it("a resend after an interruption is admitted without the choice to hand back", async () => {
  const manifest: Manifest = { execute: [{ url: `${target.url}/ok`, method: "POST" }] };
  const state: RunState = {
    ...createRunState("run-2"),
    status: "running",
    inFlight: { step: 0, attempt: 1, idempotent: false, idempotencyKey: "hw-run-2-execute-0" },
  };
  const { handBacks, result } = await drive(manifest, () => "permit", {
    state,
    event: { type: "recover", now: Date.now() },
    idempotencyKeys: true,
  });
  expect(result.state.status).toBe("succeeded");
  expect(handBacks).toEqual([false]);
});
