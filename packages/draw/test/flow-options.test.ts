import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Event, getWorkflowGraph, StartEvent, StopEvent, Workflow } from "@stepwise/core";
import { drawAllPossibleFlowsMermaid, renderFlowsHtml } from "@stepwise/draw";
import { z } from "zod";
import {
  BodyEvent,
  DoneEvent,
  HeaderEvent,
  MapReduceWorkflow,
  PageWorkflow,
  ShelterWorkflow,
  TaskEvent,
} from "./fixtures/workflows.js";
import { drawnEdges, nodeClasses, nodeLabel, nodeSublabel, pageData, placedBoxes } from "./html.js";

/** start -> split (fanOut) -> work -> gather (collect `collect`) -> stop, as a function workflow. */
function gathering(collect: true | { take: number }) {
  const wf = new Workflow({ name: "Gathering" });
  wf.addStep("split", { accepts: StartEvent, emits: TaskEvent, fanOut: true }, () => []);
  wf.addStep("work", { accepts: TaskEvent, emits: DoneEvent }, (ev: TaskEvent) => {
    return new DoneEvent({ n: ev.n });
  });
  wf.addStep(
    "gather",
    { accepts: DoneEvent, emits: StopEvent, collect },
    (done: DoneEvent[]) => new StopEvent({ result: done.length }),
  );
  return wf;
}

function rows(html: string, id: string): Record<string, string> {
  return Object.fromEntries(pageData(html).details[id]!.rows);
}

describe("getWorkflowGraph and the flow options", () => {
  it("gives each step node its fanOut, collect, join and acceptEventSubclasses", () => {
    const steps = (wf: Parameters<typeof getWorkflowGraph>[0]) =>
      Object.fromEntries(
        getWorkflowGraph(wf).nodes.flatMap((node) =>
          node.kind === "step"
            ? [[node.name, [node.fanOut, node.collect, node.join, node.acceptEventSubclasses]]]
            : [],
        ),
      );
    assert.deepEqual(steps(MapReduceWorkflow), {
      split: [true, null, false, false],
      work: [false, null, false, false],
      gather: [false, true, false, false],
    });
    assert.deepEqual(steps(gathering({ take: 2 })).gather, [false, { take: 2 }, false, false]);
    assert.deepEqual(steps(PageWorkflow).assemble, [false, null, true, false]);
    assert.deepEqual(steps(ShelterWorkflow).welcome, [false, null, false, true]);
  });

  it("draws an edge from every subclass event in the graph to a step that takes subclasses", () => {
    const into = getWorkflowGraph(ShelterWorkflow)
      .edges.filter((edge) => edge.to === "step:welcome")
      .map((edge) => edge.from);
    assert.deepEqual(into, ["event:AnimalEvent", "event:DogEvent", "event:CatEvent"]);
  });

  it("draws no subclass edges into a step that takes its exact class only", () => {
    class Animal extends Event.define({ name: z.string() }) {}
    class Dog extends Animal {}
    const wf = new Workflow();
    wf.addStep("start", { accepts: StartEvent, emits: [Dog, Animal] }, () => null);
    wf.addStep("exact", { accepts: Animal, emits: StopEvent }, () => new StopEvent({}));
    const into = getWorkflowGraph(wf)
      .edges.filter((edge) => edge.to === "step:exact")
      .map((edge) => edge.from);
    assert.deepEqual(into, ["event:Animal"]);
  });

  it("never draws a stop event's subclass into a step, which routing never does", () => {
    class Finished extends StopEvent {}
    class Note extends Event.define({ text: z.string() }) {}
    const wf = new Workflow();
    wf.addStep("start", { accepts: StartEvent, emits: [Note, Finished] }, () => null);
    wf.addStep("audit", { accepts: Event, emits: StopEvent, acceptEventSubclasses: true }, () => {
      return new StopEvent({});
    });
    const into = getWorkflowGraph(wf)
      .edges.filter((edge) => edge.to === "step:audit")
      .map((edge) => edge.from);
    assert.ok(into.includes("event:Note"), `a plain subclass is drawn: ${into}`);
    assert.ok(into.includes("event:StartEvent"), `the start event is an Event too: ${into}`);
    assert.ok(!into.includes("event:Finished"), `a stop event is not: ${into}`);
    assert.ok(!into.includes("event:StopEvent"), `nor StopEvent itself: ${into}`);
  });
});

