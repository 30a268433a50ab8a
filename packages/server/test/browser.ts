/**
 * Opens pages of a local server in Debian's Chromium (never a downloaded browser) through
 * playwright-core, with every request to anything but that server aborted and recorded.
 */
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";

export const CHROMIUM_PATH = "/usr/bin/chromium";

/** Where screenshots go (git-ignored). */
export const ARTIFACTS_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "test-artifacts");

/** Why the browser test cannot run here, or false. On CI a missing browser fails instead. */
export function browserSkipReason(): string | false {
  if (existsSync(CHROMIUM_PATH) || process.env.CI) return false;
  return `${CHROMIUM_PATH} is missing; install Debian's chromium (apt-get install -y chromium)`;
}

/** Launches headless Chromium with no network-facing background features. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
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
  });
}

/** A page of the server, with what it asked of the server and what it tried elsewhere. */
export interface OpenPage {
  page: Page;
  /** `METHOD /path?query` of every request to the server. */
  requests: string[];
  /** Every request to anything else (all of them aborted). */
  externalRequests: string[];
  /** Console errors and uncaught page errors. */
  errors: string[];
  close(): Promise<void>;
}

/** A 1280×800 browser context; its pages share a cache (the debugger's script loads once). */
export function newContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({ viewport: { width: 1280, height: 800 } });
}

/** Opens `origin + path` in a new page; only requests to `origin` go through. */
export async function openPage(
  context: BrowserContext,
  origin: string,
  path = "/",
): Promise<OpenPage> {
  const page = await context.newPage();
  const requests: string[] = [];
  const externalRequests: string[] = [];
  const errors: string[] = [];
  await page.route("**/*", async (route) => {
    const url = route.request().url();
    if (url.startsWith(`${origin}/`)) {
      requests.push(`${route.request().method()} ${url.slice(origin.length)}`);
      return route.continue();
    }
    externalRequests.push(url);
    return route.abort();
  });
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(`${origin}${path}`, { waitUntil: "load" });
  return { page, requests, externalRequests, errors, close: () => page.close() };
}

/** Saves a screenshot under test-artifacts/ and returns its path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, name);
  await page.screenshot({ path });
  return path;
}
