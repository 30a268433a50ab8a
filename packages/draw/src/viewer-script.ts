/**
 * The script of a drawing page: pan (drag), zoom (wheel, buttons), fit, and the details panel.
 *
 * It is kept as source text rather than a function turned into a string, because the TypeScript
 * loaders used in tests (tsx, esbuild) may inject helpers into a function's body that would not
 * exist in the page. It reads the data block `#sw-data` written by `html-page.ts`.
 */
export const VIEWER_SCRIPT = `
(() => {
  "use strict";
  const data = JSON.parse(document.getElementById("sw-data").textContent);
  const svg = document.getElementById("sw-canvas");
  const viewport = document.getElementById("sw-viewport");
  const panel = document.getElementById("sw-panel-body");
  const MIN_SCALE = 0.05;
  const MAX_SCALE = 6;
  let scale = 1;
  let tx = 0;
  let ty = 0;
  let selected = null;

  function apply() {
    viewport.setAttribute("transform", "translate(" + tx + " " + ty + ") scale(" + scale + ")");
  }

  function fit() {
    const box = svg.getBoundingClientRect();
    const pad = 32;
    const width = Math.max(box.width, 1);
    const height = Math.max(box.height, 1);
    scale = Math.min((width - 2 * pad) / data.width, (height - 2 * pad) / data.height, 1.6);
    scale = Math.max(scale, MIN_SCALE);
    tx = (width - data.width * scale) / 2;
    ty = Math.max((height - data.height * scale) / 2, pad / 2);
    apply();
  }

  function zoomAt(px, py, factor) {
    const next = Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale * factor));
    tx = px - (px - tx) * (next / scale);
    ty = py - (py - ty) * (next / scale);
    scale = next;
    apply();
  }

  function zoomAtCenter(factor) {
    const box = svg.getBoundingClientRect();
    zoomAt(box.width / 2, box.height / 2, factor);
  }

  svg.addEventListener(
    "wheel",
    (event) => {
      event.preventDefault();
      const box = svg.getBoundingClientRect();
      const delta = event.deltaMode === 1 ? event.deltaY * 16 : event.deltaY;
      zoomAt(event.clientX - box.left, event.clientY - box.top, Math.exp(-delta * 0.0015));
    },
    { passive: false },
  );

  let drag = null;
  svg.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    drag = { x: event.clientX, y: event.clientY, tx, ty, moved: false, target: event.target };
    svg.setPointerCapture(event.pointerId);
  });
  svg.addEventListener("pointermove", (event) => {
    if (!drag) return;
    const dx = event.clientX - drag.x;
    const dy = event.clientY - drag.y;
    if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
    drag.moved = true;
    svg.classList.add("sw-dragging");
    tx = drag.tx + dx;
    ty = drag.ty + dy;
    apply();
  });
  function endDrag(event) {
    if (!drag) return;
    const wasClick = !drag.moved;
    const target = drag.target;
    drag = null;
    svg.classList.remove("sw-dragging");
    if (svg.hasPointerCapture(event.pointerId)) svg.releasePointerCapture(event.pointerId);
    if (!wasClick) return;
    const node = target instanceof Element ? target.closest(".sw-node") : null;
    select(node ? node.getAttribute("data-id") : null);
  }
  svg.addEventListener("pointerup", endDrag);
  svg.addEventListener("pointercancel", (event) => {
    drag = null;
    svg.classList.remove("sw-dragging");
    if (svg.hasPointerCapture(event.pointerId)) svg.releasePointerCapture(event.pointerId);
  });

  svg.addEventListener("keydown", (event) => {
    const node = event.target instanceof Element ? event.target.closest(".sw-node") : null;
    if (node && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      select(node.getAttribute("data-id"));
    }
  });
  document.addEventListener("keydown", (event) => {
    if (event.target instanceof HTMLInputElement) return;
    if (event.key === "Escape") select(null);
    else if (event.key === "+" || event.key === "=") zoomAtCenter(1.25);
    else if (event.key === "-") zoomAtCenter(0.8);
    else if (event.key === "0") fit();
  });

  document.getElementById("sw-fit").addEventListener("click", fit);
  document.getElementById("sw-zoom-in").addEventListener("click", () => zoomAtCenter(1.25));
  document.getElementById("sw-zoom-out").addEventListener("click", () => zoomAtCenter(0.8));
  window.addEventListener("resize", fit);

  function element(tag, className, text) {
    const el = document.createElement(tag);
    if (className) el.className = className;
    if (text !== undefined) el.textContent = text;
    return el;
  }

  function select(id) {
    selected = id && data.details[id] ? id : null;
    document.body.classList.toggle("sw-has-selection", selected !== null);
    for (const node of svg.querySelectorAll(".sw-node")) {
      node.classList.toggle("sw-selected", node.getAttribute("data-id") === selected);
    }
    const neighbours = new Set();
    for (const edge of svg.querySelectorAll(".sw-edge")) {
      const from = edge.getAttribute("data-from");
      const to = edge.getAttribute("data-to");
      const active = selected !== null && (from === selected || to === selected);
      edge.classList.toggle("sw-active", active);
      const path = edge.querySelector("path[marker-end]");
      if (path) {
        if (!path.dataset.marker) path.dataset.marker = path.getAttribute("marker-end");
        path.setAttribute("marker-end", active ? "url(#sw-arrow-active)" : path.dataset.marker);
      }
      if (active) {
        neighbours.add(from);
        neighbours.add(to);
      }
    }
    for (const node of svg.querySelectorAll(".sw-node")) {
      node.classList.toggle("sw-neighbour", neighbours.has(node.getAttribute("data-id")));
    }
    renderDetails();
  }

  function renderDetails() {
    panel.replaceChildren();
    if (selected === null) {
      panel.append(element("p", "sw-hint", "Click a step or an event to see its details. Drag to pan, use the wheel to zoom."));
      return;
    }
    const details = data.details[selected];
    panel.append(element("p", "sw-kind", details.kind), element("h2", "sw-title", details.title));
    if (details.rows.length > 0) {
      const list = element("dl", "sw-rows");
      for (const [label, value] of details.rows) {
        list.append(element("dt", "", label), element("dd", "", value));
      }
      panel.append(list);
    }
    if (details.error) {
      panel.append(element("h3", "", "Error"), element("pre", "sw-error", details.error));
    }
    if (details.fields && details.fields.length > 0) {
      panel.append(element("h3", "", "Fields"));
      const table = element("table", "sw-fields");
      const head = element("tr");
      head.append(element("th", "", "name"), element("th", "", "type"), element("th", "", "default"));
      table.append(head);
      for (const field of details.fields) {
        const row = element("tr");
        const name = element("td", "sw-field-name", field.name);
        if (!field.required) name.append(element("span", "sw-optional", " optional"));
        row.append(name, element("td", "sw-field-type", field.type), element("td", "", field.defaultValue ?? ""));
        table.append(row);
        if (field.description) {
          const descriptionRow = element("tr", "sw-field-description");
          const cell = element("td", "", field.description);
          cell.colSpan = 3;
          descriptionRow.append(cell);
          table.append(descriptionRow);
        }
      }
      panel.append(table);
    }
    if (details.note) panel.append(element("p", "sw-note", details.note));
    if (details.schema !== undefined) {
      const block = element("details", "sw-schema");
      block.append(element("summary", "", "JSON Schema"), element("pre", "", JSON.stringify(details.schema, null, 2)));
      panel.append(block);
    }
  }

  fit();
  renderDetails();
})();
`;