describe("the drawing of all possible flows with fan-out and fan-in", () => {
  it("draws a fanOut step as a fork marked fan-out, with a double ×n edge to its events", () => {
    const html = renderFlowsHtml(MapReduceWorkflow);
    assert.ok(nodeClasses(html, "step:split").includes("sw-fork"));
    assert.equal(nodeSublabel(html, "step:split"), "fan-out");
    const out = drawnEdges(html).find((edge) => edge.from === "step:split")!;
    assert.deepEqual(out, {
      className: "sw-edge sw-edge-many",
      from: "step:split",
      to: "event:TaskEvent",
      label: "×n",
    });
  });

  it("draws a collect step as a join, with a double edge from what it collects", () => {
    const html = renderFlowsHtml(MapReduceWorkflow);
    assert.ok(nodeClasses(html, "step:gather").includes("sw-join"));
    assert.equal(nodeLabel(html, "step:gather"), "gather");
    assert.equal(nodeSublabel(html, "step:gather"), "collect all");
    const into = drawnEdges(html).filter((edge) => edge.to === "step:gather");
    assert.deepEqual(into, [
      {
        className: "sw-edge sw-edge-many",
        from: "event:DoneEvent",
        to: "step:gather",
        label: "×n",
      },
    ]);
  });

  it("says take n on a collect step with a take, and first n on its input edge", () => {
    const html = renderFlowsHtml(gathering({ take: 2 }));
    assert.equal(nodeSublabel(html, "step:gather"), "take 2");
    assert.equal(drawnEdges(html).find((edge) => edge.to === "step:gather")?.label, "first 2");
  });

  it("leaves the other steps and edges plain", () => {
    const html = renderFlowsHtml(MapReduceWorkflow);
    assert.equal(nodeSublabel(html, "step:work"), "8 workers");
    assert.ok(!nodeClasses(html, "step:work").some((name) => /^sw-(fork|join)$/.test(name)));
    for (const edge of drawnEdges(html).filter((e) => e.from !== "step:split")) {
      if (edge.to === "step:gather") continue;
      assert.equal(edge.className, "sw-edge", `${edge.from} -> ${edge.to}`);
    }
  });

  it("labels a join step with what it joins, drawn as a join", () => {
    const html = renderFlowsHtml(PageWorkflow);
    assert.ok(nodeClasses(html, "step:assemble").includes("sw-join"));
    assert.equal(nodeSublabel(html, "step:assemble"), "join HeaderEvent + BodyEvent");
    const into = drawnEdges(html).filter((edge) => edge.to === "step:assemble");
    assert.deepEqual(
      into.map((edge) => edge.from),
      ["event:HeaderEvent", "event:BodyEvent"],
    );
  });

  it("places a join's inputs left to right in its accepts order", () => {
    for (const accepts of [
      [HeaderEvent, BodyEvent],
      [BodyEvent, HeaderEvent],
    ] as const) {
      const wf = new Workflow({ name: "Join" });
      wf.addStep("title", { accepts: StartEvent, emits: HeaderEvent }, () => null);
      wf.addStep("body", { accepts: StartEvent, emits: BodyEvent }, () => null);
      wf.addStep("assemble", { accepts, emits: StopEvent, join: true }, () => null);
      const x = new Map(placedBoxes(renderFlowsHtml(wf)).map((box) => [box.id, box.x]));
      const [left, right] = accepts.map((cls) => x.get(`event:${cls.eventType}`)!);
      assert.ok(left! < right!, `${accepts.map((cls) => cls.eventType)}: ${left} < ${right}`);
    }
  });

  it("draws the subclass edges dotted and labelled, and says + subclasses on the step", () => {
    const html = renderFlowsHtml(ShelterWorkflow);
    assert.equal(nodeSublabel(html, "step:welcome"), "+ subclasses");
    const into = drawnEdges(html).filter((edge) => edge.to === "step:welcome");
    assert.deepEqual(
      into.map((edge) => [edge.from, edge.className, edge.label]),
      [
        ["event:AnimalEvent", "sw-edge", undefined],
        ["event:DogEvent", "sw-edge sw-edge-subclass", "subclass"],
        ["event:CatEvent", "sw-edge sw-edge-subclass", "subclass"],
      ],
    );
  });

  it("lists the options in the details of each step", () => {
    const mapReduce = renderFlowsHtml(MapReduceWorkflow);
    assert.match(rows(mapReduce, "step:split")["Fan-out"]!, /^may return an array of TaskEvent/);
    assert.match(rows(mapReduce, "step:gather")["Fan-in"]!, /^collect all: .*in fan-out order/);
    assert.equal(rows(mapReduce, "step:work")["Fan-in"], undefined);
    assert.match(
      rows(renderFlowsHtml(gathering({ take: 3 })), "step:gather")["Fan-in"]!,
      /^take 3: runs on the 3rd DoneEvent .* with the first 3 to arrive/,
    );
    assert.equal(
      rows(renderFlowsHtml(PageWorkflow), "step:assemble").Join,
      "runs once it holds one HeaderEvent and one BodyEvent, receiving [HeaderEvent, BodyEvent]",
    );
    assert.equal(
      rows(renderFlowsHtml(ShelterWorkflow), "step:welcome").Subclasses,
      "also receives subclasses of AnimalEvent: DogEvent, CatEvent",
    );
  });

  it("names the fan-out, the fan-in and the subclass in the events' details", () => {
    const mapReduce = renderFlowsHtml(MapReduceWorkflow);
    assert.equal(rows(mapReduce, "event:TaskEvent")["Emitted by"], "split (fan-out)");
    assert.equal(rows(mapReduce, "event:DoneEvent")["Accepted by"], "gather (collect all)");
    const shelter = renderFlowsHtml(ShelterWorkflow);
    assert.equal(rows(shelter, "event:DogEvent")["Accepted by"], "welcome (as a subclass)");
  });

  it("adds the fork and join shapes to the legend only when the workflow has them", () => {
    const legend = (html: string) =>
      [...html.matchAll(/<li><svg class="[^"]*"[^>]*>.*?<\/svg><span>([^<]*)<\/span><\/li>/g)].map(
        (m) => m[1],
      );
    assert.deepEqual(legend(renderFlowsHtml(MapReduceWorkflow)).slice(-2), [
      "fan-out step",
      "fan-in / join step",
    ]);
    assert.ok(!legend(renderFlowsHtml(ShelterWorkflow)).includes("fan-out step"));
  });
});

