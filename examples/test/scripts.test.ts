// The example scripts as a user runs them: spawned with Node, their output and exit code
// checked. Model servers are a fake OpenAI-format server on 127.0.0.1; nothing needs a key.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { type FakeOpenAIServer, startFakeOpenAIServer } from "./fake-openai-server.js";

const examplesDir = fileURLToPath(new URL("..", import.meta.url));

interface ScriptResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

// The parent's environment without any model settings, so a developer's own keys never leak in.
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(STEPWISE_|OPENAI_|OLLAMA_)/.test(key)) env[key] = value;
  }
  return { ...env, STEPWISE_MAX_RETRIES: "0", ...extra };
}

// Async spawn (not spawnSync): the fake server in this process must keep answering meanwhile.
function runScript(
  script: string,
  args: string[] = [],
  env: Record<string, string> = {},
  stdin = "",
): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--conditions=@stepwise/source", "--import", "tsx", `src/${script}`, ...args],
      { cwd: examplesDir, env: cleanEnv(env) },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

// A port on 127.0.0.1 that nothing listens on (bound, then released).
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function assertOneLineError(result: ScriptResult, pattern: RegExp): void {
  assert.equal(result.code, 1, `exit code; stderr: ${result.stderr}`);
  const lines = result.stderr.trim().split("\n");
  assert.equal(lines.length, 1, `one line on stderr, got:\n${result.stderr}`);
  assert.match(lines[0]!, /^error: /);
  assert.match(lines[0]!, pattern);
}

