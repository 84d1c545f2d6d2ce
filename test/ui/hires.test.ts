// The hire page in a real browser (Debian's chromium driven by playwright-core) against the
// service started in this process: edit a hire's props, correct, add and delete stored fields,
// and delete the hire after answering the confirmation — as an admin would. Screenshots at a
// laptop's and a phone's width go to HIREWIRE_UI_SCREENSHOTS when it is set.
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

/** Set to a folder to keep screenshots of each page the test visits. */
const SCREENSHOTS = process.env.HIREWIRE_UI_SCREENSHOTS;

let svc: InProcessService;
let browser: TestBrowser;
let page: Page;
let hireId: string;

/** Waits for the page to catch up; the machine may be busy, so generously. */
function poll<T>(read: () => Promise<T> | T, options: { timeout?: number } = {}) {
  return expect.poll(read, { timeout: 10_000, interval: 50, ...options });
}

/** Full-page screenshots at 1366 px and 400 px wide. */
async function screenshots(name: string): Promise<void> {
  if (SCREENSHOTS === undefined) return;
  await mkdir(SCREENSHOTS, { recursive: true });
  for (const width of [1366, 400]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: join(SCREENSHOTS, `${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1366, height: 900 });
}

/** Answers the next confirmation with `accept`, returning the question asked. */
function answerNextDialog(accept: boolean): Promise<string> {
  return new Promise((resolve) => {
    page.once("dialog", (dialog) => {
      resolve(dialog.message());
      void (accept ? dialog.accept() : dialog.dismiss());
    });
  });
}

describe.runIf(HAVE_CHROMIUM)("the hire page in Chromium", () => {
  beforeAll(async () => {
    svc = await startInProcessService({ HIREWIRE_SANDBOX: "off" });
    browser = await openBrowser({ width: 1366, timeoutMs: 10_000 });
    page = browser.page;
    const created = await svc.api("POST", "/api/hires", {
      email: "grace@example.com",
      first_name: "Grace",
      last_name: "Hopper",
      start: "2025-04-01",
      department: "Navy",
    });
    hireId = created.body.hire.id;
    await svc.api("PUT", `/api/hires/${hireId}/stored/SLACK_USER_ID`, { value: "U0001" });
    await svc.api("PUT", `/api/hires/${hireId}/stored/API_KEY`, {
      value: "sk_live_very_secret",
      secret: true,
    });
    await page.goto(svc.service.url);
    await page.getByLabel("API token").fill(ADMIN_TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("link", { name: "Hires" }).waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await svc?.close();
  });

  it("edits the props, saying what is wrong with a bad value", async () => {
    await page.goto(`${svc.service.url}/#/hires/${hireId}`);
    await page.getByRole("heading", { name: "Grace Hopper" }).waitFor();
    await screenshots("hire");
    await page.getByRole("button", { name: "Edit props" }).click();
    const form = page.getByTestId("edit-props");
    await form.getByLabel("Start date").fill("2025-05-02");
    await form.getByLabel("Other props (JSON object)").fill('{"department": 5, "title": []}');
    await form.getByLabel("Last name").fill("Murray Hopper");
    await form.getByRole("button", { name: "Save props" }).click();
    await poll(() => form.getByRole("alert").textContent()).toContain(
      "department must be a string",
    );
    await form.getByLabel("Other props (JSON object)").fill('{"department": "Research"}');
    await screenshots("hire-edit-props");
    await form.getByRole("button", { name: "Save props" }).click();
    await page.getByRole("heading", { name: "Grace Murray Hopper" }).waitFor();
    const props = (await svc.api("GET", `/api/hires/${hireId}`)).body.props;
    expect(props).toEqual({
      email: "grace@example.com",
      first_name: "Grace",
      last_name: "Murray Hopper",
      start: "2025-05-02",
      department: "Research",
    });
  });

  it("corrects a stored field, adds one and deletes one after a confirmation", async () => {
    const stored = page.getByTestId("stored");
    await stored
      .locator('tr[data-field="SLACK_USER_ID"]')
      .getByRole("button", { name: "Edit" })
      .click();
    const form = page.getByTestId("set-field");
    expect(await form.getByLabel("Name").inputValue()).toBe("SLACK_USER_ID");
    expect(await form.getByLabel("Value").inputValue()).toBe("U0001");
    // A secret's value never reaches the browser, not even to edit it.
    await stored.locator('tr[data-field="API_KEY"]').getByRole("button", { name: "Edit" }).click();
    expect(await form.getByLabel("Value").inputValue()).toBe("");
    expect(await page.content()).not.toContain("sk_live_very_secret");

    await form.getByLabel("Name").fill("SLACK_USER_ID");
    await form.getByLabel("Value").fill("U0002");
    await form.getByRole("checkbox", { name: /Secret/ }).uncheck();
    await form.getByRole("button", { name: "Save field" }).click();
    await poll(() => stored.locator('tr[data-field="SLACK_USER_ID"] code').textContent()).toBe(
      "U0002",
    );
    await form.getByLabel("Name").fill("SEAT");
    await form.getByLabel("Value").fill("42");
    await form.getByRole("button", { name: "Save field" }).click();
    await poll(() => stored.locator('tr[data-field="SEAT"] code').textContent()).toBe("42");
    await form.getByLabel("Name").fill("bad name");
    await form.getByLabel("Value").fill("x");
    await form.getByRole("button", { name: "Save field" }).click();
    await poll(() => form.getByRole("alert").textContent()).toContain(
      "path.name must start with a letter or _ and hold only letters, digits, _ and -",
    );
    await screenshots("hire-stored");

    const asked = answerNextDialog(true);
    await stored.locator('tr[data-field="SEAT"]').getByRole("button", { name: "Delete" }).click();
    expect(await asked).toContain("Delete the stored field “SEAT”?");
    await poll(() => stored.locator('tr[data-field="SEAT"]').count()).toBe(0);
    const fields = (await svc.api("GET", `/api/hires/${hireId}/stored`)).body.stored;
    expect(Object.keys(fields).sort()).toEqual(["API_KEY", "SLACK_USER_ID"]);
    expect(fields.SLACK_USER_ID.value).toBe("U0002");
  });

  it("deletes the hire only once the confirmation is accepted", async () => {
    const declined = answerNextDialog(false);
    await page.getByRole("button", { name: "Delete hire" }).click();
    expect(await declined).toContain(
      "Delete Grace Murray Hopper (grace@example.com) and erase their data?",
    );
    expect((await svc.api("GET", `/api/hires/${hireId}`)).status).toBe(200);

    const accepted = answerNextDialog(true);
    await page.getByRole("button", { name: "Delete hire" }).click();
    expect(await accepted).toContain("This cannot be undone.");
    await page.getByRole("heading", { name: "Hires" }).waitFor();
    expect(page.url()).toMatch(/#\/hires$/);
    expect((await svc.api("GET", `/api/hires/${hireId}`)).status).toBe(404);
    expect(await page.getByTestId("hires").count()).toBe(0);
    await screenshots("hires-after-delete");
    expect(browser.errors).toEqual([]);
  });
});
