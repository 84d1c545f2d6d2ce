// Bench parts run in child processes so each starts from a clean heap and the target server's
// CPU is not charged to the client's event loop. Children talk to the parent over IPC.
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

/** A message a bench child sends its parent. */
export type ChildMessage =
  | { type: "ready"; url: string }
  | { type: "result"; result: unknown }
  | { type: "error"; message: string }
  | { type: "delay"; delay: EventLoopDelay };

/** A child's event-loop delay since its last reset, in ms. */
export interface EventLoopDelay {
  p50: number;
  p99: number;
  max: number;
}

// `npm run bench` runs the compiled bench (dist-bench/bench/*.js); `npx tsx bench/run.ts` still
// works for comparing with the sources under tsx. Children run the same kind of file as we do.
const OWN_EXTENSION = import.meta.url.endsWith(".ts") ? ".ts" : ".js";

/**
 * Forks `bench/<script>` (named `x.ts`; the compiled `x.js` when the bench runs compiled) with the
 * parent's node flags (the tsx loader, if any); `quiet` discards its stdout.
 */
export function forkBench(
  script: string,
  args: string[] = [],
  options: { execArgv?: string[]; quiet?: boolean } = {},
): ChildProcess {
  const name = script.replace(/\.ts$/, OWN_EXTENSION);
  const file = fileURLToPath(new URL(`./${name}`, import.meta.url));
  return fork(file, args, {
    execArgv: [...process.execArgv, ...(options.execArgv ?? [])],
    stdio: options.quiet === true ? ["ignore", "ignore", "inherit", "ipc"] : "inherit",
  });
}

/** Waits for the child's first message of `type` (or its error/exit, which reject). */
export function nextMessage<T extends ChildMessage["type"]>(
  child: ChildProcess,
  type: T,
): Promise<Extract<ChildMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: ChildMessage): void => {
      if (message.type === type) {
        cleanup();
        resolve(message as Extract<ChildMessage, { type: T }>);
      } else if (message.type === "error") {
        cleanup();
        reject(new Error(message.message));
      }
    };
    const onExit = (code: number | null): void => {
      cleanup();
      reject(new Error(`bench child exited with code ${code} before sending ${type}`));
    };
    const cleanup = (): void => {
      child.off("message", onMessage);
      child.off("exit", onExit);
    };
    child.on("message", onMessage);
    child.on("exit", onExit);
  });
}

/** Runs a bench child to completion and returns its result. */
export async function runChild<R>(script: string, args: string[] = []): Promise<R> {
  const child = forkBench(script, args);
  try {
    return (await nextMessage(child, "result")).result as R;
  } finally {
    // A moment to exit on its own (its exit handlers remove temp files), then stop it.
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      const timer = setTimeout(() => child.kill(), 5_000);
      await exited;
      clearTimeout(timer);
    }
  }
}

/** Sends the child's result (or failure) to the parent and lets the process end. */
export async function reportToParent(work: () => Promise<unknown>): Promise<void> {
  try {
    const result = await work();
    process.send?.({ type: "result", result } satisfies ChildMessage);
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.send?.({ type: "error", message } satisfies ChildMessage);
    process.exitCode = 1;
  }
  process.disconnect?.();
}

/**
 * Starts the target server in its own process, answering every request `latencyMs` (default 0)
 * late; kill the returned child to stop it.
 */
export async function startTargetProcess(
  latencyMs = 0,
): Promise<{ url: string; child: ChildProcess }> {
  const child = forkBench("target-process.ts", [String(latencyMs)], { quiet: true });
  const { url } = await nextMessage(child, "ready");
  return { url, child };
}
