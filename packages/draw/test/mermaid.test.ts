import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { drawAllPossibleFlowsMermaid } from "@stepwise/draw";
import { ApprovalWorkflow, RAGWorkflow } from "./fixtures/workflows.js";

const workDir = mkdtempSync(join(tmpdir(), "stepwise-mermaid-"));
after(() => rmSync(workDir, { recursive: true, force: true }));

const CLASS_DEFS = [
  "    classDef stepStyle fill:#ADD8E6,color:#000000,line-height:1.2",
  "    classDef externalStyle fill:#BEDAE4,color:#000000,line-height:1.2",
  "    classDef startEventStyle fill:#E27AFF,color:#000000",
  "    classDef stopEventStyle fill:#FFA07A,color:#000000",
  "    classDef defaultEventStyle fill:#90EE90,color:#000000",
];

function lines(text: string): string[] {
  return text.split("\n");
}

describe("drawAllPossibleFlowsMermaid", () => {
  it("writes a flowchart TD with steps as boxes, events as stadiums and the Python class styles", () => {
    const text = drawAllPossibleFlowsMermaid(RAGWorkflow);
    const output = lines(text);
    assert.equal(output[0], "flowchart TD");
    for (const line of [
      '    step_retrieve["retrieve"]:::stepStyle',
      '    step_synthesize["synthesize"]:::stepStyle',
      '    event_StartEvent(["StartEvent"]):::startEventStyle',
      '    event_RetrieveEvent(["RetrieveEvent"]):::defaultEventStyle',
      '    event_StopEvent(["StopEvent"]):::stopEventStyle',
      "    event_StartEvent --> step_retrieve",
      "    step_retrieve --> event_RetrieveEvent",
      "    event_RetrieveEvent --> step_synthesize",
      "    step_synthesize --> event_StopEvent",
      ...CLASS_DEFS,
    ]) {
      assert.ok(output.includes(line), `missing line: ${line}\n${text}`);
    }
    assert.deepEqual(output.slice(-CLASS_DEFS.length), CLASS_DEFS);
  });

  it("routes a human-in-the-loop exchange through external_step", () => {
    const output = lines(drawAllPossibleFlowsMermaid(new ApprovalWorkflow()));
    assert.ok(output.includes('    external_step["external_step"]:::externalStyle'));
    assert.ok(output.includes("    event_ApprovalRequestEvent --> external_step"));
    assert.ok(output.includes("    external_step --> event_ApprovalResponseEvent"));
  });

  it("shortens labels but not ids with maxLabelLength", () => {
    const output = lines(drawAllPossibleFlowsMermaid(RAGWorkflow, { maxLabelLength: 6 }));
    assert.ok(output.includes('    step_synthesize["synth*"]:::stepStyle'));
  });

  it("writes the text to filename when one is given, and returns it either way", () => {
    const filename = join(workDir, "rag.mmd");
    const text = drawAllPossibleFlowsMermaid(RAGWorkflow, { filename });
    assert.equal(readFileSync(filename, "utf8"), text);
  });

  it("declares every node once and every edge once", () => {
    const output = lines(drawAllPossibleFlowsMermaid(RAGWorkflow));
    assert.equal(new Set(output).size, output.length);
  });
});
