// The manifest editor in a real browser (Debian's chromium driven by playwright-core) against the
// service started in this process: completion and hover help from the JSON Schema, the
// validator's problems squiggled in place, and the question before unsaved changes are lost.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Dialog, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HAVE_CHROMIUM, openBrowser, type TestBrowser } from "../support/browser.ts";
import {
  ADMIN_TOKEN,
  startInProcessService,
  type InProcessService,
} from "../support/in-process-service.ts";
import { EDITOR_BUNDLE_MISSING } from "../../src/service/ui/ui-routes.ts";

/** Set to a folder to keep screenshots of the editor at 1366 and 400 px. */
const SCREENSHOTS = process.env.HIREWIRE_UI_SCREENSHOTS;
const LEAVE_QUESTION = "You have unsaved changes. Leave this page and lose them?";

let svc: InProcessService;
let browser: TestBrowser;
let page: Page;
let integrationId: string;
/** Every dialog the page opened, answered by `answer` (dismissed unless a test says otherwise). */
const dialogs: Array<{ type: string; message: string }> = [];
let answer: "accept" | "dismiss" = "dismiss";

function poll<T>(read: () => Promise<T> | T) {
  return expect.poll(read, { timeout: 10_000, interval: 50 });
}

async function screenshot(name: string): Promise<void> {
  if (SCREENSHOTS === undefined) return;
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: false });
}

/** The editor's text, line by line as CodeMirror shows it. */
async function editorText(): Promise<string> {
  return (await page.locator(".cm-content .cm-line").allTextContents()).join("\n");
}

/** Puts the cursor at the end of the first line containing `text`. */
async function cursorAfter(text: string): Promise<void> {
  await page.locator(".cm-line", { hasText: text }).first().click();
  await page.keyboard.press("End");
}

/** The test integration's manifest with its step named `name`, pretty-printed. */
function manifestNamed(name: string): string {
  return JSON.stringify({ execute: [{ name, url: "https://api.example.com/users" }] }, null, 2);
}

let loads = 0;
/** Loads the integration's page afresh (leaving what the last test typed, without asking). */
async function openIntegration(): Promise<void> {
  answer = "accept";
  await page.goto(`${svc.service.url}/?load=${++loads}#/integrations/${integrationId}`);
  answer = "dismiss";
  await page.locator(".code-host[data-ready]").waitFor();
  await poll(() => page.getByTestId("validation-status").textContent()).toBe("Valid manifest");
}

