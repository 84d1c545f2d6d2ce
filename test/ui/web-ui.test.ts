// The web UI in a real browser (Debian's chromium driven by playwright-core) against the service
// started in this process with its sandbox: sign in, read secrets, edit a manifest, add a hire,
// trigger runs and resume a failed one — as an admin would.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HAVE_CHROMIUM, openBrowser, type TestBrowser } from "../support/browser.ts";
import {
  ADMIN_TOKEN,
  startInProcessService,
  type InProcessService,
} from "../support/in-process-service.ts";

/** Set to a folder to keep screenshots of each page the test visits. */
const SCREENSHOTS = process.env.HIREWIRE_UI_SCREENSHOTS;

let svc: InProcessService;
let browser: TestBrowser;
let page: Page;
let shot = 0;

/** The sandbox's token, as the seeded integrations hold it (settings keep only its hash). */
async function sandboxToken(): Promise<string> {
  const integrations = await svc.service.store.listIntegrations();
  const seeded = integrations.find((i) => i.name === "Sandbox: create account")!;
  return (await svc.service.store.getSecrets(seeded.id)).SANDBOX_TOKEN!;
}
/** Waits for the page to catch up; the machine may be busy, so generously. */
function poll<T>(read: () => Promise<T> | T, options: { timeout?: number } = {}) {
  return expect.poll(read, { timeout: 10_000, interval: 50, ...options });
}

async function screenshot(name: string): Promise<void> {
  if (SCREENSHOTS !== undefined)
    await page.screenshot({ path: join(SCREENSHOTS, `${++shot}-${name}.png`), fullPage: true });
}

