/**
 * Wraps a laid-out scene in one self-contained HTML page: styles, SVG, data and script are all
 * inline, and a Content-Security-Policy forbids the page from loading anything, so it opens the
 * same from file://, offline, or behind a server.
 */
import type { LaidOutScene } from "./layout.js";
import type { NodeDetails } from "./scene.js";
import { escapeXml, renderLegendSwatch, renderSceneSvg, styleRules } from "./svg.js";
import { VIEWER_SCRIPT } from "./viewer-script.js";

const CONTENT_SECURITY_POLICY =
  "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

const PAGE_STYLES = `
*{box-sizing:border-box}
html,body{margin:0;height:100%}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#1f2328;background:#f6f7f9;display:flex;flex-direction:column}
header{display:flex;flex-wrap:wrap;align-items:center;gap:8px 24px;padding:10px 16px;background:#fff;border-bottom:1px solid #d8dee4}
header h1{font-size:18px;margin:0;font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace}
header .sw-subtitle{font-size:13px;color:#59636e;margin:2px 0 0}
.sw-legend{display:flex;flex-wrap:wrap;gap:6px 14px;font-size:12px;color:#393f46;margin:0;padding:0;list-style:none}
.sw-legend li{display:flex;align-items:center;gap:6px}
.sw-toolbar{margin-left:auto;display:flex;gap:6px}
.sw-toolbar button{font:inherit;font-size:13px;padding:4px 12px;border:1px solid #c5cdd5;border-radius:6px;background:#fff;cursor:pointer}
.sw-toolbar button:hover{background:#eef1f4}
main{flex:1;display:flex;min-height:0}
#sw-stage{flex:1;position:relative;min-width:0;background-color:#f6f7f9;background-image:radial-gradient(#d5dae0 1px,transparent 1px);background-size:18px 18px}
#sw-canvas{position:absolute;inset:0;width:100%;height:100%;cursor:grab;touch-action:none;user-select:none}
#sw-canvas.sw-dragging{cursor:grabbing}
aside{width:340px;flex:none;border-left:1px solid #d8dee4;background:#fff;overflow:auto}
#sw-panel-body{padding:14px 16px;font-size:13px;line-height:1.45}
.sw-hint{color:#59636e}
.sw-kind{margin:0;text-transform:uppercase;letter-spacing:.06em;font-size:11px;color:#59636e}
.sw-title{margin:2px 0 12px;font-size:17px;font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;word-break:break-all}
.sw-rows{display:grid;grid-template-columns:max-content 1fr;gap:6px 12px;margin:0}
.sw-rows dt{color:#59636e}
.sw-rows dd{margin:0;font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:12px;word-break:break-word}
aside h3{font-size:13px;margin:16px 0 6px}
.sw-fields{border-collapse:collapse;width:100%;font-size:12px}
.sw-fields th{text-align:left;color:#59636e;font-weight:500;border-bottom:1px solid #d8dee4;padding:3px 6px 3px 0}
.sw-fields td{padding:3px 6px 3px 0;vertical-align:top;font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;word-break:break-word}
.sw-optional{color:#8c959f;font-family:system-ui,sans-serif;font-size:11px}
.sw-field-description td{color:#59636e;font-family:inherit;padding-bottom:6px}
.sw-note{color:#59636e;font-style:italic}
.sw-error{background:#fff1f0;border:1px solid #ffccc7;color:#8a1c12;padding:8px;border-radius:6px;white-space:pre-wrap;word-break:break-word;font-size:12px}
.sw-schema summary{cursor:pointer;color:#59636e;margin-top:14px}
.sw-schema pre{font-size:11px;background:#f6f8fa;padding:8px;border-radius:6px;overflow:auto}
.sw-node{cursor:pointer;outline:none}
.sw-node .sw-shape{stroke-width:1.5}
.sw-node:hover .sw-shape{stroke-width:2.5}
.sw-node:focus-visible .sw-shape{stroke:#0969da;stroke-width:3}
.sw-node.sw-selected .sw-shape{stroke:#1f2328;stroke-width:3}
.sw-label{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-weight:600;text-anchor:middle;dominant-baseline:central;pointer-events:none}
.sw-sublabel{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;text-anchor:middle;dominant-baseline:central;opacity:.8;pointer-events:none}
.sw-edge path{fill:none;stroke:#7d8590;stroke-width:1.6}
.sw-edge-retry path{stroke:#b07800;stroke-dasharray:6 4}
.sw-edge-failure path{stroke:#b3261e;stroke-dasharray:6 4}
.sw-edge-subclass path{stroke-dasharray:1.5 4;stroke-linecap:round;stroke-width:2}
.sw-edge-many .sw-edge-line{stroke-width:6.5}
.sw-edge-many .sw-edge-gap,.sw-edge-many.sw-active .sw-edge-gap{stroke:#f6f7f9;stroke-width:2.5}
.sw-edge-many .sw-edge-tip,.sw-edge-many.sw-active .sw-edge-tip{stroke:none}
.sw-edge-many.sw-active .sw-edge-line{stroke-width:7}
.sw-edge-many .sw-edge-label{font-weight:600;fill:#393f46}
.sw-edge-label{fill:#59636e;text-anchor:middle;dominant-baseline:central;font-family:system-ui,sans-serif;paint-order:stroke;stroke:#f6f7f9;stroke-width:4px}
.sw-has-selection .sw-node:not(.sw-selected):not(.sw-neighbour){opacity:.35}
.sw-has-selection .sw-edge:not(.sw-active){opacity:.2}
.sw-edge.sw-active path{stroke:#1f2328;stroke-width:2.2}
#sw-arrow path{fill:#7d8590}
.sw-edge-retry .sw-edge-label{fill:#8a5d00}
.sw-edge-failure .sw-edge-label{fill:#b3261e}
.sw-node .sw-stack{stroke-width:1.5;opacity:.75}
#sw-arrow-retry path{fill:#b07800}
#sw-arrow-failure path{fill:#b3261e}
#sw-arrow-active path{fill:#1f2328}
`;

