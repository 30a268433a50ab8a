import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { call, fixtureApp } from "./helpers.js";

describe("a server with a token", () => {
  const app = fixtureApp({ token: "s3cret" });

  it("answers 401 with a detail without the token, or with a wrong one", async () => {
    const missing = await call(app, "GET", "/workflows");
    assert.equal(missing.status, 401);
    assert.match(missing.json.detail, /Authorization: Bearer/);
    assert.equal(missing.headers.get("www-authenticate"), 'Bearer realm="stepwise"');
    const wrong = await call(app, "GET", "/workflows", undefined, { authorization: "Bearer nope" });
    assert.equal(wrong.status, 401);
    assert.deepEqual(wrong.json, { detail: "Invalid token" });
    const run = await call(app, "POST", "/workflows/greet/run", {});
    assert.equal(run.status, 401);
    const drawing = await call(app, "GET", "/workflows/greet/draw");
    assert.equal(drawing.status, 401);
    assert.equal(drawing.headers.get("content-type"), "application/json");
  });

  it("serves every route with the token, and /health without it", async () => {
    const headers = { authorization: "Bearer s3cret" };
    const reply = await call(app, "GET", "/workflows", undefined, headers);
    assert.equal(reply.status, 200);
    const run = await call(
      app,
      "POST",
      "/workflows/greet/run",
      { start_event: { name: "A" } },
      headers,
    );
    assert.equal(run.status, 200);
    const drawing = await call(app, "GET", "/workflows/greet/draw", undefined, headers);
    assert.equal(drawing.status, 200);
    assert.match(drawing.text, /GreetFlow/);
    assert.equal((await call(app, "GET", "/health")).status, 200);
  });
});

describe("limits and CORS", () => {
  it("answers 413 with a detail for a body over the limit, and keeps serving", async () => {
    const app = fixtureApp({ maxBodyBytes: 1000 });
    const big = await call(app, "POST", "/workflows/greet/run", {
      start_event: { name: "x".repeat(2000) },
    });
    assert.equal(big.status, 413);
    assert.deepEqual(big.json, { detail: "Request body is larger than 1000 bytes" });
    const small = await call(app, "POST", "/workflows/greet/run", { start_event: { name: "A" } });
    assert.equal(small.status, 200);
  });

  it("sends no CORS headers by default", async () => {
    const reply = await call(fixtureApp(), "GET", "/workflows", undefined, {
      origin: "http://elsewhere.example",
    });
    assert.equal(reply.headers.get("access-control-allow-origin"), null);
  });

  it("allows the configured origins, with credentials", async () => {
    const app = fixtureApp({ corsOrigins: ["http://app.example"] });
    const allowed = await call(app, "GET", "/workflows", undefined, {
      origin: "http://app.example",
    });
    assert.equal(allowed.headers.get("access-control-allow-origin"), "http://app.example");
    assert.equal(allowed.headers.get("access-control-allow-credentials"), "true");
    const preflight = await call(app, "OPTIONS", "/workflows/greet/run", undefined, {
      origin: "http://app.example",
      "access-control-request-method": "POST",
    });
    assert.ok(preflight.status < 300);
    assert.match(preflight.headers.get("access-control-allow-methods") ?? "", /POST/);
    const other = await call(app, "GET", "/workflows", undefined, {
      origin: "http://evil.example",
    });
    assert.notEqual(other.headers.get("access-control-allow-origin"), "http://evil.example");
  });

  it("puts no stack trace in an error response", async () => {
    const reply = await call(fixtureApp(), "POST", "/workflows/fail/run", {});
    assert.equal(reply.status, 500);
    assert.doesNotMatch(reply.text, /\s+at\s|\.ts:\d+/);
  });
});
