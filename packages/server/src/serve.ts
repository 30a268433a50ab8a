/** Listening on a port with Node's HTTP server (`@hono/node-server`). */
import type { AddressInfo } from "node:net";
import { type ServerType, serve as serveNode } from "@hono/node-server";
import type { Hono } from "hono";

/** Options of {@link serve}. */
export interface ServeOptions {
  /** The TCP port; 0 picks a free one. @default 4501 */
  port?: number;
  /** The interface to bind: only this machine unless told otherwise. @default "127.0.0.1" */
  host?: string;
}

/** A listening server. */
export interface RunningServer {
  /** The Node HTTP server. */
  readonly server: ServerType;
  /** The port it listens on (the chosen one when `port` was 0). */
  readonly port: number;
  /** `http://host:port`. */
  readonly url: string;
  /** Stops accepting connections and closes the open ones (streams included). */
  close(): Promise<void>;
}

/**
 * Listens with the app on `host:port`; resolves once it is listening.
 * @example
 * const { url } = await serve(createServer({ workflows: { greet } }), { port: 4501 });
 */
export function serve(app: Hono, options: ServeOptions = {}): Promise<RunningServer> {
  const host = options.host ?? "127.0.0.1";
  return new Promise((resolve, reject) => {
    const server = serveNode(
      { fetch: app.fetch, port: options.port ?? 4501, hostname: host },
      (info: AddressInfo) => {
        server.off("error", reject);
        const shown = host.includes(":") ? `[${host}]` : host;
        resolve({
          server,
          port: info.port,
          url: `http://${shown}:${info.port}`,
          close: () =>
            new Promise<void>((done, fail) => {
              server.close((error) => (error ? fail(error) : done()));
              if ("closeAllConnections" in server) server.closeAllConnections();
            }),
        });
      },
    );
    server.once("error", reject);
  });
}
