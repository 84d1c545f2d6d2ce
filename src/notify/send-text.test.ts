// `text` notifications against a local fake of Twilio's Messages API (node:http): the path, the
// Basic credential and the form fields it receives, and the API's failures as ok:false results.
import { createServer, type IncomingMessage, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Notification } from "../manifest/types.ts";
import { createScope } from "../template/index.ts";
import type { TextConfig } from "./notify-config.ts";
import { sendNotifications } from "./send-notifications.ts";
import { messagesUrl } from "./send-text.ts";

interface ReceivedText {
  method: string;
  path: string;
  authorization: string | undefined;
  contentType: string | undefined;
  form: Record<string, string>;
}

const ACCOUNT = "AC0123456789";
const TOKEN = "auth-token-value";
const received: ReceivedText[] = [];
let server: Server;
let baseUrl: string;

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

beforeAll(async () => {
  server = createServer((req, res) => {
    void readBody(req).then((body) => {
      const form = Object.fromEntries(new URLSearchParams(body));
      received.push({
        method: req.method ?? "",
        path: req.url ?? "",
        authorization: req.headers.authorization,
        contentType: req.headers["content-type"],
        form,
      });
      const expected = `Basic ${Buffer.from(`${ACCOUNT}:${TOKEN}`).toString("base64")}`;
      res.setHeader("content-type", "application/json");
      if (req.headers.authorization !== expected) {
        res
          .writeHead(401)
          .end(JSON.stringify({ code: 20003, message: "Authenticate", status: 401 }));
      } else if (form.To === "+15550000500") {
        res.writeHead(500).end("upstream exploded");
      } else if (form.To === "+15550000400") {
        const message = "The 'To' number +15550000400 is not a valid phone number.";
        res.writeHead(400).end(JSON.stringify({ code: 21211, message, status: 400 }));
      } else {
        res.writeHead(201).end(JSON.stringify({ sid: "SM42", status: "queued", to: form.To }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function config(overrides: Partial<TextConfig> = {}): { text: TextConfig } {
  return {
    text: { baseUrl, accountSid: ACCOUNT, authToken: TOKEN, from: "+15550001111", ...overrides },
  };
}

const scope = createScope([{ first_name: "Ada", phone: "+15551234567" }, { ASANA_ID: "u-981" }]);

const text: Notification = {
  type: "text",
  to: "{{ phone }}",
  message: "Welcome {{ first_name }} & co: your id is {{ ASANA_ID }}",
};

describe("text notifications", () => {
  it("posts the rendered message as Twilio's form with Basic auth", async () => {
    received.length = 0;
    const [result] = await sendNotifications([text], scope, config());

    expect(result).toEqual({
      index: 0,
      type: "text",
      to: "+15551234567",
      ok: true,
      messageId: "SM42",
    });
    expect(received).toEqual([
      {
        method: "POST",
        path: `/2010-04-01/Accounts/${ACCOUNT}/Messages.json`,
        authorization: `Basic ${Buffer.from(`${ACCOUNT}:${TOKEN}`).toString("base64")}`,
        contentType: "application/x-www-form-urlencoded",
        form: {
          To: "+15551234567",
          From: "+15550001111",
          Body: "Welcome Ada & co: your id is u-981",
        },
      },
    ]);
  });

  it("builds the endpoint under a base URL with a path and a trailing slash", () => {
    const url = messagesUrl({
      baseUrl: "https://sms.example/proxy/",
      accountSid: "AC 1",
      authToken: "t",
      from: "+1",
    });
    expect(url.href).toBe("https://sms.example/proxy/2010-04-01/Accounts/AC%201/Messages.json");
    expect(messagesUrl({ accountSid: "AC1", authToken: "t", from: "+1" }).origin).toBe(
      "https://api.twilio.com",
    );
  });

  it("reports a 500 from the API with its body", async () => {
    const item: Notification = { type: "text", to: "+15550000500", message: "hi" };
    const [result] = await sendNotifications([item], scope, config());

    expect(result?.ok).toBe(false);
    expect(result?.error).toMatchObject({
      code: "HTTP_STATUS",
      message: "the text message API answered 500: upstream exploded",
      path: "post_execute_notification[0]",
      details: { status: 500 },
    });
  });

  it("reports the API's own message for a rejected number", async () => {
    const item: Notification = { type: "text", to: "+15550000400", message: "hi" };
    const [result] = await sendNotifications([item], scope, config());

    expect(result?.error?.message).toBe(
      "the text message API answered 400: The 'To' number +15550000400 is not a valid phone number.",
    );
  });

  it("reports refused credentials without leaking the token", async () => {
    const [result] = await sendNotifications([text], scope, config({ authToken: "wrong-token" }));

    expect(result?.ok).toBe(false);
    expect(result?.error?.message).toBe("the text message API answered 401: Authenticate");
    expect(JSON.stringify(result)).not.toContain("wrong-token");
  });

  it("reports an unreachable API", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const [result] = await sendNotifications(
      [text],
      scope,
      config({ baseUrl: `http://127.0.0.1:${port}` }),
    );
    expect(result?.ok).toBe(false);
    expect(result?.error).toMatchObject({
      code: "HTTP_CONNECTION",
      details: { cause: "ECONNREFUSED" },
    });
  });

  it("gives up on an API that never answers after the timeout", async () => {
    const hanging = createServer(() => undefined);
    await new Promise<void>((resolve) => hanging.listen(0, "127.0.0.1", resolve));
    const port = (hanging.address() as { port: number }).port;
    try {
      const [result] = await sendNotifications(
        [text],
        scope,
        config({ baseUrl: `http://127.0.0.1:${port}` }),
        { timeoutMs: 200 },
      );
      expect(result?.ok).toBe(false);
      expect(result?.error?.code).toBe("HTTP_TIMEOUT");
    } finally {
      hanging.closeAllConnections();
      await new Promise<void>((resolve) => hanging.close(() => resolve()));
    }
  });
});
