/**
 * `GET /events/{handler_id}` as bytes: Server-Sent Events (`id: <seq>` and `data: <envelope>`
 * frames, `: heartbeat` while nothing happens) or NDJSON (one envelope per line). Each frame is
 * its own chunk; the stream ends after the run's terminal event. A client that goes away
 * cancels the stream, which stops waiting on the run at once.
 */
import type { RunFeed } from "./run-feed.js";

/** How one client reads a feed. */
export interface StreamOptions {
  /** Serve events after this sequence number. */
  readonly after: number;
  readonly sse: boolean;
  readonly includeInternal: boolean;
  readonly includeQualifiedName: boolean;
  /** Seconds without an event before a heartbeat frame (SSE only); null for none. */
  readonly heartbeatSeconds: number | null;
}

const encoder = new TextEncoder();
const HEARTBEAT = encoder.encode(": heartbeat\n\n");

/** The streaming response of a feed. */
export function streamResponse(feed: RunFeed, options: StreamOptions): Response {
  let cursor = options.after + 1;
  let cancelWait: (() => void) | null = null;
  let isCancelled = false;
  const heartbeatMs = options.sse && options.heartbeatSeconds ? options.heartbeatSeconds * 1000 : 0;

  /** Enqueues what the feed has past the cursor: "done" after the last frame. */
  const drain = (
    controller: ReadableStreamDefaultController<Uint8Array>,
  ): "done" | "sent" | "nothing" => {
    let sent = false;
    while (cursor <= feed.lastSeq) {
      const entry = feed.at(cursor++);
      if (!entry || (entry.internal && !options.includeInternal)) continue;
      const json = entry.json(options.includeQualifiedName);
      const frame = options.sse ? `id: ${entry.seq}\ndata: ${json}\n\n` : `${json}\n`;
      controller.enqueue(encoder.encode(frame));
      if (entry.isTerminal) return "done";
      sent = true;
    }
    if (feed.isEnded) return "done";
    return sent ? "sent" : "nothing";
  };

  /** Waits for the next entry, the feed's end, a heartbeat's time or the client leaving. */
  const waitForChange = () =>
    new Promise<"change" | "heartbeat">((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const unsubscribe = feed.once(() => {
        clearTimeout(timer);
        cancelWait = null;
        resolve("change");
      });
      if (heartbeatMs > 0) {
        timer = setTimeout(() => {
          unsubscribe();
          cancelWait = null;
          resolve("heartbeat");
        }, heartbeatMs);
      }
      cancelWait = () => {
        unsubscribe();
        clearTimeout(timer);
        resolve("change");
      };
    });

  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        while (!isCancelled) {
          const drained = drain(controller);
          if (drained === "done") {
            controller.close();
            return;
          }
          if (drained === "sent") return;
          if ((await waitForChange()) === "heartbeat") {
            controller.enqueue(HEARTBEAT);
            return;
          }
        }
      },
      cancel() {
        isCancelled = true;
        cancelWait?.();
      },
    },
    { highWaterMark: 1 },
  );
  return new Response(body, {
    status: 200,
    headers: {
      "content-type": options.sse ? "text/event-stream; charset=utf-8" : "application/x-ndjson",
      "cache-control": "no-cache",
      "x-accel-buffering": "no",
    },
  });
}
