// The service started in this process (startService) on a temp data dir, for tests that need
// the scheduler and the API together but not a child process to kill.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { startService, type RunningService } from "../../src/service/serve.ts";
import { configFromEnv } from "../../src/service/service-config.ts";

export const ADMIN_TOKEN = "hw_in_process_admin_token_42";

export interface InProcessService {
  service: RunningService;
  dir: string;
  api<T = any>(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: T; text: string }>;
  /** Polls a run until it is finished. */
  finished<T = any>(runId: string, ms?: number): Promise<T>;
  close(): Promise<void>;
}

export async function startInProcessService(
  env: Record<string, string> = {},
): Promise<InProcessService> {
  const dir = await mkdtemp(join(tmpdir(), "hirewire-svc-"));
  const config = configFromEnv({
    HIREWIRE_DATA: dir,
    PORT: "0",
    HIREWIRE_ADMIN_TOKEN: ADMIN_TOKEN,
    LOG_LEVEL: "silent",
    ...env,
  });
  const service = await startService(config, pino({ level: "silent" }));
  const api: InProcessService["api"] = async (method, path, body, headers = {}) => {
    const response = await fetch(`${service.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${ADMIN_TOKEN}`,
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    let parsed: any;
    try {
      parsed = text === "" ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: response.status, body: parsed, text };
  };
  return {
    service,
    dir,
    api,
    async finished(runId, ms = 20_000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const run = (await api("GET", `/api/runs/${runId}`)).body;
        if (["succeeded", "failed", "blocked", "cancelled"].includes(run?.status)) return run;
        if (Date.now() > deadline)
          throw new Error(`run ${runId} still ${run?.status} after ${ms} ms`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async close() {
      await service.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