describe("example scripts with a user's mistakes", () => {
  it("rejects an unknown provider prefix in one line", async () => {
    const result = await runScript("rag.ts", [], { STEPWISE_MODEL: "anthropic:claude" });
    assertOneLineError(
      result,
      /unknown provider `anthropic`.*openai:<model>, ollama:<model> or local:<model>/,
    );
  });

  it("asks for OPENAI_API_KEY when openai: is chosen without it", async () => {
    const result = await runScript("joke.ts", [], { STEPWISE_MODEL: "openai:gpt-4o-mini" });
    assertOneLineError(result, /needs OPENAI_API_KEY/);
  });

  it("names the base URL to fix when the model server is unreachable", async () => {
    const port = await closedPort();
    const result = await runScript("joke.ts", [], {
      STEPWISE_MODEL: "local:some-model",
      STEPWISE_BASE_URL: `http://127.0.0.1:${port}/v1`,
    });
    assertOneLineError(
      result,
      /could not reach the model server at http:\/\/127\.0\.0\.1:\d+.*STEPWISE_BASE_URL/,
    );
  });

  it("says the data folder is empty", async () => {
    const empty = await mkdtemp(join(tmpdir(), "stepwise-empty-"));
    try {
      const result = await runScript("rag.ts", ["--data", empty]);
      assertOneLineError(result, /no \.md or \.txt file with text in .*--data <folder>/);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it("says a 401 is about the API key", async () => {
    const failing = await startFakeOpenAIServer({ failWith: 401 });
    try {
      const result = await runScript("joke.ts", [], {
        STEPWISE_MODEL: "openai:gpt-4o-mini",
        OPENAI_API_KEY: "sk-wrong",
        OPENAI_BASE_URL: failing.baseURL,
      });
      assertOneLineError(result, /refused the request \(401\).*OPENAI_API_KEY/);
    } finally {
      await failing.close();
    }
  });
});

describe("example scripts without a model", () => {
  it("joke.ts explains how to set a model and exits 0", async () => {
    const result = await runScript("joke.ts");
    assert.equal(result.code, 0);
    assert.match(result.stdout, /needs an LLM/);
    assert.match(result.stdout, /STEPWISE_MODEL/);
  });

  it("summarizer.ts explains how to set a model and exits 0", async () => {
    const result = await runScript("summarizer.ts");
    assert.equal(result.code, 0);
    assert.match(result.stdout, /ollama:llama3\.2/);
  });

  it("branch-loop.ts shortens offline until the text fits", async () => {
    const result = await runScript("branch-loop.ts", ["--max-words", "30"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /round 0: \d+ words \(limit 30\)/);
    assert.match(result.stdout, /Fits after \d+ revision\(s\):/);
  });

  it("fan-out.ts analyzes every document of examples/data", async () => {
    const result = await runScript("fan-out.ts");
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /retries-and-failures\.md\s+\d+/);
    assert.match(result.stdout, /6 documents, \d+ words/);
  });

  it("human-in-the-loop.ts takes its answer from a pipe", async () => {
    const result = await runScript("human-in-the-loop.ts", [], {}, "yes\n");
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /\(answer from stdin: yes\)/);
    assert.match(result.stdout, /approved \(decided by stdin\)/);
  });

  it("human-in-the-loop.ts takes --answer, and declines when stdin has no answer", async () => {
    const answered = await runScript("human-in-the-loop.ts", ["--answer", "no"]);
    assert.match(answered.stdout, /declined \(decided by --answer\)/);
    const silent = await runScript("human-in-the-loop.ts");
    assert.equal(silent.code, 0, silent.stderr);
    assert.match(silent.stdout, /no answer on stdin: declining/);
  });
});

describe("example scripts with a model server (fake, on 127.0.0.1)", () => {
  let server: FakeOpenAIServer;
  before(async () => {
    server = await startFakeOpenAIServer({
      reply: (prompt) =>
        prompt.startsWith("Based on the following context")
          ? "After the last attempt a job moves to the dead-letter queue [retries-and-failures.md]."
          : "A joke. A critique.",
    });
  });
  after(() => server.close());

  it("rag.ts retrieves with remote embeddings and streams the model's answer", async () => {
    const result = await runScript("rag.ts", ["--no-draw"], {
      STEPWISE_MODEL: "local:chat-model",
      STEPWISE_EMBEDDING_MODEL: "local:embed-model",
      STEPWISE_BASE_URL: server.baseURL,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /> step retrieve/);
    assert.match(result.stdout, /retrieved 5 of \d+ chunks/);
    assert.match(result.stdout, /> step synthesize/);
    assert.match(
      result.stdout,
      /Answer \(local\.chat:chat-model\):\nAfter the last attempt a job moves/,
    );
    assert.match(result.stdout, /Sources:\n {2}\d\.\d{3} {2}\S+/);
    const paths = server.requests.map((r) => r.path);
    assert.ok(paths.includes("/v1/embeddings") && paths.includes("/v1/chat/completions"));
  });

  it("rag.ts --trace prints the run's span tree: steps under the run, the LLM call under its step", async () => {
    const result = await runScript("rag.ts", ["--no-draw", "--trace"], {
      STEPWISE_MODEL: "local:chat-model",
      STEPWISE_EMBEDDING_MODEL: "local:embed-model",
      STEPWISE_BASE_URL: server.baseURL,
    });
    assert.equal(result.code, 0, result.stderr);
    const tree = result.stdout.split("Trace (OpenTelemetry spans of the run):\n")[1];
    assert.ok(tree, `a trace after the sources:\n${result.stdout}`);
    const ms = String.raw`\d+\.\d ms`;
    const lines = tree.trimEnd().split("\n");
    const expected = [
      `^workflow\\.run RAGWorkflow  ${ms}  completed$`,
      `^├─ workflow\\.step retrieve  ${ms}  → RetrieveEvent$`,
      `^└─ workflow\\.step synthesize  ${ms}  → StopEvent$`,
      `^   └─ ai\\.streamText  ${ms}$`,
      `^      └─ ai\\.streamText\\.doStream  ${ms}$`,
    ];
    assert.equal(lines.length, expected.length, tree);
    expected.forEach((pattern, i) => {
      assert.match(lines[i]!, new RegExp(pattern));
    });
  });

  it("joke.ts prints the joke and the streamed critique", async () => {
    const result = await runScript("joke.ts", ["cats"], {
      STEPWISE_MODEL: "ollama:tiny",
      OLLAMA_BASE_URL: server.baseURL,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /A joke about cats, by ollama\.chat:tiny:\nA joke\. A critique\.\n\nCritique:\nA joke\. A critique\./,
    );
  });
});

describe("npm start (offline: GloVe vectors, no LLM)", () => {
  it("prints progress, an extractive answer from the retries document and its sources", async () => {
    const result = await runScript("rag.ts", ["--no-draw"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /LLM: +none configured/);
    assert.match(result.stdout, /loading GloVe word vectors/);
    assert.match(result.stdout, /Question: What happens to a job after its last attempt fails\?/);
    assert.match(result.stdout, /Answer \(extractive: no LLM is configured/);
    assert.match(result.stdout, /dead-letter queue.*\[retries-and-failures\.md\]/);
    assert.match(result.stdout, /Sources:\n {2}0\.\d{3} {2}retries-and-failures\.md#\d+/);
  });
});
