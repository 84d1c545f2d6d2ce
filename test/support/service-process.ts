// Runs `hirewire serve` as a real child process on a data dir, so tests can SIGKILL it mid-run
// and start it again on the same files. Output is kept for assertions (secret leaks) and errors.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const BIN = fileURLToPath(new URL("../../bin/hirewire.js", import.meta.url));
export const TEST_ADMIN_TOKEN = "hw_test_admin_token_0123456789";

export interface ServiceProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
  /** Sends a request to the API with the admin token; JSON in and out. */
  api<T = any>(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: T }>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export async function startServiceProcess(
  dataDir: string,
  env: Record<string, string> = {},
  args: string[] = [],
): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [BIN, "serve", ...args], {
    env: {
      ...process.env,
      PORT: "0",
      HOST: "127.0.0.1",
      HIREWIRE_DATA: dataDir,
      HIREWIRE_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      LOG_LEVEL: "warn",
      HIREWIRE_LEASE_MS: "2000",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`service did not start within 20 s; output:\n${output}`)),
      20_000,
    );
    const onData = () => {
      const match = /hirewire is running at (http:\/\/\S+)/.exec(output);
      if (match !== null) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`service exited with ${code} before listening; output:\n${output}`));
    });
  });
  return {
    url,
    child,
    output: () => output,
    async api(method, path, body, headers = {}) {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${TEST_ADMIN_TOKEN}`,
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
          ...headers,
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await response.text();
      return { status: response.status, body: text === "" ? undefined : JSON.parse(text) };
    },
    async kill(signal = "SIGKILL") {
      if (child.exitCode !== null) return;
      child.kill(signal);
      await exited;
    },
  };
}

export interface WorkerProcess {
  child: ChildProcess;
  output: () => string;
  /** The /metrics URL, when HIREWIRE_METRICS_PORT was given. */
  metricsUrl?: string;
  /** Sends `signal` and resolves with the exit code once the process has exited. */
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Runs `hirewire worker` as a child process; resolves once it says it is running. */
export async function startWorkerProcess(
  dataDir: string,
  env: Record<string, string> = {},
  args: string[] = [],
): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [BIN, "worker", ...args], {
    env: {
      ...process.env,
      HOST: "127.0.0.1",
      HIREWIRE_DATA: dataDir,
      LOG_LEVEL: "warn",
      HIREWIRE_LEASE_MS: "2000",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => resolve(code)),
  );
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`worker did not start within 20 s; output:\n${output}`)),
      20_000,
    );
    const onData = () => {
      const match = /hirewire worker is running[^\n]*\n/.exec(output);
      if (match !== null) {
        clearTimeout(timer);
        resolve(match[0]);
      }
    };
    child.stdout!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code} before running; output:\n${output}`));
    });
  });
  const metricsUrl = /metrics: (http:\/\/\S+)/.exec(line)?.[1];
  return {
    child,
    output: () => output,
    ...(metricsUrl !== undefined ? { metricsUrl } : {}),
    async kill(signal = "SIGKILL") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Polls `check` until it returns a value other than undefined, or fails after `ms`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  ms = 30_000,
  what = "condition",
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
