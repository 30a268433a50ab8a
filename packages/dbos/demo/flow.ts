/** The demo's workflow: a chain of slow steps that say which worker process ran each. */
import { Event, type Runtime, StartEvent, StopEvent, Workflow } from "@stepwise/core";
import { z } from "zod";

export class Hop extends Event.define({ n: z.number() }) {}
export class Progress extends Event.define({
  n: z.number(),
  worker: z.string(),
  pid: z.number(),
}) {}

export const STEPS = 30;

export function demoFlow(runtime: Runtime) {
  return new Workflow({ runtime, name: "DurableDemo", timeout: null, numConcurrentRuns: 10 })
    .addStep("start", { accepts: StartEvent, emits: Hop }, () => new Hop({ n: 1 }))
    .addStep("hop", { accepts: Hop, emits: [Hop, StopEvent] }, async (ev, ctx) => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      ctx.writeEventToStream(
        new Progress({ n: ev.n, worker: String(process.env.WORKER), pid: process.pid }),
      );
      return ev.n < STEPS
        ? new Hop({ n: ev.n + 1 })
        : new StopEvent({ result: `${STEPS} steps done` });
    });
}
