import { expect, it } from "vitest";
import { notificationsView } from "./notifications-view.ts";

it("says plainly what was and was not sent, in the API's snake_case", () => {
  const view = notificationsView({
    results: [
      { index: 0, type: "email", to: "boss@example.com", ok: true, messageId: "<m1@example.com>" },
      {
        index: 1,
        type: "text",
        to: "+15550100",
        ok: false,
        error: { code: "INPUT_MISSING", message: "text notifications are not configured" },
      },
    ],
  });
  expect(view).toEqual({
    status: "partly_sent",
    sent: 1,
    not_sent: 1,
    summary: "1 of 2 notifications sent; 1 not sent: text notifications are not configured",
    results: [
      { index: 0, type: "email", to: "boss@example.com", ok: true, message_id: "<m1@example.com>" },
      {
        index: 1,
        type: "text",
        to: "+15550100",
        ok: false,
        error: { code: "INPUT_MISSING", message: "text notifications are not configured" },
      },
    ],
  });
  expect(notificationsView({ status: "sending" })?.status).toBe("sending");
  expect(notificationsView(undefined)).toBeNull();
});
