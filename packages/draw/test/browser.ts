/**
 * Opens drawings in Debian's Chromium (never a downloaded browser) through playwright-core, from
 * file:// with every other request aborted and recorded.
 */
import assert from "node:assert/strict";
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

/** Asserts that the node is drawn with this label, visible and inside the drawing area. */
export async function assertNodeVisible(drawing: OpenDrawing, id: string, label: string) {
  const node = drawing.page.locator(`.sw-node[data-id="${id}"]`);
  const text = node.locator(".sw-label");
  assert.equal(await text.textContent(), label, `label of ${id}`);
  assert.ok(await text.isVisible(), `${label} is visible`);
  const box = await node.boundingBox();
  const stage = await drawing.page.locator("#sw-stage").boundingBox();
  assert.ok(box && stage, `${label} has a box`);
  assert.ok(
    box.x >= stage.x &&
      box.y >= stage.y &&
      box.x + box.width <= stage.x + stage.width &&
      box.y + box.height <= stage.y + stage.height,
    `${label} lies inside the drawing area after fitting`,
  );
  assert.ok(box.height >= 20, `${label} is drawn large enough to read (height ${box.height}px)`);
}

/** Asserts that an edge is drawn and runs from below its source to above its target. */
export async function assertEdgeVisible(drawing: OpenDrawing, from: string | null, to: string) {
  const { page } = drawing;
  // The path with the arrow: a double (many) edge draws two more under it.
  const edge = page.locator(`.sw-edge[data-from="${from}"][data-to="${to}"] path[marker-end]`);
  assert.equal(await edge.count(), 1, `one edge ${from} -> ${to}`);
  const path = await edge.boundingBox();
  const source = await page.locator(`.sw-node[data-id="${from}"]`).boundingBox();
  const target = await page.locator(`.sw-node[data-id="${to}"]`).boundingBox();
  assert.ok(path && source && target, `${from} -> ${to} has boxes`);
  assert.ok(path.height > 4, `${from} -> ${to} is drawn (height ${path.height}px)`);
  assert.ok(path.y >= source.y + source.height / 2 - 1, `${from} -> ${to} leaves its source`);
  assert.ok(path.y + path.height <= target.y + target.height / 2 + 1, "and reaches its target");
}
