/**
 * A small OpenAI-format HTTP server on 127.0.0.1 (random port) for tests: chat completions
 * (JSON and SSE streaming), the Responses API (JSON and SSE), and embeddings (float arrays or
 * base64 float32, as the request asks). It records every request so tests can check what the
 * AI SDK sent.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A request the server received. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: any;
}

/** Options of {@link startFakeOpenAIServer}. */
export interface FakeServerOptions {
  /** The assistant's answer to a prompt (the last user message's text). */
  reply?: (prompt: string, body: any) => string;
  /** Answer every request with this HTTP status and an OpenAI-style error body instead. */
  failWith?: number;
}

/** A running fake server. */
export interface FakeOpenAIServer {
  /** `http://127.0.0.1:<port>/v1` */
  baseURL: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/**
 * A deterministic embedding: counts of a few letter groups, so that texts sharing words get
 * similar vectors.
 */
export function fakeEmbedding(text: string): number[] {
  const groups = ["aeiou", "bcdfg", "hjklm", "npqrs", "tvwxz", "y0123456789"];
  const lower = text.toLowerCase();
  return groups.map((group) => [...lower].filter((ch) => group.includes(ch)).length + 0.5);
}

function lastUserText(body: any): string {
  // Chat completions: messages[].content; Responses API: input[].content[].text.
  const messages: any[] = body.messages ?? body.input ?? [];
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i];
    if (message?.role !== "user") continue;
    if (typeof message.content === "string") return message.content;
    if (Array.isArray(message.content)) {
      return message.content.map((part: any) => part.text ?? "").join("");
    }
  }
  return "";
}

// Splits an answer into a few pieces, as a streaming server would send tokens.
function pieces(text: string): string[] {
  return text.match(/\S+\s*/g) ?? [text];
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(value));
}

function sendSse(res: ServerResponse, chunks: readonly unknown[], done: boolean): void {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  for (const chunk of chunks) res.write(`data: ${JSON.stringify(chunk)}\n\n`);
  if (done) res.write("data: [DONE]\n\n");
  res.end();
}

function chatCompletion(res: ServerResponse, body: any, answer: string): void {
  const base = { id: "chatcmpl-1", created: 1_700_000_000, model: body.model };
  if (!body.stream) {
    sendJson(res, 200, {
      ...base,
      object: "chat.completion",
      choices: [
        { index: 0, message: { role: "assistant", content: answer }, finish_reason: "stop" },
      ],
      usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
    });
    return;
  }
  const chunk = (delta: object, finish: string | null) => ({
    ...base,
    object: "chat.completion.chunk",
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
  sendSse(
    res,
    [
      chunk({ role: "assistant", content: "" }, null),
      ...pieces(answer).map((piece) => chunk({ content: piece }, null)),
      chunk({}, "stop"),
      {
        ...base,
        object: "chat.completion.chunk",
        choices: [],
        usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
      },
    ],
    true,
  );
}

function responsesApi(res: ServerResponse, body: any, answer: string): void {
  const usage = {
    input_tokens: 10,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: 5,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: 15,
  };
  const message = { type: "message", id: "msg_1", role: "assistant", status: "completed" };
  if (!body.stream) {
    sendJson(res, 200, {
      id: "resp_1",
      object: "response",
      created_at: 1_700_000_000,
      model: body.model,
      status: "completed",
      output: [{ ...message, content: [{ type: "output_text", text: answer, annotations: [] }] }],
      usage,
    });
    return;
  }
  sendSse(
    res,
    [
      {
        type: "response.created",
        response: { id: "resp_1", created_at: 1_700_000_000, model: body.model },
      },
      { type: "response.output_item.added", output_index: 0, item: { ...message, content: [] } },
      ...pieces(answer).map((delta) => ({
        type: "response.output_text.delta",
        item_id: "msg_1",
        delta,
      })),
      { type: "response.output_item.done", output_index: 0, item: message },
      { type: "response.completed", response: { usage } },
    ],
    false,
  );
}

function embeddings(res: ServerResponse, body: any): void {
  const inputs: string[] = Array.isArray(body.input) ? body.input : [body.input];
  sendJson(res, 200, {
    object: "list",
    model: body.model,
    data: inputs.map((text, index) => {
      const vector = fakeEmbedding(text);
      const embedding =
        body.encoding_format === "base64"
          ? Buffer.from(new Float32Array(vector).buffer).toString("base64")
          : vector;
      return { object: "embedding", index, embedding };
    }),
    usage: { prompt_tokens: inputs.length, total_tokens: inputs.length },
  });
}

/** Starts the server; call `close()` when done. */
export async function startFakeOpenAIServer(
  options: FakeServerOptions = {},
): Promise<FakeOpenAIServer> {
  const reply = options.reply ?? ((prompt: string) => `You asked: ${prompt.slice(0, 40)}`);
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const body = text ? JSON.parse(text) : {};
      const path = (req.url ?? "").split("?")[0]!;
      requests.push({ method: req.method ?? "", path, headers: req.headers, body });
      if (options.failWith) {
        sendJson(res, options.failWith, {
          error: {
            message: `fake failure ${options.failWith}`,
            type: "invalid_request_error",
            code: "fake",
          },
        });
        return;
      }
      if (path === "/v1/chat/completions")
        chatCompletion(res, body, reply(lastUserText(body), body));
      else if (path === "/v1/responses") responsesApi(res, body, reply(lastUserText(body), body));
      else if (path === "/v1/embeddings") embeddings(res, body);
      else
        sendJson(res, 404, {
          error: { message: `no route ${path}`, type: "not_found", code: "404" },
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
