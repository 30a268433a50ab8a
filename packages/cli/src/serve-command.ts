/**
 * `stepwise serve <module>`: serves every workflow a module exports over HTTP with
 * `@stepwise/server` (the LlamaIndex workflow server's protocol), until stopped.
 */
import type { EventClass, Workflow } from "@stepwise/core";
import { CliError, describeError } from "./cli-error.js";
import { importModule } from "./load-module.js";
import { type FoundWorkflow, instantiateWorkflow, isWorkflowExport } from "./load-workflow.js";
import type { CliOutput } from "./program.js";
import { exportedEventClasses } from "./response-event.js";

/** Options of `stepwise serve`, as commander parses them. */
export interface ServeCommandOptions {
  /** @default 4501 */
  port?: number;
  /** @default "127.0.0.1" */
  host?: string;
  /** Require `Authorization: Bearer <token>`. @default STEPWISE_SERVER_TOKEN, else none */
  token?: string;
  /**
   * A SQLite file (`@stepwise/sqlite`) where runs are journaled and handlers recorded: a server
   * restarted on it lists every handler and resumes unfinished runs. @default in memory
   */
  store?: string;
  /**
   * With `store`: seconds a run may wait idle (for an answer) with nothing following it before
   * it leaves memory, to be rebuilt from the store when a request needs it. @default 60
   */
  idleTimeout?: number;
  /** Say how the module is loaded. */
  verbose?: boolean;
}

/** A server `stepwise serve` started. */
export interface ServingWorkflows {
  /** `http://127.0.0.1:4501` */
  readonly url: string;
  /** The names the workflows are served under. */
  readonly names: readonly string[];
  close(): Promise<void>;
}

/** The `@stepwise/server` module. */
type ServerLibrary = typeof import("@stepwise/server");

type HandlerStore = NonNullable<Parameters<ServerLibrary["createServer"]>[0]["store"]>;
type Runtime = NonNullable<Parameters<ServerLibrary["createServer"]>[0]["runtime"]>;

/** What `--store` uses of `@stepwise/sqlite` (loaded only then: it has a native addon). */
interface SqliteLibrary {
  SqliteRuntime: new (options: {
    path: string;
  }) => Runtime & { handlerStore(): HandlerStore; close(): void };
}

/**
 * Serves the module's workflows, each under its export's name (a default export under its
 * workflow name), with the module's exported event classes accepted in requests (the events a
 * step waits for with `ctx.waitForEvent` are in no step's `accepts`). Resolves once listening.
 * @throws {@link CliError} when the module exports no workflow, the server is not installed, or
 * the port is taken.
 */
export async function serveCommand(
  modulePath: string,
  options: ServeCommandOptions,
  output: CliOutput,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<ServingWorkflows> {
  const moduleExports = await importModule(
    modulePath,
    options.verbose ? { log: (line) => output.stderr(`stepwise: ${line}\n`) } : {},
  );
  const workflows = servedWorkflows(moduleExports, modulePath);
  const events = exportedEventClasses(moduleExports);
  const additionalEvents: Record<string, EventClass[]> = {};
  for (const [name, workflow] of Object.entries(workflows)) {
    additionalEvents[name] = events.filter((cls) => !workflow.events.includes(cls));
  }
  const { createServer, serve } = await loadServerLibrary();
  const token = options.token ?? (env.STEPWISE_SERVER_TOKEN || undefined);
  let runtime: InstanceType<SqliteLibrary["SqliteRuntime"]> | null = null;
  if (options.store !== undefined) {
    const { SqliteRuntime } = await loadSqliteLibrary();
    try {
      runtime = new SqliteRuntime({ path: options.store });
    } catch (error) {
      throw new CliError(
        `could not open the store \`${options.store}\`: ${describeError(error)}`,
        1,
        {
          cause: error,
        },
      );
    }
  }
  const durable = runtime
    ? { runtime, store: runtime.handlerStore(), idleTimeout: options.idleTimeout ?? 60 }
    : {};
  let app: ReturnType<ServerLibrary["createServer"]>;
  let running: Awaited<ReturnType<ServerLibrary["serve"]>>;
  try {
    try {
      // With a store, unfinished runs are recovered from it as the server starts.
      app = createServer({ workflows, additionalEvents, ...durable, ...(token ? { token } : {}) });
    } catch (error) {
      throw new CliError(`could not serve \`${modulePath}\`: ${describeError(error)}`, 1, {
        cause: error,
      });
    }
    running = await listen(serve, app, options);
  } catch (error) {
    runtime?.close();
    throw error;
  }
  const names = Object.keys(workflows);
  output.stdout(`Serving ${names.join(", ")} on ${running.url}\n`);
  if (runtime) output.stdout(`Runs and handlers are kept in ${options.store}.\n`);
  if (token) output.stdout("Every route but /health needs `Authorization: Bearer <token>`.\n");
  return {
    url: running.url,
    names,
    close: async () => {
      try {
        await running.close();
      } finally {
        runtime?.close();
      }
    },
  };
}

async function listen(
  serve: ServerLibrary["serve"],
  app: ReturnType<ServerLibrary["createServer"]>,
  options: ServeCommandOptions,
): Promise<Awaited<ReturnType<ServerLibrary["serve"]>>> {
  const port = options.port ?? 4501;
  const host = options.host ?? "127.0.0.1";
  try {
    return await serve(app, { port, host });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === "EADDRINUSE") {
      throw new CliError(`port ${port} on ${host} is in use; choose another with --port`, 1, {
        cause: error,
      });
    }
    throw new CliError(`could not listen on ${host}:${port}: ${describeError(error)}`, 1, {
      cause: error,
    });
  }
}

