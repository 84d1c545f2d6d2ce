// The integration page's options in a real browser (Debian's chromium driven by playwright-core)
// against the service started in this process: an admin sets a rate limit, sees it kept, is told
// in a sentence what is wrong with a bad value (nothing saved), and clears it again.
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HAVE_CHROMIUM, openBrowser, type TestBrowser } from "../support/browser.ts";
import {
  ADMIN_TOKEN,
  startInProcessService,
  type InProcessService,
} from "../support/in-process-service.ts";

let svc: InProcessService;
let browser: TestBrowser;
let page: Page;
let integrationId: string;

/** Waits for the page to catch up; the machine may be busy, so generously. */
function poll<T>(read: () => Promise<T> | T, options: { timeout?: number } = {}) {
  return expect.poll(read, { timeout: 10_000, interval: 50, ...options });
}

async function options(): Promise<Record<string, unknown>> {
  const reply = await svc.api("GET", `/api/integrations/${integrationId}`);
  return reply.body.options as Record<string, unknown>;
}

/** Opens the integration's page afresh, once its code editor is in place. */
async function openIntegration(): Promise<void> {
  await page.goto(`${svc.service.url}/#/integrations/${integrationId}`);
  await page.reload();
  await page.locator(".code-host[data-ready]").waitFor();
}

describe.runIf(HAVE_CHROMIUM)("an integration's rate limit in Chromium", () => {
  beforeAll(async () => {
    svc = await startInProcessService({ HIREWIRE_SANDBOX: "off" });
    browser = await openBrowser({ width: 1366, timeoutMs: 10_000 });
    page = browser.page;
    const created = await svc.api("POST", "/api/integrations", {
      name: "Directory",
      manifest: { execute: [{ url: "https://api.example.com/users", method: "POST" }] },
    });
    integrationId = created.body.id;
    await page.goto(svc.service.url);
    await page.getByLabel("API token").fill(ADMIN_TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("link", { name: "Hires" }).waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await svc?.close();
  });

  it("sets a rate limit, keeps it across a reload, and clears it", async () => {
    await openIntegration();
    expect(await page.getByLabel("Requests per second").inputValue()).toBe("");
    await page.getByLabel("Requests per second").fill("2.5");
    await page.getByLabel("Burst").fill("5");
    await page.getByLabel("Max in flight").fill("2");
    await page.getByRole("button", { name: "Save" }).click();
    await poll(() => page.getByTestId("save-result").textContent()).toContain("Saved at");
    expect((await options()).rate_limit).toEqual({
      requests_per_second: 2.5,
      burst: 5,
      max_in_flight: 2,
    });

    await openIntegration();
    expect(await page.getByLabel("Requests per second").inputValue()).toBe("2.5");
    expect(await page.getByLabel("Burst").inputValue()).toBe("5");
    expect(await page.getByLabel("Max in flight").inputValue()).toBe("2");

    // Only the rate: the burst and the cap go.
    await page.getByLabel("Burst").fill("");
    await page.getByLabel("Max in flight").fill("");
    await page.getByRole("button", { name: "Save" }).click();
    await poll(async () => (await options()).rate_limit).toEqual({ requests_per_second: 2.5 });

    // Nothing: no limit at all.
    await page.getByLabel("Requests per second").fill("");
    await page.getByRole("button", { name: "Save" }).click();
    await poll(async () => "rate_limit" in (await options())).toBe(false);
  });

  it("says what is wrong with a bad value and saves nothing", async () => {
    await openIntegration();
    await page.getByLabel("Requests per second").fill("1");
    await page.getByLabel("Max in flight").fill("0");
    await page.getByRole("button", { name: "Save" }).click();
    const result = page.getByTestId("save-result");
    await poll(() => result.textContent()).toMatch(/max_in_flight/);
    expect(await result.textContent()).not.toContain("Saved at");
    expect("rate_limit" in (await options())).toBe(false);
  });
});
