// `email` notifications against a real local SMTP server (smtp-server): what arrives (envelope,
// subject, rendered body, login) and every way sending can fail, always as a result, never a throw.
import { createServer, type Server, type Socket } from "node:net";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Notification } from "../manifest/types.ts";
import { createScope } from "../template/index.ts";
import type { SmtpConfig } from "./notify-config.ts";
import { sendNotifications } from "./send-notifications.ts";

interface ReceivedMail {
  from: string;
  to: string[];
  user: unknown;
  headers: Map<string, string>;
  body: string;
}

let smtp: SMTPServer;
let port: number;
const received: ReceivedMail[] = [];

/** Splits a raw RFC 5322 message into unfolded headers (lower-case names) and body. */
function parseMessage(raw: string): { headers: Map<string, string>; body: string } {
  const split = raw.indexOf("\r\n\r\n");
  const headers = new Map<string, string>();
  for (const line of raw
    .slice(0, split)
    .replace(/\r\n[ \t]+/g, " ")
    .split("\r\n")) {
    const colon = line.indexOf(":");
    headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body: raw.slice(split + 4).replace(/\r\n$/, "") };
}

beforeAll(async () => {
  smtp = new SMTPServer({
    disabledCommands: ["STARTTLS"],
    authOptional: true,
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === "mailer" && auth.password === "s3cret-pass") {
        callback(null, { user: auth.username });
      } else {
        callback(new Error("Invalid username or password"));
      }
    },
    onRcptTo(address, _session, callback) {
      if (address.address.endsWith("@blocked.test")) {
        callback(Object.assign(new Error("mailbox unavailable"), { responseCode: 550 }));
      } else {
        callback();
      }
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        const envelopeFrom = session.envelope.mailFrom;
        received.push({
          from: envelopeFrom === false ? "" : envelopeFrom.address,
          to: session.envelope.rcptTo.map((r) => r.address),
          user: session.user,
          ...parseMessage(Buffer.concat(chunks).toString("utf8")),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
  port = (smtp.server.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
});

function config(overrides: Partial<SmtpConfig> = {}): { smtp: SmtpConfig } {
  return { smtp: { host: "127.0.0.1", port, from: "onboarding@hirewire.test", ...overrides } };
}

const scope = createScope([
  { first_name: "Ada", email: "ada@corp.test", manager: { email: "grace@corp.test" } },
  { ASANA_ID: "u-981" },
  { ORG_ID: "org-42" },
  { team: "Platform" },
]);

const welcome: Notification = {
  type: "email",
  to: "{{ manager.email }}, it@corp.test",
  subject: "{{ first_name }} has an Asana account",
  message: "Hi, {{ first_name }} joined {{ team }} as {{ ASANA_ID }} in {{ ORG_ID }}.",
};

async function silentServer(): Promise<{ server: Server; port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as { port: number }).port, sockets };
}

async function closeSilent(silent: { server: Server; sockets: Socket[] }): Promise<void> {
  for (const socket of silent.sockets) socket.destroy();
  await new Promise<void>((resolve) => silent.server.close(() => resolve()));
}

describe("email notifications", () => {
  it("delivers the rendered subject and body to every recipient", async () => {
    received.length = 0;
    const [result] = await sendNotifications([welcome], scope, config());

    expect(result).toMatchObject({
      index: 0,
      type: "email",
      to: "grace@corp.test, it@corp.test",
      ok: true,
    });
    expect(result?.error).toBeUndefined();
    expect(result?.messageId).toMatch(/^<.+@.+>$/);
    expect(received).toHaveLength(1);
    const mail = received[0] as ReceivedMail;
    expect(mail.from).toBe("onboarding@hirewire.test");
    expect(mail.to).toEqual(["grace@corp.test", "it@corp.test"]);
    expect(mail.headers.get("subject")).toBe("Ada has an Asana account");
    expect(mail.headers.get("message-id")).toBe(result?.messageId);
    expect(mail.body).toBe("Hi, Ada joined Platform as u-981 in org-42.");
    expect(mail.user).toBeUndefined();
  });

  it("logs in with the configured user and password", async () => {
    received.length = 0;
    const [result] = await sendNotifications(
      [welcome],
      scope,
      config({ user: "mailer", pass: "s3cret-pass" }),
    );

    expect(result?.ok).toBe(true);
    expect(received.map((mail) => mail.user)).toEqual(["mailer"]);
  });

  it("uses a default subject when the item has none", async () => {
    received.length = 0;
    const item: Notification = { type: "email", to: "{{ email }}", message: "Done." };
    const [result] = await sendNotifications([item], scope, config());

    expect(result?.ok).toBe(true);
    expect(received[0]?.to).toEqual(["ada@corp.test"]);
    expect(received[0]?.headers.get("subject")).toBe("Notification from hirewire");
  });

  it("keeps a value with line breaks inside the subject header", async () => {
    received.length = 0;
    const sneaky = createScope([{ title: "Hi\r\nBcc: intruder@evil.test\r\n\r\nfake body" }]);
    const item: Notification = {
      type: "email",
      to: "it@corp.test",
      subject: "{{ title }}",
      message: "real",
    };
    const [result] = await sendNotifications([item], sneaky, config());

    expect(result?.ok).toBe(true);
    expect(received[0]?.to).toEqual(["it@corp.test"]);
    expect(received[0]?.headers.has("bcc")).toBe(false);
    expect(received[0]?.body).toBe("real");
  });

  it("reports a refused login without sending", async () => {
    received.length = 0;
    const [result] = await sendNotifications(
      [welcome],
      scope,
      config({ user: "mailer", pass: "wrong-pass" }),
    );

    expect(result?.ok).toBe(false);
    expect(result?.error).toMatchObject({
      code: "HTTP_STATUS",
      path: "post_execute_notification[0]",
      details: { cause: "EAUTH", responseCode: 535 },
    });
    expect(result?.error?.message).toContain("refused the login");
    expect(received).toHaveLength(0);
  });

  it("reports a recipient the server rejects, and goes on with the next item", async () => {
    received.length = 0;
    const blocked: Notification = { type: "email", to: "x@blocked.test", message: "hi" };
    const results = await sendNotifications([blocked, welcome], scope, config());

    expect(results.map((r) => r.ok)).toEqual([false, true]);
    expect(results[0]?.error).toMatchObject({
      code: "HTTP_STATUS",
      details: { cause: "EENVELOPE", responseCode: 550 },
    });
    expect(results[0]?.error?.message).toContain("mailbox unavailable");
    expect(received).toHaveLength(1);
  });

  it("reports a refused connection", async () => {
    const silent = await silentServer();
    await closeSilent(silent);
    const [result] = await sendNotifications([welcome], scope, config({ port: silent.port }));

    expect(result?.ok).toBe(false);
    expect(result?.error?.code).toBe("HTTP_CONNECTION");
    expect(result?.error?.message).toContain(`127.0.0.1:${silent.port}`);
  });

  it("gives up on a server that never greets after the timeout", async () => {
    const silent = await silentServer();
    try {
      const [result] = await sendNotifications([welcome], scope, config({ port: silent.port }), {
        timeoutMs: 200,
      });
      expect(result?.ok).toBe(false);
      expect(result?.error?.code).toBe("HTTP_TIMEOUT");
    } finally {
      await closeSilent(silent);
    }
  });

  it("stops waiting when the run is cancelled", async () => {
    const silent = await silentServer();
    try {
      const controller = new AbortController();
      const pending = sendNotifications([welcome, welcome], scope, config({ port: silent.port }), {
        signal: controller.signal,
      });
      controller.abort();
      const results = await pending;
      expect(results.map((r) => r.error?.code)).toEqual(["CANCELLED", "CANCELLED"]);
      expect(results.every((r) => !r.ok)).toBe(true);
    } finally {
      await closeSilent(silent);
    }
  });
});
