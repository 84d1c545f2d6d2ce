// post_execute_notification wired into runs: after a successful execute run the library and the
// service send the rendered messages (a real local SMTP server receives them), record the masked
// results, and a failed notification never fails the run.
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runManifest } from "../src/runner/index.ts";
import { startTargetServer, type TargetServer } from "./support/target-server.ts";
import { startInProcessService, type InProcessService } from "./support/in-process-service.ts";

const SECRET = "notify_secret_value_77";
let target: TargetServer;
let smtp: SMTPServer;
let smtpPort: number;
const mails: Array<{ to: string[]; raw: string }> = [];

beforeAll(async () => {
  target = await startTargetServer();
  smtp = new SMTPServer({
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, session, callback) {
      let raw = "";
      stream.on("data", (chunk: Buffer) => (raw += chunk.toString()));
      stream.on("end", () => {
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), raw });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", () => resolve()));
  smtpPort = (smtp.server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
  await target.close();
});

const manifest = (base: string) => ({
  initial_data_form: [{ id: "TOKEN", name: "Token" }],
  execute: [
    {
      url: `${base}/users`,
      data: { email: "{{ email }}", t: "{{ TOKEN }}" },
      store_data: { USER_ID: "id" },
    },
  ],
  post_execute_notification: [
    {
      type: "email",
      to: "{{ manager_email }}",
      subject: "{{ first_name }} has an account",
      message: "User {{ USER_ID }} was created for {{ email }}.",
    },
    { type: "text", to: "+15550100", message: "done" },
  ],
});
const hire = { email: "ada@example.com", first_name: "Ada", manager_email: "boss@example.com" };

describe("notifications", () => {
  it("are sent after a successful run with the run's variables, and a failing one is recorded without failing the run", async () => {
    const before = mails.length;
    const result = await runManifest(manifest(target.url), {
      hire,
      secrets: { TOKEN: SECRET },
      notify: { smtp: { host: "127.0.0.1", port: smtpPort, from: "hirewire@example.com" } },
    });
    expect(result.status).toBe("succeeded");
    const mail = mails.slice(before)[0]!;
    expect(mail.to).toEqual(["boss@example.com"]);
    expect(mail.raw).toContain("Subject: Ada has an account");
    expect(mail.raw).toMatch(/User user-\d+ was created for ada@example.com\./);
    expect(result.notifications).toMatchObject([
      { type: "email", to: "boss@example.com", ok: true },
      { type: "text", ok: false, error: { code: "INPUT_MISSING" } },
    ]);
  });

  it("are not sent when the run fails", async () => {
    const before = mails.length;
    const failing = {
      ...manifest(target.url),
      execute: [{ url: `${target.url}/status/500`, retry: { max: 0 } }],
    };
    const result = await runManifest(failing, {
      hire,
      secrets: { TOKEN: SECRET },
      notify: { smtp: { host: "127.0.0.1", port: smtpPort, from: "hirewire@example.com" } },
    });
    expect(result.status).toBe("failed");
    expect(result.notifications).toBeUndefined();
    expect(mails.length).toBe(before);
  });

  it("are sent by the service and shown, masked, with the run", async () => {
    let svc: InProcessService | undefined;
    try {
      svc = await startInProcessService({
        HIREWIRE_SANDBOX: "off",
        HIREWIRE_SMTP_HOST: "127.0.0.1",
        HIREWIRE_SMTP_PORT: String(smtpPort),
        HIREWIRE_SMTP_FROM: "hirewire@example.com",
      });
      const notifyManifest = {
        ...manifest(target.url),
        post_execute_notification: [
          { type: "email", to: "{{ manager_email }}", subject: "token {{ TOKEN }}", message: "hi" },
        ],
      };
      const integration = (
        await svc.api("POST", "/api/integrations", { name: "notify", manifest: notifyManifest })
      ).body;
      await svc.api("PUT", `/api/integrations/${integration.id}/secrets`, { TOKEN: SECRET });
      const created = (await svc.api("POST", "/api/hires", hire)).body;
      const run = (
        await svc.api("POST", "/api/runs", {
          integration_id: integration.id,
          hire_id: created.hire?.id ?? created.id,
        })
      ).body;
      const done = await svc.finished(run.id);
      expect(done.status).toBe("succeeded");
      const withNotes = await (async () => {
        for (let i = 0; i < 100; i++) {
          const current = (await svc!.api("GET", `/api/runs/${run.id}`)).body;
          if (current.notifications?.status === "sent") return current;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        throw new Error("notifications were never recorded");
      })();
      expect(withNotes.notifications.results).toMatchObject([
        { type: "email", to: "boss@example.com", ok: true },
      ]);
      expect(JSON.stringify(withNotes)).not.toContain(SECRET);
      expect(mails.at(-1)!.raw).toContain(`Subject: token ${SECRET}`);
    } finally {
      await svc?.close();
    }
  });
});