describe("the Mermaid text of all possible flows with fan-out and fan-in", () => {
  it("draws a fan-out step wide at the bottom and a collect step wide at the top, with thick ×n edges", () => {
    const lines = drawAllPossibleFlowsMermaid(MapReduceWorkflow).split("\n");
    for (const line of [
      '    step_split[/"split<br/>fan-out"\\]:::stepStyle',
      '    step_gather[\\"gather<br/>collect all"/]:::stepStyle',
      '    step_work["work"]:::stepStyle',
      '    step_split ==>|"×n"| event_TaskEvent',
      '    event_DoneEvent ==>|"×n"| step_gather',
      "    event_TaskEvent --> step_work",
    ]) {
      assert.ok(lines.includes(line), `missing line: ${line}\n${lines.join("\n")}`);
    }
  });

  it("labels a join step and draws subclass edges dotted", () => {
    const page = drawAllPossibleFlowsMermaid(PageWorkflow).split("\n");
    assert.ok(
      page.includes(
        '    step_assemble[\\"assemble<br/>join HeaderEvent + BodyEvent"/]:::stepStyle',
      ),
    );
    const shelter = drawAllPossibleFlowsMermaid(ShelterWorkflow).split("\n");
    assert.ok(shelter.includes('    step_welcome["welcome<br/>+ subclasses"]:::stepStyle'));
    assert.ok(shelter.includes('    event_DogEvent -.->|"subclass"| step_welcome'));
    assert.ok(shelter.includes("    event_AnimalEvent --> step_welcome"));
  });
});
