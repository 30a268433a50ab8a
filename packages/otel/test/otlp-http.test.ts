import assert from "node:assert/strict";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { Event, StartEvent, StopEvent, Workflow } from "@stepwise/core";
import { createTracingObserver } from "@stepwise/otel";
import { z } from "zod";

class Hop extends Event.define({ n: z.number() }) {}

interface Received {
  readonly url: string | undefined;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** An OTLP attribute list (`[{ key, value: { stringValue | intValue | boolValue } }]`) as an object. */
function attributesOf(list: { key: string; value: Record<string, unknown> }[]) {
  return Object.fromEntries(list.map(({ key, value }) => [key, Object.values(value)[0]]));
}

/** A small collector on 127.0.0.1: keeps every request's body and answers 200. */
const received: Received[] = [];
const collector = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => {
    received.push({
      url: request.url,
      headers: request.headers,
      body: Buffer.concat(chunks).toString("utf8"),
    });
    response.writeHead(200, { "content-type": "application/json" });
    response.end("{}");
  });
});

before(async () => {
  await new Promise<void>((resolve) => collector.listen(0, "127.0.0.1", resolve));
});

after(async () => {
  collector.closeAllConnections();
  await new Promise((resolve) => collector.close(resolve));
});

describe("export over OTLP/HTTP", () => {
  it("sends a run's spans to a collector, the steps' parent being the run", async () => {
    const { port } = collector.address() as AddressInfo;
    const exporter = new OTLPTraceExporter({ url: `http://127.0.0.1:${port}/v1/traces` });
    const provider = new BasicTracerProvider({
      spanProcessors: [new BatchSpanProcessor(exporter)],
    });
    const wf = new Workflow({
      name: "Exported",
      observers: [createTracingObserver({ tracer: provider.getTracer("test") })],
    });
    wf.addStep("first", { accepts: StartEvent, emits: Hop }, () => new Hop({ n: 1 }));
    wf.addStep(
      "second",
      { accepts: Hop, emits: StopEvent },
      (ev: Hop) => new StopEvent({ result: ev.n }),
    );
    const handler = wf.run(undefined, { runId: "exported-1" });
    assert.equal(await handler, 1);
    await provider.forceFlush();
    await provider.shutdown();

    assert.equal(received.length, 1);
    const [request] = received as [Received];
    assert.equal(request.url, "/v1/traces");
    assert.equal(request.headers["content-type"], "application/json");
    const payload = JSON.parse(request.body);
    const spans = payload.resourceSpans.flatMap((r: any) =>
      r.scopeSpans.flatMap((s: any) => s.spans),
    );
    const byName = new Map(spans.map((span: any) => [span.name, span]));
    assert.deepEqual([...byName.keys()].sort(), [
      "workflow.run Exported",
      "workflow.step first",
      "workflow.step second",
    ]);
    const run = byName.get("workflow.run Exported") as any;
    assert.equal(run.parentSpanId, undefined);
    assert.deepEqual(attributesOf(run.attributes), {
      "workflow.name": "Exported",
      "workflow.run.id": "exported-1",
      "workflow.run.resumed": false,
      "workflow.run.status": "completed",
      "workflow.run.end_event": "StopEvent",
    });
    for (const name of ["workflow.step first", "workflow.step second"]) {
      const step = byName.get(name) as any;
      assert.equal(step.traceId, run.traceId);
      assert.equal(step.parentSpanId, run.spanId);
      assert.equal(attributesOf(step.attributes)["workflow.run.id"], "exported-1");
    }
    assert.match(run.traceId, /^[0-9a-f]{32}$/);
  });
});
