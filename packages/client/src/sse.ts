/** Reading Server-Sent Events off a fetch body: `id:` and `data:` lines, comments skipped. */

/** One `data` frame of an SSE stream. */
export interface SseFrame {
  /** The frame's `id:` (the server's sequence number), if it had one. */
  readonly id: string | undefined;
  readonly data: string;
}

/**
 * The frames of an SSE body as they arrive. Heartbeats (`: heartbeat`) and frames without data
 * are skipped. Cancelling the iteration cancels the body.
 */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseFrame> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
      let end = buffer.indexOf("\n\n");
      while (end >= 0) {
        const frame = parseFrame(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        if (frame) yield frame;
        end = buffer.indexOf("\n\n");
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

function parseFrame(block: string): SseFrame | null {
  let id: string | undefined;
  const data: string[] = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("id:")) id = line.slice(3).trim();
    else if (line.startsWith("data:")) data.push(line.slice(line.startsWith("data: ") ? 6 : 5));
  }
  return data.length > 0 ? { id, data: data.join("\n") } : null;
}
