/**
 * `GET /`: the LlamaIndex workflow debugger, served from this server (no CDN). Its page loads
 * the `dist/app.js` and `dist/app.css` of the npm package `@llamaindex/workflow-debugger`,
 * which is an optional peer dependency (it brings React and its UI libraries with it), or of a
 * folder given in the options. The stylesheet's one outside import (a web font) is left out,
 * so the page loads nothing from elsewhere.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Hono } from "hono";

/** Where the debugger's files come from. */
export interface DebuggerOptions {
  /** A folder holding `app.js` and `app.css`. @default the `dist/` of `@llamaindex/workflow-debugger` */
  assetsDir?: string;
}

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="UTF-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1.0" />
    <title>workflow-debugger</title>
    <script type="module" crossorigin src="debugger/app.js"></script>
    <link rel="stylesheet" crossorigin href="debugger/app.css">
  </head>
  <body>
    <div id="root"></div>
  </body>
</html>
`;

const MISSING = `<!doctype html>
<html lang="en">
  <head><meta charset="UTF-8" /><title>stepwise server</title></head>
  <body>
    <h1>stepwise server</h1>
    <p>The workflow debugger is not installed. To serve it here, install it beside
    <code>@stepwise/server</code>: <code>npm install @llamaindex/workflow-debugger@0.2.42</code>.</p>
    <p>The API is up: <a href="workflows">/workflows</a>, <a href="handlers">/handlers</a>.</p>
  </body>
</html>
`;

/** The `dist/` folder of the installed debugger package, or null when it is not installed. */
export function installedDebuggerDir(): string | null {
  try {
    const require = createRequire(import.meta.url);
    return join(dirname(require.resolve("@llamaindex/workflow-debugger/package.json")), "dist");
  } catch {
    return null;
  }
}

/** `@import "https://..." ...;` or `@import url(https://...) ...;` (a URL may hold `;`). */
const OUTSIDE_IMPORT =
  /@import\s*(?:(["'])https?:\/\/.*?\1|url\(\s*(["']?)https?:\/\/.*?\2\s*\))[^;]*;/g;

/** Adds `GET /` and the debugger's assets to `app`. */
export function debuggerRoutes(app: Hono, options: DebuggerOptions): void {
  const dir = options.assetsDir ?? installedDebuggerDir();
  const cache = new Map<string, Promise<string>>();
  const asset = (name: string, transform: (text: string) => string = (text) => text) => {
    let loaded = cache.get(name);
    if (!loaded) {
      loaded = readFile(join(dir as string, name), "utf8").then(transform);
      // A failed read is retried on the next request rather than cached.
      loaded.catch(() => cache.delete(name));
      cache.set(name, loaded);
    }
    return loaded;
  };
  app.get("/", (c) => c.html(dir === null ? MISSING : PAGE));
  if (dir === null) return;
  app.get("/debugger/app.js", async (c) =>
    c.body(await asset("app.js"), 200, {
      "content-type": "text/javascript; charset=utf-8",
      "cache-control": "public, max-age=3600",
    }),
  );
  app.get("/debugger/app.css", async (c) =>
    c.body(await asset("app.css", (text) => text.replace(OUTSIDE_IMPORT, "")), 200, {
      "content-type": "text/css; charset=utf-8",
      "cache-control": "public, max-age=3600",
    }),
  );
}