// Like web-ui.test.ts: said loudly when Chromium is missing, fatal where CI requires it.
describe.runIf(HAVE_CHROMIUM)("the manifest editor in Chromium", () => {
  beforeAll(async () => {
    svc = await startInProcessService();
    const created = await svc.api("POST", "/api/integrations", {
      name: "Editor: users",
      manifest: { execute: [{ name: "Create user", url: "https://api.example.com/users" }] },
    });
    expect(created.status).toBe(201);
    integrationId = created.body.id;
    browser = await openBrowser({ width: 1366, timeoutMs: 10_000 });
    page = browser.page;
    page.on("dialog", (dialog: Dialog) => {
      dialogs.push({ type: dialog.type(), message: dialog.message() });
      void (answer === "accept" ? dialog.accept() : dialog.dismiss());
    });
    await page.goto(svc.service.url);
    await page.getByLabel("API token").fill(ADMIN_TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("link", { name: "Editor: users" }).waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await svc?.close();
  });

  it("serves the editor bundle as one cacheable script, gzipped", async () => {
    const url = `${svc.service.url}/ui/vendor/editor.bundle.js`;
    const bundle = await fetch(url, { headers: { "accept-encoding": "gzip" } });
    expect(bundle.status, "`npm run build` bundles the editor; run it first").toBe(200);
    expect(bundle.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(bundle.headers.get("content-encoding")).toBe("gzip");
    const etag = bundle.headers.get("etag");
    expect(etag).toMatch(/^W\/".+"$/);
    expect((await bundle.text()).length).toBeGreaterThan(100_000);
    const again = await fetch(url, { headers: { "if-none-match": etag! } });
    expect(again.status).toBe(304);
  });

  it("completes a key from the schema, explaining it, as the admin types", async () => {
    await openIntegration();
    await cursorAfter('"https://api.example.com/users"');
    await page.keyboard.type(',\n"pol');
    const list = page.locator(".cm-tooltip-autocomplete");
    await poll(() => list.locator("li").allTextContents()).toContainEqual(
      expect.stringContaining("polling"),
    );
    await poll(() => page.locator(".cm-completionInfo").textContent()).toContain(
      "Repeat the request until continue_if matches.",
    );
    await screenshot("1366-completion");
    // Chosen with the mouse: Enter is taken as a newline when the list has just been updated
    // (CodeMirror's interactionDelay), which a busy machine makes unpredictable.
    await list.locator("li", { hasText: "polling" }).click();
    await poll(editorText).toContain('"polling": ');
    // Values too: the method's enum.
    await page.keyboard.type('{},\n"method": "P');
    await poll(() => list.locator("li").allTextContents()).toEqual(
      expect.arrayContaining([expect.stringContaining('"POST"'), expect.stringContaining('"PUT"')]),
    );
    await page.keyboard.press("Escape");
  });

  it("shows a key's description and type on hover", async () => {
    await openIntegration();
    await page.locator(".cm-line span", { hasText: '"url"' }).first().hover();
    const tooltip = page.locator(".cm-tooltip-hover");
    await poll(() => tooltip.textContent()).toContain("Absolute http(s) URL; templated.");
    expect(await tooltip.textContent()).toContain("string, required");
    await screenshot("1366-hover");
  });

  it("squiggles the validator's problem at its line, with its sentence", async () => {
    await openIntegration();
    const manifest = {
      execute: [{ url: "https://api.example.com/users", polling: { interval: 1, amount: 500 } }],
    };
    await page.locator(".cm-content").fill(JSON.stringify(manifest, null, 2));
    await poll(() => page.getByTestId("validation-status").textContent()).toMatch(/problems?$/);
    const squiggled = page.locator(".cm-line", { has: page.locator(".cm-lintRange-error") });
    await poll(() => squiggled.allTextContents()).toContainEqual(
      expect.stringContaining('"amount": 500'),
    );
    await page.locator(".cm-lintRange-error", { hasText: "500" }).first().hover();
    const tooltip = page.locator(".cm-tooltip-lint");
    await poll(() => tooltip.textContent()).toContain(
      "execute[0].polling.amount must be an integer from 1 to 100",
    );
    await screenshot("1366-diagnostic");
    // Clicking the listed problem selects its place.
    await page.getByTestId("problems").locator("li").first().click();
    await poll(() => page.locator(".cm-selectionBackground").count()).toBeGreaterThan(0);

    await page.locator(".cm-content").fill('{"execute": [');
    await poll(() => page.getByTestId("validation-status").textContent()).toBe("Not valid JSON");
    await poll(() =>
      page.locator(".cm-lintRange-error, .cm-lint-marker-error").count(),
    ).toBeGreaterThan(0);
    await page.setViewportSize({ width: 400, height: 800 });
    await page.locator(".cm-content").fill(JSON.stringify(manifest, null, 2));
    await poll(() => page.getByTestId("validation-status").textContent()).toMatch(/problems?$/);
    await screenshot("400-diagnostic");
    await page.setViewportSize({ width: 1366, height: 900 });
  });

  it("squiggles a variable nothing declares as a warning, the manifest still valid", async () => {
    await openIntegration();
    const manifest = {
      execute: [{ url: "https://api.example.com/users", data: { email: "{{ emial }}" } }],
    };
    await page.locator(".cm-content").fill(JSON.stringify(manifest, null, 2));
    await poll(() => page.locator(".cm-lintRange-warning").count()).toBeGreaterThan(0);
    expect(await page.getByTestId("validation-status").textContent()).toBe("Valid manifest");
    expect(await page.locator(".cm-lintRange-error").count()).toBe(0);
    const warned = page.locator(".cm-line", { has: page.locator(".cm-lintRange-warning") });
    expect(await warned.allTextContents()).toEqual([expect.stringContaining("{{ emial }}")]);
    await page.locator(".cm-lintRange-warning").first().hover();
    const tooltip = page.locator(".cm-tooltip-lint");
    await poll(() => tooltip.textContent()).toContain(
      "execute[0].data.email uses {{ emial }}, which nothing declares",
    );
    expect(await tooltip.textContent()).toContain('did you mean "email"?');
    await poll(() => page.getByTestId("problems").locator("li.warning").count()).toBe(1);
    await screenshot("1366-warning");
  });

  it("asks before in-app navigation loses unsaved changes, and stays when told to", async () => {
    await openIntegration();
    answer = "accept";
    dialogs.length = 0;
    await page.locator(".cm-content").fill(manifestNamed("Create user (v2)"));
    await poll(() => page.locator(".unsaved-mark").isVisible()).toBe(true);
    answer = "dismiss";
    await page.getByRole("link", { name: "Hires" }).click();
    await poll(() => dialogs.length).toBe(1);
    expect(dialogs[0]).toEqual({ type: "confirm", message: LEAVE_QUESTION });
    expect(page.url()).toContain(`#/integrations/${integrationId}`);
    expect(await editorText()).toContain("Create user (v2)");

    answer = "accept";
    await page.getByRole("link", { name: "Hires" }).click();
    await page.getByRole("heading", { name: "Hires" }).waitFor();
    expect(dialogs.length).toBe(2);
  });

  it("does not ask once the changes are saved", async () => {
    await openIntegration();
    dialogs.length = 0;
    await page.locator(".cm-content").fill(manifestNamed("Create user (v3)"));
    await page.getByRole("button", { name: "Save" }).click();
    await poll(() => page.getByTestId("save-result").textContent()).toContain("Saved");
    expect(await page.locator(".unsaved-mark").isVisible()).toBe(false);
    await page.getByRole("link", { name: "Hires" }).click();
    await page.getByRole("heading", { name: "Hires" }).waitFor();
    expect(dialogs).toEqual([]);
    const stored = await svc.api("GET", `/api/integrations/${integrationId}`);
    expect(stored.body.manifest.execute[0].name).toBe("Create user (v3)");
  });

  it("falls back to a plain text area, saying why, when the bundle is missing", async () => {
    const bundle = "**/ui/vendor/editor.bundle.js";
    await page.route(bundle, (route) =>
      route.fulfill({ status: 404, contentType: "text/plain", body: EDITOR_BUNDLE_MISSING }),
    );
    try {
      answer = "accept";
      await page.goto(`${svc.service.url}/?load=${++loads}#/integrations/${integrationId}`);
      answer = "dismiss";
      await poll(() => page.locator(".editor-notice").textContent()).toContain(
        "editing as plain text",
      );
      expect(await page.locator(".code-host[data-ready]").count()).toBe(0);
      const textarea = page.locator("textarea[data-testid=manifest-editor]");
      await textarea.fill('{"execute": [{"url": "https://x", "method": "FETCH"}]}');
      await poll(() => page.getByTestId("problems").textContent()).toContain("execute[0].method");
    } finally {
      await page.unroute(bundle);
    }
  });

  it("asks before closing or reloading the tab with unsaved changes", async () => {
    await openIntegration();
    dialogs.length = 0;
    answer = "dismiss";
    await cursorAfter('"https://api.example.com/users"');
    await page.keyboard.type(" ");
    await page.close({ runBeforeUnload: true });
    await poll(() => dialogs.map((dialog) => dialog.type)).toEqual(["beforeunload"]);
    // Dismissed: the page is still there, with the text typed.
    expect(page.isClosed()).toBe(false);
    expect(await page.locator(".unsaved-mark").isVisible()).toBe(true);
    expect(browser.errors).toEqual([]);
  });
});
