/**
 * The LlamaIndex workflow debugger served by a stepwise server: its page and assets from this
 * server only, and a browser session in Debian's Chromium that starts runs from the forms the
 * debugger builds, answers a human-in-the-loop question and sees the result.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type RunningServer, serve } from "@stepwise/server";
import type { Browser, BrowserContext } from "playwright-core";
import {
  browserSkipReason,
  launchChromium,
  newContext,
  openPage,
  saveScreenshot,
} from "./browser.js";
import { debuggerAssets } from "./debugger-assets.js";
import { call, fixtureApp, until } from "./helpers.js";

describe("GET / without the debugger installed", () => {
  it("says how to install it, and the API still answers", async () => {
    const app = fixtureApp({ debugger: true });
    const page = await call(app, "GET", "/");
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type") ?? "", /text\/html/);
    assert.match(page.text, /npm install @llamaindex\/workflow-debugger@0\.2\.42/);
    assert.equal((await call(app, "GET", "/debugger/app.js")).status, 404);
  });

  it("serves nothing at / with `debugger: false`", async () => {
    assert.equal((await call(fixtureApp({ debugger: false }), "GET", "/")).status, 404);
  });
});

describe("the debugger from its npm package", () => {
  let assetsDir = "";
  let skip: string | false = false;

  before(() => {
    try {
      assetsDir = debuggerAssets();
    } catch (error) {
      if (process.env.CI) throw error;
      skip = `could not get @llamaindex/workflow-debugger from npm: ${(error as Error).message}`;
    }
  });

  it("serves its page, script and stylesheet, the stylesheet without outside imports", async (t) => {
    if (skip) return t.skip(skip);
    const app = fixtureApp({ debugger: { assetsDir } });
    const page = await call(app, "GET", "/");
    assert.match(page.text, /<script type="module" crossorigin src="debugger\/app\.js">/);
    const script = await app.request("/debugger/app.js");
    assert.equal(script.headers.get("content-type"), "text/javascript; charset=utf-8");
    assert.ok((await script.text()).length > 1_000_000);
    const css = await (await app.request("/debugger/app.css")).text();
    assert.doesNotMatch(css, /@import\s*["']?(url\()?["']?https?:/);
    assert.match(css, /tailwindcss/);
  });

  describe("in Chromium", () => {
    let browser: Browser | undefined;
    let context: BrowserContext | undefined;
    let running: RunningServer | undefined;

    before(async () => {
      if (skip || browserSkipReason()) return;
      running = await serve(fixtureApp({ debugger: { assetsDir } }), { port: 0 });
      browser = await launchChromium();
      context = await newContext(browser);
    });

    after(async () => {
      await browser?.close();
      await running?.close();
    });

    it("lists the workflows and starts a run from the form it builds from the start schema", async (t) => {
      const reason = skip || browserSkipReason();
      if (reason) return t.skip(reason);
      const server = running as RunningServer;
      const opened = await openPage(context as BrowserContext, server.url);
      const { page } = opened;
      page.setDefaultTimeout(10_000);
      try {
        await page.getByText("Select workflow...").click();
        assert.deepEqual(await page.getByRole("option").allInnerTexts(), [
          "greet",
          "hitl",
          "stream",
          "fail",
          "slow",
          "typed",
        ]);
        await saveScreenshot(page, "debugger-workflows.png");
        await page.getByRole("option", { name: "greet" }).click();
        // One `name` field, from GreetStart's JSON Schema.
        await page.locator("#field-name").fill("Ada");
        await page.getByRole("button", { name: "Run Workflow" }).click();
        await page.getByText("completed").first().waitFor();
        const listed = await fetch(`${server.url}/handlers?workflow_name=greet`);
        const { handlers } = (await listed.json()) as { handlers: any[] };
        assert.equal(handlers.at(-1).result.value.result, "Hello, Ada!");
        assert.deepEqual(opened.externalRequests, []);
        assert.deepEqual(opened.errors, []);
      } finally {
        await opened.close();
      }
    });

    it("streams a human-in-the-loop run, sends the answer from its dialog, shows the result", async (t) => {
      const reason = skip || browserSkipReason();
      if (reason) return t.skip(reason);
      const server = running as RunningServer;
      const opened = await openPage(context as BrowserContext, server.url);
      const { page } = opened;
      page.setDefaultTimeout(10_000);
      try {
        await page.getByText("Select workflow...").click();
        await page.getByRole("option", { name: "hitl" }).click();
        await page.getByRole("button", { name: "Run Workflow" }).click();
        await page.getByText("running", { exact: true }).waitFor();
        await waitFor(() => opened.requests.some((r) => r.startsWith("GET /events/")));
        await page.getByRole("button", { name: "Send Event" }).click();
        const dialog = page.getByRole("dialog");
        // The event types come from GET /workflows/hitl/events.
        await dialog.getByRole("combobox").click();
        assert.deepEqual(await page.getByRole("option").allInnerTexts(), [
          "StartEvent",
          "AskEvent",
          "AnswerEvent",
          "StopEvent",
        ]);
        await page.getByRole("option", { name: "AnswerEvent" }).click();
        await dialog.locator("input, textarea").first().fill("Ada");
        await saveScreenshot(page, "debugger-send-event.png");
        await dialog.getByRole("button", { name: "Send Event" }).click();
        await page.getByText('"got Ada"').waitFor();
        await page.getByText("Hello, Ada!").waitFor();
        await page.keyboard.press("Escape");
        await dialog.waitFor({ state: "hidden" });
        await saveScreenshot(page, "debugger-result.png");
        assert.ok(opened.requests.includes("POST /workflows/hitl/run-nowait"));
        assert.ok(opened.requests.some((r) => /^POST \/events\/[A-Za-z0-9]{10}$/.test(r)));
        assert.deepEqual(opened.externalRequests, []);
        assert.deepEqual(opened.errors, []);
      } finally {
        await opened.close();
      }
    });
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  await until(condition);
  assert.ok(condition(), "the condition came true");
}
