/** `runtime.handlerStore()`: a workflow server's handler records in the journal file. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { StartEvent, StopEvent, step, Workflow } from "@stepwise/core";
import { SqliteRuntime } from "@stepwise/sqlite";

const dir = mkdtempSync(join(tmpdir(), "stepwise-handler-store-"));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Row {
  handlerId: string;
  workflowName: string;
  runId: string;
  status: string;
  result: unknown;
}

const row = (handlerId: string, status: string, workflowName = "echo"): Row => ({
  handlerId,
  workflowName,
  runId: `run-${handlerId}`,
  status,
  result: null,
});

class EchoFlow extends Workflow {
  @step({ accepts: StartEvent, emits: StopEvent })
  echo(ev: StartEvent) {
    return new StopEvent({ result: ev.get("text", "") });
  }
}

describe("SqliteRuntime.handlerStore()", () => {
  it("puts, replaces in place, lists with filters in insertion order, deletes, and keeps them across a reopen", () => {
    const path = join(dir, "records.db");
    const runtime = new SqliteRuntime({ path });
    const store = runtime.handlerStore<Row>();
    assert.equal(runtime.handlerStore<Row>(), store);
    store.put(row("a", "running"));
    store.put(row("b", "completed", "other"));
    store.put(row("c", "failed"));
    store.put({ ...row("a", "completed"), result: { value: 1 } });
    assert.deepEqual(
      store.list().map((r) => r.handlerId),
      ["a", "b", "c"],
    );
    assert.deepEqual(
      store.list({ status: ["completed"] }).map((r) => r.handlerId),
      ["a", "b"],
    );
    assert.deepEqual(
      store
        .list({ status: ["completed", "failed"], workflowName: ["echo"] })
        .map((r) => r.handlerId),
      ["a", "c"],
    );
    assert.deepEqual(store.list({ status: [] }), []);
    assert.equal(store.delete("c"), true);
    assert.equal(store.delete("c"), false);
    runtime.close();
    assert.throws(() => store.get("a"), /closed/);

    const reopened = new SqliteRuntime({ path });
    const again = reopened.handlerStore<Row>();
    assert.deepEqual(again.get("a"), { ...row("a", "completed"), result: { value: 1 } });
    assert.equal(again.get("c"), undefined);
    reopened.close();
  });

  it("reads a run's published events back from the journal", async () => {
    const path = join(dir, "events.db");
    const runtime = new SqliteRuntime({ path });
    const wf = new EchoFlow();
    const handler = wf.run({ text: "hi" }, { runtime, runId: "r1" });
    assert.equal(await handler, "hi");
    const store = runtime.handlerStore<Row>();
    const record = { ...row("h", "completed"), runId: "r1" };
    assert.equal(store.events(record), null, "no workflow: nothing to revive the events with");
    assert.equal(store.events({ ...record, runId: "nope" }, wf), null);
    const events = store.events(record, wf) ?? [];
    assert.deepEqual(
      events.map((e) => e.seq),
      events.map((_, i) => i),
    );
    const last = events.at(-1);
    assert.ok(last?.event instanceof StopEvent);
    assert.ok(events.some((e) => e.internal));
    runtime.close();
  });
});
