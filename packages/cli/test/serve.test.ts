import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { CliError } from "@stepwise/cli";
import { serveCommand } from "../src/serve-command.js";
import { runInProcess } from "./run-cli.js";
import { fixture } from "./spawn-cli.js";

/** Collects what a command writes. */
function capture() {
  const written = { stdout: "", stderr: "" };
  return {
    written,
    output: {
      stdout: (text: string) => {
        written.stdout += text;
      },
      stderr: (text: string) => {
        written.stderr += text;
      },
    },
  };
}

/** Reads the handler's stream from its start until `text` is out. */
async function untilAsked(url: string, id: string, expected: string): Promise<void> {
  const stream = await fetch(`${url}/events/${id}?after_sequence=-1&sse=false`);
  const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = "";
  while (!text.includes(expected)) {
    const { done, value } = await reader.read();
    if (done) assert.fail(`the stream ended before ${expected}`);
    text += decoder.decode(value);
  }
  await reader.cancel();
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as any };
}

describe("stepwise serve", () => {
  it("serves every workflow the module exports, under its export names (sorted), on 127.0.0.1", async () => {
    const { written, output } = capture();
    const serving = await serveCommand(fixture("several.ts"), { port: 0 }, output, {});
    try {
      assert.match(serving.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.deepEqual(serving.names, ["LowerWorkflow", "UpperWorkflow"]);
      assert.equal(written.stdout, `Serving LowerWorkflow, UpperWorkflow on ${serving.url}\n`);
      const listed = await (await fetch(`${serving.url}/workflows`)).json();
      assert.deepEqual(listed, { workflows: ["LowerWorkflow", "UpperWorkflow"] });
      const run = await post(`${serving.url}/workflows/UpperWorkflow/run`, {
        start_event: { text: "ada" },
      });
      assert.equal(run.json.result.value.result, "ADA");
    } finally {
      await serving.close();
    }
  });

  it("accepts the module's exported events, such as one a step waits for", async () => {
    const { output } = capture();
    const serving = await serveCommand(fixture("interview.ts"), { port: 0 }, output, {});
    try {
      const started = await post(`${serving.url}/workflows/InterviewFlow/run-nowait`, {});
      const id = started.json.handler_id;
      const events = await (await fetch(`${serving.url}/workflows/InterviewFlow/events`)).json();
      assert.ok(events.events.some((schema: { title: string }) => schema.title === "AnswerEvent"));
      for (const [topic, response] of [
        ["name", "Ada"],
        ["colour", "green"],
      ]) {
        // The step asks, then waits: send each answer once its question is out.
        const stream = await fetch(`${serving.url}/events/${id}?after_sequence=-1&sse=false`);
        const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
        const decoder = new TextDecoder();
        let text = "";
        while (!text.includes(`"topic":"${topic}"`)) {
          text += decoder.decode((await reader.read()).value);
        }
        await reader.cancel();
        const sent = await post(`${serving.url}/events/${id}`, {
          event: { type: "AnswerEvent", value: { topic, response } },
        });
        assert.equal(sent.status, 200, JSON.stringify(sent.json));
      }
      for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
        const handler = await (await fetch(`${serving.url}/handlers/${id}`)).json();
        if (handler.status !== "running") {
          assert.equal(handler.result.value.result, "Ada likes green");
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      assert.fail("the interview did not end");
    } finally {
      await serving.close();
    }
  });

  it("with --store, answers after a restart a question asked before it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "stepwise-serve-store-"));
    const store = join(dir, "runs.db");
    try {
      const { written, output } = capture();
      const first = await serveCommand(fixture("approval.ts"), { port: 0, store }, output, {});
      let id: string;
      try {
        assert.match(written.stdout, /Runs and handlers are kept in .*runs\.db/);
        const started = await post(`${first.url}/workflows/approvals/run-nowait`, {});
        id = started.json.handler_id;
        await untilAsked(first.url, id, '"prompt":"approve?"');
      } finally {
        await first.close();
      }
      const second = await serveCommand(fixture("approval.ts"), { port: 0, store }, output, {});
      try {
        const sent = await post(`${second.url}/events/${id}`, {
          event: { type: "ApprovalResponse", value: { approved: true } },
        });
        assert.equal(sent.status, 200, JSON.stringify(sent.json));
        for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
          const handler = await (await fetch(`${second.url}/handlers/${id}`)).json();
          if (handler.status !== "running") {
            assert.equal(handler.status, "completed");
            assert.equal(handler.result.value.result, "approved");
            return;
          }
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        assert.fail("the approval did not end");
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("requires the token from STEPWISE_SERVER_TOKEN on every route but /health", async () => {
    const { written, output } = capture();
    const env = { STEPWISE_SERVER_TOKEN: "t0k" };
    const serving = await serveCommand(fixture("several.ts"), { port: 0 }, output, env);
    try {
      assert.match(written.stdout, /Authorization: Bearer/);
      assert.equal((await fetch(`${serving.url}/workflows`)).status, 401);
      const authorized = await fetch(`${serving.url}/workflows`, {
        headers: { authorization: "Bearer t0k" },
      });
      assert.equal(authorized.status, 200);
      assert.equal((await fetch(`${serving.url}/health`)).status, 200);
    } finally {
      await serving.close();
    }
  });

  it("says what the module exports when it exports no workflow", async () => {
    const { output } = capture();
    await assert.rejects(serveCommand(fixture("none.ts"), { port: 0 }, output, {}), (error) => {
      assert.ok(error instanceof CliError);
      assert.match(
        error.message,
        /exports no workflow .* to serve; its exports are `answer`, `helper`/,
      );
      return true;
    });
  });

  it("says the port is in use, and to choose another", async () => {
    const { output } = capture();
    const first = await serveCommand(fixture("several.ts"), { port: 0 }, output, {});
    try {
      const port = Number(new URL(first.url).port);
      await assert.rejects(serveCommand(fixture("several.ts"), { port }, output, {}), {
        message: `port ${port} on 127.0.0.1 is in use; choose another with --port`,
      });
    } finally {
      await first.close();
    }
  });

  it("refuses an --idle-timeout that is not a number of seconds above 0", async () => {
    const run = await runInProcess(["serve", fixture("several.ts"), "--idle-timeout", "0"]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /--idle-timeout.*expected a number of seconds greater than 0/);
  });
});
