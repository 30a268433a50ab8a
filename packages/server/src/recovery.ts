/**
 * When the server starts on a runtime: the runtime rebuilds the unfinished runs it owns (a
 * durable one from its journal), and each is matched to its handler record by run id. A record
 * still `running` whose run did not come back is marked failed: nothing will finish it.
 */
import type { Runtime } from "@stepwise/core";
import type { ServedWorkflow } from "./handler-service.js";
import type { ServerState } from "./server.js";

/** Recovers the runs of `state`'s workflows on `runtime` and adopts them under their records. */
export async function recoverRuns(runtime: Runtime, state: ServerState): Promise<void> {
  const served = [...state.workflows.values()];
  const handlers = await runtime.recover(served.map((entry) => entry.workflow));
  const byRunId = new Map(handlers.map((handler) => [handler.runId, handler]));
  const { service } = state;
  const running = await service.store.list({ status: ["running"] });
  const byName = new Map<string, ServedWorkflow>(served.map((entry) => [entry.name, entry]));
  for (const record of running) {
    const handler = byRunId.get(record.runId);
    const workflow = byName.get(record.workflowName);
    if (handler && workflow) {
      service.adopt(workflow, handler, record);
      continue;
    }
    const now = service.now();
    await service.store.put({
      ...record,
      status: "failed",
      error:
        "The run was not recovered when the server restarted: its runtime has no journal of it.",
      updatedAt: now,
      completedAt: now,
    });
  }
}
