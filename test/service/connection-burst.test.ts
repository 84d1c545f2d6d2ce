// A burst of clients connecting while the service is busy: each is taken into the listening
// socket's queue at once. With Node's default queue (511) the kernel dropped the SYNs past it, and
// each of those clients waited a second, then two, before its retry: 1,000 triggers at once took
// seconds longer than the work they asked for. Linux only (it reads /proc/net/tcp).
import { readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startInProcessService, type InProcessService } from "../support/in-process-service.ts";

let svc: InProcessService;
beforeAll(async () => {
  svc = await startInProcessService();
});
afterAll(async () => {
  await svc?.close();
});

/** TCP states (ESTABLISHED, SYN_SENT, …) of this machine's IPv4 sockets connecting to `port`. */
function clientStates(port: number): Map<string, number> {
  const names: Record<string, string> = { "01": "ESTABLISHED", "02": "SYN_SENT" };
  const counts = new Map<string, number>();
  const lines = readFileSync("/proc/net/tcp", "utf8").trim().split("\n").slice(1);
  for (const line of lines) {
    const [, , remote, state] = line.trim().split(/\s+/);
    if (Number.parseInt(remote!.split(":")[1]!, 16) !== port) continue;
    const name = names[state!] ?? state!;
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}

/** What this machine must allow for 1,000 connections (2,000 sockets in this process). */
function expectRoomForTheBurst(): void {
  const somaxconn = Number(readFileSync("/proc/sys/net/core/somaxconn", "utf8"));
  expect(somaxconn, "net.core.somaxconn caps every listen queue; set it to 4096").toBeGreaterThan(
    1_000,
  );
  const limits = readFileSync("/proc/self/limits", "utf8");
  const openFiles = Number(/Max open files\s+(\d+)/.exec(limits)?.[1]);
  expect(openFiles, "open files per process (ulimit -n) must allow 2,000 sockets").toBeGreaterThan(
    2_100,
  );
}

it("takes 1,000 connections made at once while its event loop is busy, none left waiting for a SYN retry", async () => {
  expectRoomForTheBurst();
  const port = Number(new URL(svc.service.url).port);
  const sockets: Socket[] = [];
  try {
    // No turn of the event loop from here to the count: the service (in this process) cannot
    // accept meanwhile, so every handshake has to fit in the kernel's queue for its socket.
    for (let i = 0; i < 1_000; i += 1) {
      const socket = connect({ host: "127.0.0.1", port });
      socket.on("error", () => undefined);
      sockets.push(socket);
    }
    // Node connects to an IP address on the next tick; this tick runs after those.
    await new Promise((resolve) => process.nextTick(resolve));
    const states = clientStates(port);
    expect(states.get("SYN_SENT") ?? 0).toBe(0);
    // At least: /proc/net/tcp lists the whole machine's sockets.
    expect(states.get("ESTABLISHED")).toBeGreaterThanOrEqual(1_000);
    // And the service answers on them once it gets to them.
    const answered = await new Promise<string>((resolve, reject) => {
      const last = sockets[sockets.length - 1]!;
      let text = "";
      last.on("data", (chunk) => {
        text += chunk.toString();
        if (text.includes("\r\n\r\n")) resolve(text.split("\r\n")[0]!);
      });
      last.once("error", reject);
      last.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    });
    expect(answered).toMatch(/^HTTP\/1\.1 200/);
  } finally {
    for (const socket of sockets) socket.destroy();
  }
});