/** Resolves when the process gets SIGINT or SIGTERM, after closing the server. */
export function untilStopped(serving: ServingWorkflows): Promise<void> {
  return new Promise((resolve, reject) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      serving.close().then(resolve, reject);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

/** Every workflow the module exports, by name; a class is made with no arguments. */
function servedWorkflows(
  moduleExports: Record<string, unknown>,
  modulePath: string,
): Record<string, Workflow> {
  const workflows: Record<string, Workflow> = {};
  const seen = new Set<unknown>();
  // Named exports first: a default export that is also exported by name is served once.
  const entries = Object.entries(moduleExports).sort(([a], [b]) =>
    a === "default" ? 1 : b === "default" ? -1 : 0,
  );
  for (const [exportName, value] of entries) {
    if (!isWorkflowExport(value) || seen.has(value)) continue;
    seen.add(value);
    const found: FoundWorkflow = {
      exportName,
      value: value as FoundWorkflow["value"],
      isClass: typeof value === "function",
    };
    const workflow = instantiateWorkflow(found);
    workflows[exportName === "default" ? workflow.workflowName : exportName] = workflow;
  }
  if (Object.keys(workflows).length === 0) {
    const exported = Object.keys(moduleExports).map((name) => `\`${name}\``);
    throw new CliError(
      `\`${modulePath}\` exports no workflow (a Workflow instance or subclass) to serve` +
        (exported.length > 0 ? `; its exports are ${exported.join(", ")}` : "; it has no exports"),
    );
  }
  return workflows;
}

async function loadSqliteLibrary(): Promise<SqliteLibrary> {
  // A name in a variable: the CLI does not depend on @stepwise/sqlite (a native addon).
  const name = "@stepwise/sqlite";
  try {
    return (await import(name)) as SqliteLibrary;
  } catch (error) {
    const { code, message } = error as { code?: unknown; message?: unknown };
    if (code === "ERR_MODULE_NOT_FOUND" && String(message).includes(`'${name}'`)) {
      throw new CliError(
        "--store needs @stepwise/sqlite, which is not installed; run `npm install @stepwise/sqlite` in the project that has @stepwise/cli",
        1,
        { cause: error },
      );
    }
    throw error;
  }
}

async function loadServerLibrary(): Promise<ServerLibrary> {
  try {
    return await import("@stepwise/server");
  } catch (error) {
    const { code, message } = error as { code?: unknown; message?: unknown };
    if (code === "ERR_MODULE_NOT_FOUND" && String(message).includes("'@stepwise/server'")) {
      throw new CliError(
        "serving needs @stepwise/server, which is not installed; run `npm install @stepwise/server` in the project that has @stepwise/cli",
        1,
        { cause: error },
      );
    }
    throw error;
  }
}
