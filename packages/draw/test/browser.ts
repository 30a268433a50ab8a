/**
 * Opens drawings in Debian's Chromium (never a downloaded browser) through playwright-core, from
 * file:// with every other request aborted and recorded.
 */
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";

export const CHROMIUM_PATH = "/usr/bin/chromium";

/** Where screenshots go (git-ignored). */
export const ARTIFACTS_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "test-artifacts");

const INSTALL_HINT =
  "install Debian's chromium: bash packages/draw/scripts/ensure-chromium.sh (apt-get install -y chromium)";

/**
 * Why the browser tests cannot run here, or `false` when they can. On CI a missing browser is not
 * a reason to skip: {@link launchChromium} then fails with the install hint.
 */
export function browserSkipReason(): string | false {
  if (existsSync(CHROMIUM_PATH) || process.env.CI) return false;
  return `${CHROMIUM_PATH} is missing; ${INSTALL_HINT}`;
}

/** Launches headless Chromium with no network-facing background features. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`${CHROMIUM_PATH} is missing; ${INSTALL_HINT}`);
  }
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

/** A drawing open in a page, with what it tried to load and what it logged as errors. */
export interface OpenDrawing {
  page: Page;
  /** Every request to something other than a file:// or data: URL (all of them aborted). */
  externalRequests: string[];
  /** Console errors and uncaught page errors. */
  errors: string[];
  close(): Promise<void>;
}

/** Opens an HTML file from file:// in a new 1280×800 page with the network blocked. */
export async function openDrawing(browser: Browser, htmlPath: string): Promise<OpenDrawing> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const externalRequests: string[] = [];
  const errors: string[] = [];
  await context.route("**/*", async (route) => {
    const url = route.request().url();
    if (url.startsWith("file:") || url.startsWith("data:")) return route.continue();
    externalRequests.push(url);
    return route.abort();
  });
  const page = await context.newPage();
  page.on("request", (request) => {
    const url = request.url();
    if (!url.startsWith("file:") && !url.startsWith("data:") && !externalRequests.includes(url)) {
      externalRequests.push(url);
    }
  });
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(pathToFileURL(htmlPath).href, { waitUntil: "load" });
  return { page, externalRequests, errors, close: () => context.close() };
}

/** Saves a screenshot of the page under test-artifacts/ and returns its path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, name);
  await page.screenshot({ path });
  return path;
}

/** The viewport transform of the drawing: `[translateX, translateY, scale]`. */
export async function viewportTransform(page: Page): Promise<[number, number, number]> {
  const transform = (await page.getAttribute("#sw-viewport", "transform")) ?? "";
  const numbers = transform.match(/-?\d+(\.\d+)?(e-?\d+)?/g)?.map(Number) ?? [];
  const [x = 0, y = 0, k = 1] = numbers;
  return [x, y, k];
}
