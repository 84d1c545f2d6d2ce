// Failures that stop an item before anything is sent: a channel that is not configured, a
// template that cannot render, an empty recipient, a run already cancelled. None of them throw,
// and each leaves the other items alone.
import { describe, expect, it } from "vitest";
import type { Notification } from "../manifest/types.ts";
import { createScope } from "../template/index.ts";
import { sendNotifications } from "./send-notifications.ts";

const scope = createScope([{ first_name: "Ada", email: "ada@corp.test", phone: "" }]);

const email: Notification = {
  type: "email",
  to: "{{ email }}",
  subject: "Hi",
  message: "Hello {{ first_name }}",
};
const text: Notification = { type: "text", to: "+15551234567", message: "Hello {{ first_name }}" };

describe("sendNotifications", () => {
  it("returns no results for no items", async () => {
    expect(await sendNotifications([], scope, {})).toEqual([]);
  });

  it("says which settings a channel that is not configured needs", async () => {
    const results = await sendNotifications([email, text], scope, {});

    expect(results).toEqual([
      {
        index: 0,
        type: "email",
        to: "ada@corp.test",
        ok: false,
        error: {
          code: "INPUT_MISSING",
          message:
            "email notifications are not configured: set HIREWIRE_SMTP_HOST and HIREWIRE_SMTP_FROM",
          path: "post_execute_notification[0]",
        },
      },
      {
        index: 1,
        type: "text",
        to: "+15551234567",
        ok: false,
        error: {
          code: "INPUT_MISSING",
          message:
            "text notifications are not configured: set HIREWIRE_TWILIO_ACCOUNT_SID, HIREWIRE_TWILIO_AUTH_TOKEN and HIREWIRE_TWILIO_FROM",
          path: "post_execute_notification[1]",
        },
      },
    ]);
  });

  it("reports an unknown variable with the field's path and keeps the raw recipient", async () => {
    const items: Notification[] = [
      { type: "email", to: "{{ email }}", subject: "About {{ missing_field }}", message: "hi" },
      { type: "text", to: "{{ mobile }}", message: "hi" },
    ];
    const results = await sendNotifications(items, scope, {});

    expect(results[0]).toMatchObject({
      ok: false,
      to: "ada@corp.test",
      error: {
        code: "TEMPLATE_UNDEFINED_VARIABLE",
        message: 'unknown variable "missing_field"',
        path: "post_execute_notification[0].subject",
      },
    });
    expect(results[1]).toMatchObject({
      ok: false,
      to: "{{ mobile }}",
      error: { code: "TEMPLATE_UNDEFINED_VARIABLE", path: "post_execute_notification[1].to" },
    });
  });

  it("reports a template syntax error in the message", async () => {
    const item: Notification = { type: "text", to: "+15551234567", message: "Hello {{ first_name" };
    const [result] = await sendNotifications([item], scope, {});

    expect(result?.ok).toBe(false);
    expect(result?.error).toMatchObject({
      code: "TEMPLATE_SYNTAX",
      path: "post_execute_notification[0].message",
    });
  });

  it("refuses a recipient that renders empty", async () => {
    const item: Notification = { type: "text", to: "{{ phone }}", message: "hi" };
    const [result] = await sendNotifications([item], scope, {});

    expect(result).toMatchObject({
      ok: false,
      to: "",
      error: { code: "INPUT_INVALID", path: "post_execute_notification[0].to" },
    });
  });

  it("sends nothing once the run is cancelled", async () => {
    const controller = new AbortController();
    controller.abort();
    const results = await sendNotifications(
      [email, text],
      scope,
      {},
      { signal: controller.signal },
    );

    expect(results.map((r) => [r.ok, r.error?.code])).toEqual([
      [false, "CANCELLED"],
      [false, "CANCELLED"],
    ]);
  });
});