/** Renders the whole page for a laid-out scene. */
export function renderHtmlPage(laidOut: LaidOutScene): string {
  const { scene } = laidOut;
  const details: Record<string, NodeDetails> = {};
  for (const node of scene.nodes) details[node.id] = node.details;
  const data = { width: laidOut.width, height: laidOut.height, details };
  const legend = scene.legend
    .map(
      (entry) =>
        `<li>${renderLegendSwatch(entry.shape, entry.style)}<span>${escapeXml(entry.label)}</span></li>`,
    )
    .join("");

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="@stepwise/draw">
<title>${escapeXml(scene.title)} · stepwise</title>
<style>${PAGE_STYLES}
${styleRules()}
</style>
</head>
<body>
<header>
<div><h1>${escapeXml(scene.title)}</h1><p class="sw-subtitle">${escapeXml(scene.subtitle)}</p></div>
<ul class="sw-legend" aria-label="Legend">${legend}</ul>
<div class="sw-toolbar"><button type="button" id="sw-zoom-out" title="Zoom out (-)">−</button><button type="button" id="sw-zoom-in" title="Zoom in (+)">+</button><button type="button" id="sw-fit" title="Fit the drawing to the window (0)">Fit</button></div>
</header>
<main>
<div id="sw-stage">
<svg id="sw-canvas" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${escapeXml(`${scene.title}: ${scene.subtitle}`)}">
<defs>
<marker id="sw-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z"/></marker>
<marker id="sw-arrow-active" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z"/></marker>
<marker id="sw-arrow-retry" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z"/></marker>
<marker id="sw-arrow-failure" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z"/></marker>
</defs>
<g id="sw-viewport">
${renderSceneSvg(laidOut)}
</g>
</svg>
</div>
<aside aria-label="Details"><div id="sw-panel-body"></div></aside>
</main>
<script type="application/json" id="sw-data">${jsonForScript(data)}</script>
<script>${VIEWER_SCRIPT}</script>
</body>
</html>
`;
}

/** JSON that is safe inside a `<script>` element: no `<` can close it early. */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replaceAll("<", "\\u003c")
    .replaceAll("\u2028", "\\u2028")
    .replaceAll("\u2029", "\\u2029");
}
