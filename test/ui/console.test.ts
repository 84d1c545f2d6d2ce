// The admin's console in a real browser (Debian's chromium driven by playwright-core) against the
// service started in this process: a hire's access check and offboarding, a directory sync
// previewed then applied, a polled and resumed run's timeline, run filters, and the sentences that
// replace raw JSON (secrets to set first, notifications not sent, multipart parts).
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HAVE_CHROMIUM, openBrowser, type TestBrowser } from "../support/browser.ts";
import {
  ADMIN_TOKEN,
  startInProcessService,
  type InProcessService,
} from "../support/in-process-service.ts";
import { sendJson, startTargetServer, type TargetServer } from "../support/target-server.ts";
import {
  DIRECTORY_TOKEN,
  startDirectoryServer,
  type DirectoryServer,
} from "../sync/directory-server.ts";

/** Screenshots of the console at a laptop's and a phone's width, to look at. */
const SHOTS = process.env.HIREWIRE_CONSOLE_SHOTS ?? "/tmp/console-shots";

let svc: InProcessService;
let target: TargetServer;
let directory: DirectoryServer;
let browser: TestBrowser;
let page: Page;
const ids: Record<string, string> = {};

function poll<T>(read: () => Promise<T> | T, options: { timeout?: number } = {}) {
  return expect.poll(read, { timeout: 15_000, interval: 50, ...options });
}