describe.runIf(HAVE_CHROMIUM)("the web UI in Chromium", () => {
  beforeAll(async () => {
    svc = await startInProcessService();
    browser = await openBrowser({ width: 1280, timeoutMs: 10_000 });
    page = browser.page;
  });

  afterAll(async () => {
    await browser?.close();
    await svc?.close();
  });

  describe("serving", () => {
    it("serves the page and its scripts with a CSP, nosniff and the right types; nothing else", async () => {
      const index = await fetch(`${svc.service.url}/`);
      expect(index.status).toBe(200);
      expect(index.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(index.headers.get("content-security-policy")).toContain("script-src 'self'");
      expect(index.headers.get("content-security-policy")).toContain("default-src 'none'");
      expect(index.headers.get("x-content-type-options")).toBe("nosniff");
      const html = await index.text();
      expect(html).toContain('<script type="module" src="/ui/app.js"></script>');
      expect(html).not.toMatch(/<script>(?!<\/script>)/);
      const script = await fetch(`${svc.service.url}/ui/app.js`);
      expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
      expect(script.headers.get("x-content-type-options")).toBe("nosniff");
      for (const path of ["/ui/nothing.js", "/ui/..%2Fui-routes.ts", "/ui/ui-routes.ts"])
        expect((await fetch(`${svc.service.url}${path}`)).status).toBe(404);
    });
  });

  describe("the admin's way through the UI", () => {
    it("signs in with the token, refusing a wrong one", async () => {
      await page.goto(svc.service.url);
      await page.getByLabel("API token").fill("hw_wrong");
      await page.getByRole("button", { name: "Sign in" }).click();
      await poll(() => page.getByRole("alert").textContent()).toContain("refused");
      await page.getByLabel("API token").fill(ADMIN_TOKEN);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("link", { name: "Sandbox: create account" }).waitFor();
      expect(await page.evaluate("sessionStorage.getItem('hirewire.token')")).toBe(ADMIN_TOKEN);
      await screenshot("integrations");
    });

    it("shows an integration's secrets as set, never their values", async () => {
      await page.getByRole("link", { name: "Sandbox: create account" }).click();
      const secrets = page.getByTestId("secrets");
      await poll(() =>
        secrets.locator('tr[data-secret="SANDBOX_TOKEN"] .secret-state').textContent(),
      ).toBe("set");
      expect(await secrets.locator('tr[data-secret="BASE_URL"] .secret-state').textContent()).toBe(
        "set",
      );
      const token = await sandboxToken();
      expect(await page.content()).not.toContain(token);
      await screenshot("integration");
    });

    it("validates the manifest as it is typed, naming each problem's path", async () => {
      // The code editor replaces the plain text field once its bundle has loaded: typing before
      // that could go to the field being replaced.
      await page.locator(".code-host[data-ready]").waitFor();
      const editor = page.getByTestId("manifest-editor");
      const status = page.getByTestId("validation-status");
      await poll(() => status.textContent()).toBe("Valid manifest");
      await editor.fill('{"execute": [{"url": "https://api.example.com/users",');
      await poll(() => status.textContent()).toBe("Not valid JSON");
      await editor.fill(
        JSON.stringify(
          {
            execute: [
              { url: "https://api.example.com/users", polling: { interval: 1, amount: 500 } },
              { url: "https://api.example.com/teams", store: { TEAM_ID: "id" } },
            ],
          },
          null,
          2,
        ),
      );
      await poll(() => status.textContent()).toMatch(/^\d+ problems$/);
      const problems = page.getByTestId("problems");
      // The path is located in the text: "amount" sits on line 7 of the pretty-printed JSON.
      expect(
        await problems.locator("li", { hasText: "execute[0].polling.amount" }).textContent(),
      ).toContain("line 7");
      expect(await problems.textContent()).toContain("must be an integer from 1 to 100");
      expect(await problems.textContent()).toContain("execute[1].store");
      await screenshot("editor-problems");
      await page.getByRole("button", { name: "Save" }).click();
      await poll(() => page.getByTestId("save-result").textContent()).toContain("VALIDATION");
    });

    it("adds a hire", async () => {
      // The refused manifest is still unsaved: leaving asks first (see manifest-editor.test.ts).
      const asked: string[] = [];
      page.once("dialog", (dialog) => {
        asked.push(dialog.message());
        void dialog.accept();
      });
      await page.getByRole("link", { name: "Hires" }).click();
      await poll(() => asked).toEqual([expect.stringContaining("unsaved changes")]);
      const form = page.getByTestId("new-hire");
      await form.getByLabel("Email").fill("ada@example.com");
      await form.getByLabel("First name").fill("Ada");
      await form.getByLabel("Last name").fill("Lovelace");
      // A typo in the JSON box is named in words, not as a parser's position.
      await form.getByLabel("Other props").fill("{employee_no: 42}");
      await form.getByRole("button", { name: "Create hire" }).click();
      await poll(() => form.textContent()).toContain("Other props must be a JSON object");
      expect(await form.textContent()).not.toContain("position");
      await form.getByLabel("Other props").fill('{"employee_no": 42}');
      await form.getByRole("button", { name: "Create hire" }).click();
      await page.getByRole("heading", { name: "Ada Lovelace" }).waitFor();
      expect(await page.getByTestId("props").textContent()).toContain("employee_no");
    });

    it("triggers “Sandbox: create account” and shows the run's masked attempts and stored field", async () => {
      await page.getByRole("link", { name: "Trigger a run" }).click();
      const form = page.getByTestId("trigger");
      await form.getByLabel("Integration").selectOption({ label: "Sandbox: create account" });
      await poll(() => form.getByTestId("form-fields").textContent()).toContain("asks nothing");
      await form.getByRole("button", { name: "Trigger run" }).click();
      await poll(() => page.locator(".view-head [data-status]").textContent()).toBe("succeeded");
      const attempt = page.getByTestId("attempt");
      await poll(() => attempt.count()).toBe(1);
      const text = await attempt.textContent();
      expect(text).toContain("POST");
      expect(text).toContain("/sandbox/api/users");
      expect(text).toContain("Bearer ***SANDBOX_TOKEN***");
      expect(text).toContain("201");
      expect(await page.getByTestId("run-stored").textContent()).toContain("SANDBOX_USER_ID");
      const token = await sandboxToken();
      expect(await page.content()).not.toContain(token);
      await screenshot("run-succeeded");

      await page.locator(".facts a[href^='#/hires/']").click();
      expect(await page.getByTestId("stored").textContent()).toContain("SANDBOX_USER_ID");
      await screenshot("hire");
    });

    it("shows a failed run, and resumes it once the cause (a secret) is fixed", async () => {
      const token = await sandboxToken();
      await page.getByRole("link", { name: "Integrations" }).click();
      await page.getByRole("link", { name: "Sandbox: create account" }).click();
      const setSecret = async (value: string) => {
        const row = page.locator('tr[data-secret="SANDBOX_TOKEN"]');
        await row.getByLabel("New value for SANDBOX_TOKEN").fill(value);
        await row.getByRole("button", { name: "Set" }).click();
        await poll(() => page.getByTestId("secrets").textContent()).toContain(
          "Saved SANDBOX_TOKEN",
        );
        expect(await row.getByLabel("New value for SANDBOX_TOKEN").inputValue()).toBe("");
      };
      await setSecret("sbx_not_the_right_token");

      await page.getByRole("link", { name: "Trigger a run" }).click();
      const form = page.getByTestId("trigger");
      await form.getByLabel("Hire").selectOption({ index: 1 });
      await poll(() => form.getByTestId("form-fields").textContent()).toContain("asks nothing");
      await form.getByRole("button", { name: "Trigger run" }).click();
      await poll(() => page.locator(".view-head [data-status]").textContent()).toBe("failed");
      expect(await page.getByTestId("run-error").textContent()).toContain("401");
      expect(await page.getByTestId("attempt").textContent()).toContain(
        "Bearer ***SANDBOX_TOKEN***",
      );
      await screenshot("run-failed");
      const runUrl = page.url();

      await page.locator(".facts a[href^='#/integrations/']").click();
      await setSecret(token);
      await page.goto(runUrl);
      await page.getByRole("button", { name: "Resume" }).click();
      await poll(() => page.locator(".view-head [data-status]").textContent(), {
        timeout: 15_000,
      }).toBe("succeeded");
      await poll(() => page.getByTestId("attempt").count()).toBe(2);
      expect(await page.content()).not.toContain("sbx_not_the_right_token");
      await screenshot("run-resumed");
    });

    it("lists runs and downloads a run's file", async () => {
      await page.getByRole("link", { name: "Runs" }).click();
      await page.getByRole("link", { name: "Trigger a run" }).click();
      const form = page.getByTestId("trigger");
      await form.getByLabel("Integration").selectOption({ label: "Sandbox: contract" });
      await form.getByLabel("Hire").selectOption({ index: 1 });
      await poll(() => form.getByTestId("form-fields").textContent()).toContain("asks nothing");
      await screenshot("trigger");
      await form.getByRole("button", { name: "Trigger run" }).click();
      await poll(() => page.locator(".view-head [data-status]").textContent(), {
        timeout: 20_000,
      }).toBe("succeeded");
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.getByTestId("files").getByRole("button", { name: "contract.pdf" }).click(),
      ]);
      expect(download.suggestedFilename()).toBe("contract.pdf");
      expect(await readFile((await download.path()) as string, "utf8")).toContain("%PDF-1.4");

      await page.getByRole("link", { name: "Runs" }).click();
      const runs = page.getByTestId("runs");
      await poll(() => runs.locator("tbody tr").count()).toBe(3);
      expect(await runs.textContent()).toContain("Sandbox: contract");
      expect(await runs.textContent()).toContain("ada@example.com");
      await screenshot("runs");
    });

    it("creates an integration, sets its missing secret and triggers it with a form answer", async () => {
      await page.getByRole("link", { name: "Integrations" }).click();
      await page.getByRole("link", { name: "New integration" }).click();
      await page.getByLabel("Name").fill("Sandbox: teams");
      const manifest = {
        initial_data_form: [{ id: "SANDBOX_TOKEN", name: "Sandbox API token" }],
        form: [
          {
            id: "TEAM_ID",
            name: "Team",
            type: "choice",
            items: [
              { id: "t_eng", name: "Engineering" },
              { id: "t_sales", name: "Sales" },
            ],
          },
        ],
        execute: [
          {
            name: "Find users",
            method: "GET",
            url: `${svc.service.url}/sandbox/api/users?team={{ TEAM_ID }}`,
            headers: { Authorization: "Bearer {{ SANDBOX_TOKEN }}" },
          },
        ],
      };
      await page.locator(".code-host[data-ready]").waitFor();
      await page.getByTestId("manifest-editor").fill(JSON.stringify(manifest, null, 2));
      await poll(() => page.getByTestId("validation-status").textContent()).toBe("Valid manifest");
      await page.getByRole("button", { name: "Create integration" }).click();
      await page.getByRole("heading", { name: "Sandbox: teams" }).waitFor();
      const state = page.locator('tr[data-secret="SANDBOX_TOKEN"] .secret-state');
      expect(await state.textContent()).toBe("missing");
      const row = page.locator('tr[data-secret="SANDBOX_TOKEN"]');
      await row.getByLabel("New value for SANDBOX_TOKEN").fill(await sandboxToken());
      await row.getByRole("button", { name: "Set" }).click();
      await poll(() => state.textContent()).toBe("set");

      await page.getByRole("link", { name: "Trigger a run" }).click();
      const form = page.getByTestId("trigger");
      await form.getByLabel("Hire").selectOption({ index: 1 });
      await form.getByLabel("Team").selectOption({ label: "Sales" });
      await form.getByRole("button", { name: "Trigger run" }).click();
      await poll(() => page.locator(".view-head [data-status]").textContent()).toBe("succeeded");
      expect(await page.getByTestId("attempt").textContent()).toContain("users?team=t_sales");
      expect(browser.errors).toEqual([]);
    });
  });
});
