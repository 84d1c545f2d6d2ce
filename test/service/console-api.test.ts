// What the admin's console relies on from the API, against the real service (SQLite, scheduler):
// a sync-users manifest can only be started as a sync, and a run whose notifications could not be
// sent says so plainly instead of "sent".
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInProcessService, type InProcessService } from "../support/in-process-service.ts";
import { startTargetServer, type TargetServer } from "../support/target-server.ts";
import {
  DIRECTORY_TOKEN,
  startDirectoryServer,
  type DirectoryServer,
} from "../sync/directory-server.ts";

let svc: InProcessService;
let target: TargetServer;
let directory: DirectoryServer;

beforeAll(async () => {
  [svc, target, directory] = await Promise.all([
    startInProcessService(),
    startTargetServer(),
    startDirectoryServer(25),
  ]);
});
afterAll(async () => {
  await svc?.close();
  await target?.close();
  await directory?.close();
});

const syncManifest = () => ({
  action: "create",
  initial_data_form: [
    { id: "DIR_TOKEN", name: "Directory token" },
    { id: "DIR_URL", name: "Directory URL", secret: false },
  ],
  headers: { Authorization: "Bearer {{ DIR_TOKEN }}" },
  execute: [{ url: "{{ DIR_URL }}/v1/users?limit=10", method: "GET" }],
  data_from: "data.users",
  data_structure: { email: "mail", first_name: "name.first" },
  next_page_token_from: "meta.next_cursor",
  next_page: "{{ DIR_URL }}/v1/users?limit=10&cursor={{ NEXT_PAGE_TOKEN }}",
  amount_pages_to_fetch: 10,
});

describe("a sync-users manifest", () => {
  it("is refused as an ordinary run (409 pointing to the sync endpoint) and starts as a sync", async () => {
    const integration = (
      await svc.api("POST", "/api/integrations", { name: "Directory", manifest: syncManifest() })
    ).body;
    await svc.api("PUT", `/api/integrations/${integration.id}/secrets`, {
      DIR_TOKEN: DIRECTORY_TOKEN,
      DIR_URL: directory.url,
    });
    const hire = (await svc.api("POST", "/api/hires", { email: "sync-rule@example.com" })).body
      .hire;

    const run = await svc.api("POST", "/api/runs", {
      integration_id: integration.id,
      hire_id: hire.id,
    });
    expect(run.status).toBe(409);
    expect(run.body.code).toBe("CONFLICT");
    expect(run.body.message).toContain(`POST /api/integrations/${integration.id}/sync`);
    expect(run.body.message).toContain("nothing was sent");

    const triggered = await svc.api("POST", "/api/hires", {
      email: "sync-rule-2@example.com",
      trigger: [integration.id],
    });
    expect(triggered.status).toBe(422);
    expect(triggered.body.message).toContain("runs only as a sync");
    expect(directory.requests("/v1/users")).toBe(0);
    const runs = (await svc.api("GET", `/api/runs?integration_id=${integration.id}`)).body;
    expect(runs.items).toEqual([]);

    const sync = await svc.api("POST", `/api/integrations/${integration.id}/sync`);
    expect(sync.status).toBe(202);
    expect(sync.body.block).toBe("sync");
    const done = await svc.finished(sync.body.id);
    expect(done.status).toBe("succeeded");
    expect(directory.requests("/v1/users")).toBe(3);
  });
});

describe("notifications that could not be sent", () => {
  it("are recorded as not sent, with the reason, on a succeeded run", async () => {
    const manifest = {
      execute: [{ url: `${target.url}/users`, data: { email: "{{ email }}" } }],
      post_execute_notification: [
        { type: "email", to: "boss@example.com", message: "{{ email }} has an account" },
      ],
    };
    const integration = (await svc.api("POST", "/api/integrations", { name: "Notify", manifest }))
      .body;
    const hire = (await svc.api("POST", "/api/hires", { email: "notify@example.com" })).body.hire;
    const run = (
      await svc.api("POST", "/api/runs", { integration_id: integration.id, hire_id: hire.id })
    ).body;
    expect((await svc.finished(run.id)).status).toBe("succeeded");
    let shown: any;
    for (let i = 0; i < 200; i++) {
      shown = (await svc.api("GET", `/api/runs/${run.id}`)).body;
      if (shown.notifications !== null && shown.notifications.status !== "sending") break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(shown.notifications).toMatchObject({
      status: "not_sent",
      sent: 0,
      not_sent: 1,
      results: [{ type: "email", ok: false, error: { code: "INPUT_MISSING" } }],
    });
    expect(shown.notifications.summary).toBe(
      "no notification sent; 1 not sent: email notifications are not configured: set HIREWIRE_SMTP_HOST and HIREWIRE_SMTP_FROM",
    );
    const listed = (await svc.api("GET", `/api/runs?integration_id=${integration.id}`)).body;
    expect(listed.items[0].notifications.status).toBe("not_sent");
  });
});