/** Full-page screenshots at 1366 px and 400 px wide. */
async function shots(name: string): Promise<void> {
  for (const width of [1366, 400]) {
    await page.setViewportSize({ width, height: 900 });
    await page.waitForTimeout(100);
    await page.screenshot({ path: join(SHOTS, `${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1366, height: 900 });
}

async function go(hash: string): Promise<void> {
  await page.evaluate(`location.hash = ${JSON.stringify(hash)}`);
}

describe.runIf(HAVE_CHROMIUM)("the admin console in Chromium", () => {
  beforeAll(async () => {
    await mkdir(SHOTS, { recursive: true });
    [svc, target, directory] = await Promise.all([
      startInProcessService(),
      startTargetServer(),
      startDirectoryServer(25),
    ]);
    const accounts = new Set(["ada@example.com"]);
    target.route("GET", "/accounts/:email", (req, res) =>
      accounts.has(req.params.email ?? "")
        ? sendJson(res, 200, { email: req.params.email })
        : sendJson(res, 404, { error: "no such user" }),
    );
    target.route("DELETE", "/accounts/:email", (req, res) =>
      accounts.delete(req.params.email ?? "")
        ? sendJson(res, 200, { deleted: true })
        : sendJson(res, 404, { error: "no such user" }),
    );
    const create = async (name: string, manifest: unknown) =>
      (ids[name] = (await svc.api("POST", "/api/integrations", { name, manifest })).body.id);
    await create("Accounts", {
      execute: [{ url: `${target.url}/users`, data: { email: "{{ email }}" } }],
      exists: { url: `${target.url}/accounts/{{ email }}`, status_code: [200] },
      revoke: [{ url: `${target.url}/accounts/{{ email }}`, method: "DELETE" }],
    });
    await create("Directory", {
      action: "create",
      initial_data_form: [
        { id: "DIR_TOKEN", name: "Directory token" },
        { id: "DIR_URL", name: "Directory URL", secret: false },
      ],
      headers: { Authorization: "Bearer {{ DIR_TOKEN }}" },
      execute: [{ url: "{{ DIR_URL }}/v1/users?limit=10", method: "GET" }],
      data_from: "data.users",
      data_structure: { email: "mail", first_name: "name.first", manager: "manager.email" },
      next_page_token_from: "meta.next_cursor",
      next_page: "{{ DIR_URL }}/v1/users?limit=10&cursor={{ NEXT_PAGE_TOKEN }}",
      amount_pages_to_fetch: 10,
      schedule: "0 6 * * 1-5",
    });
    await svc.api("PUT", `/api/integrations/${ids.Directory}/secrets`, {
      DIR_TOKEN: DIRECTORY_TOKEN,
      DIR_URL: directory.url,
    });
    await create("Contract job", {
      execute: [
        {
          name: "Wait for the job",
          url: `${target.url}/poll/console?ready_after=2`,
          method: "GET",
          polling: { interval: 1, amount: 5 },
          continue_if: { response_notation: "status", value: "done" },
        },
        { name: "Confirm", url: `${target.url}/flaky/console?fail=1&status=400`, method: "GET" },
      ],
      post_execute_notification: [{ type: "email", to: "boss@example.com", message: "done" }],
    });
    await create("Needs a base URL", {
      initial_data_form: [
        { id: "BASE_URL", name: "API base URL", secret: false, description: "e.g. https://x.test" },
      ],
      execute: [{ url: "{{ BASE_URL }}/users", data: { email: "{{ email }}" } }],
    });
    ids.ada = (
      await svc.api("POST", "/api/hires", {
        email: "ada@example.com",
        first_name: "Ada",
        last_name: "Lovelace",
      })
    ).body.hire.id;
    ids.bob = (await svc.api("POST", "/api/hires", { email: "bob@example.com" })).body.hire.id;

    browser = await openBrowser({ width: 1366, timeoutMs: 15_000 });
    page = browser.page;
  });

  afterAll(async () => {
    await browser?.close();
    await svc?.close();
    await target?.close();
    await directory?.close();
  });

  it("shows no nav bar or Sign out on the sign-in screen", async () => {
    await page.goto(svc.service.url);
    await page.getByLabel("API token").waitFor();
    expect(await page.locator("#nav").isVisible()).toBe(false);
    expect(await page.getByRole("button", { name: "Sign out" }).isVisible()).toBe(false);
    await shots("sign-in");
    await page.getByLabel("API token").fill(ADMIN_TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("button", { name: "Sign out" }).waitFor();
  });

  it("checks a hire's access in one click and offboards them from the hire page", async () => {
    await go(`#/hires/${ids.ada}`);
    await page.getByRole("button", { name: "Check access" }).click();
    const row = page.getByTestId("access").locator(`tr[data-integration="${ids.Accounts}"]`);
    await poll(() => row.locator("[data-access]").getAttribute("data-access")).toBe("yes");
    expect(await row.textContent()).toContain("Accounts");
    await shots("hire-access");

    const asked: string[] = [];
    page.once("dialog", (dialog) => {
      asked.push(dialog.message());
      void dialog.accept();
    });
    await page.getByRole("button", { name: "Revoke in Accounts" }).click();
    await poll(() => page.locator(".view-head [data-status]").textContent()).toBe("succeeded");
    expect(asked[0]).toContain("ada@example.com");
    expect(await page.locator("dl.facts").textContent()).toContain("revoke");
    expect(target.requestCount("DELETE", "/accounts/ada@example.com")).toBe(1);

    await go(`#/hires/${ids.ada}`);
    await poll(() => page.getByTestId("runs").textContent()).toContain("(revoke)");
    await page.getByRole("button", { name: "Check access" }).click();
    const after = page.getByTestId("access").locator(`tr[data-integration="${ids.Accounts}"]`);
    await poll(() => after.locator("[data-access]").getAttribute("data-access")).toBe("no");
  });

  it("offers only a sync for a sync-users manifest, previews it and applies it", async () => {
    await go(`#/runs/new`);
    const form = page.getByTestId("trigger");
    await form.getByLabel("Integration").selectOption({ label: "Directory" });
    await poll(() => page.getByTestId("sync-notice").textContent()).toContain("runs as a sync");
    expect(await form.getByRole("button", { name: "Trigger run" }).isVisible()).toBe(false);
    await page.getByRole("link", { name: "Preview sync" }).click();
    expect(await page.getByTestId("sync-schedule").textContent()).toContain("0 6 * * 1-5");
    await page.getByRole("button", { name: "Preview sync" }).click();
    await poll(() => page.getByTestId("sync-summary").textContent()).toBe(
      "25 users on 3 pages: 25 to create, 0 already hires, 0 skipped.",
    );
    expect(await page.getByTestId("sync-create").locator("tbody tr").count()).toBe(25);
    expect(await page.getByTestId("sync-incomplete").textContent()).toContain("manager");
    const before = (await svc.api("GET", "/api/hires?limit=100")).body.items.length;
    expect(before).toBe(2);
    await shots("sync-preview");
    await page.getByRole("button", { name: "Apply" }).click();
    await poll(() => page.getByTestId("sync-applied").textContent()).toContain("25 created");
    expect((await svc.api("GET", "/api/hires?limit=100")).body.items.length).toBe(27);
    await go(`#/integrations/${ids.Directory}/sync`);
    await poll(() => page.getByTestId("sync-runs").locator("tbody tr").count()).toBe(1);
  });

  it("marks the polls that did not meet continue_if and the attempt after a resume; says notifications were not sent", async () => {
    const run = (
      await svc.api("POST", "/api/runs", { integration_id: ids["Contract job"], hire_id: ids.bob })
    ).body;
    expect((await svc.finished(run.id)).status).toBe("failed");
    await go(`#/runs/${run.id}`);
    await poll(() => page.getByTestId("run-error").textContent()).toContain(
      "HTTP_STATUS at step 2 (execute[1]): ",
    );
    const notMet = page.getByTestId("not-met");
    await poll(() => notMet.count()).toBe(1);
    expect(await notMet.first().textContent()).toContain("condition not met");
    await page.getByRole("button", { name: "Resume" }).click();
    await poll(() => page.locator(".view-head [data-status]").textContent()).toBe("succeeded");
    const attempts = page.getByTestId("attempt");
    await poll(() => attempts.count()).toBe(4);
    expect(await attempts.nth(3).getByTestId("resumed").textContent()).toBe("after resume");
    expect(await attempts.nth(2).getByTestId("resumed").count()).toBe(0);
    expect(await attempts.nth(3).textContent()).toContain("step 2");
    await poll(() => page.getByTestId("notifications").textContent()).toContain(
      "No notification sent; 1 not sent: email notifications are not configured",
    );
    await shots("run-resumed");
  });

  it("filters runs by integration and hire, with a problem and duration per run", async () => {
    const failed = (
      await svc.api("POST", "/api/runs", {
        integration_id: ids.Accounts,
        hire_id: ids.bob,
        block: "revoke",
      })
    ).body;
    await svc.finished(failed.id);
    await go("#/runs");
    const runs = page.getByTestId("runs");
    await poll(() => runs.locator("tbody tr").count()).toBeGreaterThanOrEqual(4);
    await page
      .getByTestId("run-filters")
      .getByLabel("Integration")
      .selectOption({ label: "Accounts" });
    await poll(() => page.evaluate("location.hash")).toBe(`#/runs?integration_id=${ids.Accounts}`);
    await poll(() => runs.locator("tbody tr").count()).toBe(2);
    await page
      .getByTestId("run-filters")
      .getByLabel("Hire")
      .selectOption({ label: "bob@example.com" });
    await poll(() => runs.locator("tbody tr").count()).toBe(1);
    const row = runs.locator(`tr[data-run="${failed.id}"]`);
    expect(await row.locator('[data-label="Problem"]').textContent()).toContain("404");
    expect(await row.locator('[data-label="Took"]').textContent()).toMatch(/\d+(\.\d)? (ms|s)$/);
    await shots("runs-filtered");
    await page.getByRole("link", { name: "Clear filters" }).click();
    await poll(() => runs.locator("tbody tr").count()).toBeGreaterThanOrEqual(4);
    await shots("runs");

    await go(`#/integrations/${ids.Accounts}`);
    await poll(() => page.getByTestId("runs").textContent()).toContain("bob@example.com");
  });

  it("asks to set the secrets first, shows descriptions and non-secret values in the clear", async () => {
    await go(`#/runs/new?hire=${ids.bob}`);
    await page
      .getByTestId("trigger")
      .getByLabel("Integration")
      .selectOption({ label: "Needs a base URL" });
    const missing = page.getByTestId("secrets-missing");
    await poll(() => missing.textContent()).toContain(
      "Set the secrets first: BASE_URL is not set.",
    );
    await missing.getByRole("link").click();
    const row = page.getByTestId("secrets").locator('tr[data-secret="BASE_URL"]');
    expect(await row.textContent()).toContain("e.g. https://x.test");
    expect(await row.getByLabel("New value for BASE_URL").getAttribute("type")).toBe("text");
  });

  it("shows a multipart upload's parts", async () => {
    const upload = (
      await svc.api("POST", "/api/integrations", {
        name: "Upload",
        manifest: {
          execute: [
            {
              name: "Download",
              url: `${target.url}/bytes?size=3000`,
              method: "GET",
              save_as_file: "contract.pdf",
            },
            {
              name: "Upload",
              url: `${target.url}/upload`,
              data: { note: "signed" },
              files: { document: "contract.pdf" },
            },
          ],
        },
      })
    ).body;
    const run = (
      await svc.api("POST", "/api/runs", { integration_id: upload.id, hire_id: ids.ada })
    ).body;
    expect((await svc.finished(run.id)).status).toBe("succeeded");
    await go(`#/runs/${run.id}`);
    const parts = page.getByTestId("multipart");
    await poll(() => parts.count()).toBe(1);
    const text = await parts.textContent();
    expect(text).toContain("notefieldsigned");
    expect(text).toMatch(/documentfilecontract\.pdf · 2\.9 KiB · \S+/);
    await shots("run-multipart");
    expect(browser.errors).toEqual([]);
  }, 90_000);
});
