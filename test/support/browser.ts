// Debian's Chromium for the web UI tests, driven by playwright-core (never a downloaded browser).
// `npm test` passes on a machine without Chromium: the browser tests then say loudly that they did
// not run; CI sets HIREWIRE_REQUIRE_CHROMIUM=1 (.ci/run installs Chromium), so there they always run.
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

/** True when the browser tests can run; false (after one loud line) when they cannot. */
export const HAVE_CHROMIUM: boolean = (() => {
  if (existsSync(CHROMIUM)) return true;
  const why = `the web UI tests need Chromium at ${CHROMIUM}; install it with \`apt-get install -y chromium\``;
  if (process.env.HIREWIRE_REQUIRE_CHROMIUM === "1") throw new Error(why);
  console.warn(`\n*** WEB UI TESTS NOT RUN: ${why} ***\n`);
  return false;
})();

export interface TestBrowser {
  context: BrowserContext;
  page: Page;
  /** Uncaught script errors and CSP refusals seen by the page: a test expects none. */
  errors: string[];
  close(): Promise<void>;
}

/** A headless Chromium with a fresh profile and one page, as the machine's network allows it. */
export async function openBrowser(
  options: { width?: number; timeoutMs?: number } = {},
): Promise<TestBrowser> {
  const profile = await mkdtemp(join(tmpdir(), "hirewire-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    // Without the background-networking flags Chromium keeps calling hosts this machine cannot
    // reach.
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: options.width ?? 1366, height: 900 },
  });
  context.setDefaultTimeout(options.timeoutMs ?? 10_000);
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) errors.push(message.text());
  });
  return {
    context,
    page,
    errors,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
