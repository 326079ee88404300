// Inline SVG charts: line chart, horizontal bar chart, world choropleth. They scale
// with their container through the viewBox; hover (or tap) shows the values.

import { h, s } from "./dom.js";

export const PALETTE = ["#1f5fa8", "#c2452d", "#2a9d8f", "#8e6ac8", "#d08a1a", "#5b6470",
  "#b5487e", "#3f8f3a"];
// Sequential classes of the choropleth (light → dark), "no data" is separate.
export const SEQ = ["#e3eef6", "#bcd6ea", "#8dbadb", "#5b9bc9", "#3479b3", "#1a5793", "#0b3566"];
export const NO_DATA = "#e8e6e1";

/** Width of a chart's view box: narrower on phones so that its text stays readable. */
export function chartWidth() {
  return window.innerWidth < 700 ? 380 : 640;
}

/** Round tick values covering [lo, hi]. */
export function ticks(lo, hi, count = 5) {
  if (!(hi > lo)) hi = lo + 1;
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((st) => st >= raw) || raw;
  const out = [];
  let v = Math.floor(lo / step) * step;
  out.push(Math.round(v / step) * step);
  while (v < hi - step * 1e-9) {
    v += step;
    out.push(Math.round(v / step) * step);
  }
  return out;
}

let tipEl = null;
/** The single floating tooltip of the page. */
export function tooltip() {
  if (!tipEl) {
    tipEl = h("div", { class: "tooltip", role: "tooltip", id: "tooltip", hidden: true });
    document.body.append(tipEl);
    // on touch screens a tap shows the tooltip; a tap elsewhere hides it
    document.addEventListener("pointerdown", (e) => {
      if (!(e.target instanceof Element) || !e.target.closest(".country, svg.chart")) hideTip();
    });
  }
  return tipEl;
}

/** Show the tooltip with `lines` (first line bold) near the pointer event. */
export function showTip(event, lines) {
  const tip = tooltip();
  tip.replaceChildren(...lines.map((line, i) => h(i === 0 ? "strong" : "div", null, line)));
  tip.hidden = false;
  const pad = 14;
  const { innerWidth: w, innerHeight: hh } = window;
  const rect = tip.getBoundingClientRect();
  let x = event.clientX + pad;
  let y = event.clientY + pad;
  if (x + rect.width > w - 4) x = Math.max(4, event.clientX - rect.width - pad);
  if (y + rect.height > hh - 4) y = Math.max(4, event.clientY - rect.height - pad);
  tip.style.left = `${x}px`;
  tip.style.top = `${y}px`;
}

export function hideTip() {
  if (tipEl) tipEl.hidden = true;
}

/** Hide the tooltip when a mouse leaves (a finger lifting off keeps it visible). */
function leave(event) {
  if (event.pointerType !== "touch") hideTip();
}

/**
 * A line chart. `series`: [{name, values: [number|null per x]}]; `x`: labels.
 * Options: yLabel (with unit), yFormat, title, height, yMin, band ([lo,hi] per x, first series).
 */
export function lineChart({ series, x, yLabel = "", yFormat = (v) => String(v), title = "",
  height = 260, yMin = null, yMax = null }) {
  const W = chartWidth();
  const H = height;
  const m = { l: 62, r: 16, t: 14, b: 34 };
  const all = series.flatMap((se) => se.values).filter((v) => v !== null && Number.isFinite(v));
  let lo = yMin ?? Math.min(0, ...all);
  let hi = yMax ?? Math.max(...all, lo + 1e-9);
  if (!all.length) { lo = 0; hi = 1; }
  const yt = ticks(lo, hi, 5);
  lo = Math.min(lo, yt[0]);
  hi = Math.max(hi, yt[yt.length - 1]);
  const n = Math.max(x.length, 1);
  const px = (i) => m.l + (n === 1 ? 0.5 : i / (n - 1)) * (W - m.l - m.r);
  const py = (v) => H - m.b - ((v - lo) / (hi - lo || 1)) * (H - m.t - m.b);
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img",
    "aria-label": title || yLabel });
  const grid = s("g", { class: "grid" });
  for (const v of yt) {
    grid.append(s("line", { x1: m.l, x2: W - m.r, y1: py(v), y2: py(v) }));
    grid.append(s("text", { x: m.l - 6, y: py(v) + 4, "text-anchor": "end" }, yFormat(v)));
  }
  const every = Math.ceil(n / (W < 500 ? 4 : 8));
  x.forEach((label, i) => {
    if ((i % every === 0 && n - 1 - i >= every / 2) || i === n - 1) {
      const anchor = n > 1 && i === n - 1 ? "end" : (n > 1 && i === 0 ? "start" : "middle");
      grid.append(s("text", { x: px(i), y: H - m.b + 16, "text-anchor": anchor }, label));
    }
  });
  grid.append(s("text", { x: 12, y: m.t + (H - m.t - m.b) / 2, "text-anchor": "middle",
    transform: `rotate(-90 12 ${m.t + (H - m.t - m.b) / 2})`, class: "axis-label" }, yLabel));
  svg.append(grid);
  series.forEach((se, k) => {
    const color = se.color || PALETTE[k % PALETTE.length];
    let d = "";
    let pen = false;
    se.values.forEach((v, i) => {
      if (v === null || !Number.isFinite(v)) { pen = false; return; }
      d += `${pen ? "L" : "M"}${px(i).toFixed(1)},${py(v).toFixed(1)}`;
      pen = true;
    });
    svg.append(s("path", { d, fill: "none", stroke: color, "stroke-width": 2.2,
      "stroke-linejoin": "round", class: "series", "data-series": se.name }));
    if (n <= 12) {
      se.values.forEach((v, i) => {
        if (v !== null && Number.isFinite(v)) {
          svg.append(s("circle", { cx: px(i), cy: py(v), r: 3, fill: color }));
        }
      });
    }
  });
  const rule = s("line", { class: "rule", y1: m.t, y2: H - m.b, x1: -10, x2: -10 });
  svg.append(rule);
  const hit = s("rect", { x: m.l, y: m.t, width: W - m.l - m.r, height: H - m.t - m.b,
    fill: "transparent" });
  const move = (event) => {
    const box = svg.getBoundingClientRect();
    const fx = ((event.clientX - box.left) / box.width) * W;
    const i = Math.max(0, Math.min(n - 1, Math.round(((fx - m.l) / (W - m.l - m.r)) * (n - 1))));
    rule.setAttribute("x1", px(i));
    rule.setAttribute("x2", px(i));
    showTip(event, [String(x[i]), ...series.map((se) => `${se.name}: ${yFormat(se.values[i])}`)]);
  };
  hit.addEventListener("pointermove", move);
  hit.addEventListener("pointerdown", move);
  hit.addEventListener("pointerleave", (e) => {
    if (e.pointerType === "touch") return;
    hideTip();
    rule.setAttribute("x1", -10);
    rule.setAttribute("x2", -10);
  });
  svg.append(hit);
  const legend = h("div", { class: "legend" }, series.map((se, k) =>
    h("span", { class: "legend-item" },
      h("span", { class: `swatch c${k % PALETTE.length}` }), se.name)));
  return h("figure", { class: "figure" },
    title ? h("figcaption", null, title) : null, svg, series.length > 1 ? legend : null);
}

/**
 * Horizontal bars. `rows`: [{label, value, note}]; `format` for value labels.
 * `max` fixes the scale (default: largest value).
 */
export function barChart({ rows, format = (v) => String(v), title = "", max = null,
  color = PALETTE[0] }) {
  const W = chartWidth();
  const bar = 22;
  const gap = 8;
  const cut = W < 500 ? 20 : 30;
  const short = (t) => (t.length > cut ? `${t.slice(0, cut - 1)}…` : t);
  const longest = Math.max(...rows.map((r) => short(r.label).length), 4);
  const m = { l: Math.min(W < 500 ? 160 : 230, 16 + longest * 7.4), r: 64, t: 6, b: 6 };
  const H = m.t + m.b + rows.length * (bar + gap);
  const top = max ?? Math.max(...rows.map((r) => r.value || 0), 1e-12);
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart bars", role: "img",
    "aria-label": title });
  rows.forEach((r, i) => {
    const y = m.t + i * (bar + gap);
    const w = Math.max(0, ((r.value || 0) / top) * (W - m.l - m.r));
    const g = s("g", { class: "bar", "data-label": r.label });
    g.append(s("text", { x: m.l - 8, y: y + bar * 0.7, "text-anchor": "end" }, short(r.label),
      s("title", null, r.label)));
    g.append(s("rect", { x: m.l, y, width: w.toFixed(1), height: bar, rx: 3,
      fill: r.color || color }));
    g.append(s("text", { x: m.l + w + 6, y: y + bar * 0.7, class: "value" }, format(r.value)));
    if (r.note) {
      g.addEventListener("pointermove", (e) => showTip(e, [r.label, format(r.value), r.note]));
      g.addEventListener("pointerleave", leave);
    }
    svg.append(g);
  });
  return h("figure", { class: "figure" }, title ? h("figcaption", null, title) : null, svg);
}

/** Index of the class of `value` for thresholds `breaks` (ascending). */
export function classify(value, breaks) {
  let k = 0;
  while (k < breaks.length && value >= breaks[k]) k += 1;
  return k;
}

/**
 * A world choropleth from world.json. `values`: Map id → number; `breaks`: ascending
 * thresholds (classes = breaks.length + 1 ≤ SEQ.length); `tip(id, name, value)` → lines;
 * `highlight`: ids outlined (e.g. the importer).
 */
export function choropleth({ world, values, breaks, tip, highlight = [], label = "" }) {
  const svg = s("svg", { viewBox: `0 0 ${world.width} ${world.height}`, class: "map",
    role: "img", "aria-label": label });
  const layer = s("g", { class: "countries" });
  const top = s("g", { class: "highlight" });
  const colors = SEQ.slice(SEQ.length - breaks.length - 1);
  for (const [id, c] of Object.entries(world.countries)) {
    const value = values.get(id);
    const has = value !== undefined && value !== null && Number.isFinite(value);
    const fill = has ? colors[classify(value, breaks)] : NO_DATA;
    const path = s("path", { d: c.d, fill, class: "country", "data-id": id,
      "data-value": has ? value : null, tabindex: has ? 0 : null });
    const show = (event) => showTip(event, tip(id, c.name, has ? value : null));
    path.addEventListener("pointermove", show);
    path.addEventListener("pointerdown", show);
    path.addEventListener("focus", () => {
      const r = path.getBoundingClientRect();
      showTip({ clientX: r.left + r.width / 2, clientY: r.top + r.height / 2 },
        tip(id, c.name, has ? value : null));
    });
    path.addEventListener("pointerleave", leave);
    path.addEventListener("blur", hideTip);
    layer.append(path);
    if (highlight.includes(id)) {
      top.append(s("path", { d: c.d, fill: "none", class: "outlined" }));
    }
  }
  svg.append(layer, top);
  return { svg, colors };
}

/** The legend of a choropleth: class colours with their ranges. */
export function mapLegend({ breaks, colors, format, title, noData = "no data / none" }) {
  const items = colors.map((color, k) => {
    const lo = k === 0 ? null : breaks[k - 1];
    const hi = k < breaks.length ? breaks[k] : null;
    let text;
    if (lo === null) text = `< ${format(hi)}`;
    else if (hi === null) text = `≥ ${format(lo)}`;
    else text = `${format(lo)} – ${format(hi)}`;
    return h("span", { class: "legend-item" }, swatch(color), text);
  });
  items.push(h("span", { class: "legend-item" }, swatch(NO_DATA), noData));
  return h("div", { class: "legend map-legend", "aria-label": title },
    h("span", { class: "legend-title" }, title), items);
}

function swatch(color) {
  const el = s("svg", { viewBox: "0 0 14 14", class: "swatch-svg", "aria-hidden": "true" },
    s("rect", { width: 14, height: 14, rx: 2, fill: color }));
  return el;
}

let tornadoIds = 0;
/**
 * A tornado: one row per assumption with two bars from the published value (the dashed
 * line): the result with the assumption at its low value (hatched) and at its high value
 * (solid), each labelled at its end with the assumption's value and the result.
 * `rows`: [{label, lowText, highText, atLow, atHigh, note}] in the order to draw;
 * `base`: the published value; `format` for results.
 */
export function tornadoChart({ rows, base, format = (v) => String(v), title = "" }) {
  const W = chartWidth();
  const narrow = W < 500;
  const cut = narrow ? 14 : 22;
  const short = (t) => (t.length > cut ? `${t.slice(0, cut - 1)}…` : t);
  const bar = 11;
  const row = 2 * bar + 12;
  const m = { l: narrow ? 96 : 150, r: narrow ? 74 : 112, t: 22, b: 6 };
  const lm = narrow ? 74 : 112; // room for end labels left of the plot
  const H = m.t + m.b + rows.length * row;
  const values = rows.flatMap((r) => [r.atLow, r.atHigh]).filter(Number.isFinite);
  let lo = Math.min(base, ...values);
  let hi = Math.max(base, ...values);
  if (!(hi > lo)) { lo = base - 1; hi = base + 1; }
  const x0 = m.l + lm;
  const px = (v) => x0 + ((v - lo) / (hi - lo)) * (W - x0 - m.r);
  const id = `tornado-hatch-${++tornadoIds}`;
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart tornado", role: "img",
    "aria-label": title });
  svg.append(s("defs", null, s("pattern", { id, width: 6, height: 6,
    patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" },
  s("rect", { width: 6, height: 6, fill: "#fff" }),
  s("rect", { width: 2.4, height: 6, fill: PALETTE[0] }))));
  const xb = px(base);
  svg.append(s("line", { x1: xb, x2: xb, y1: m.t - 6, y2: H - m.b, class: "rule" }),
    s("text", { x: xb, y: m.t - 9, "text-anchor": "middle", class: "base-label" },
      `as published: ${format(base)}`));
  rows.forEach((r, i) => {
    const y = m.t + i * row;
    const g = s("g", { class: "tornado-row", "data-parameter": r.id || r.label });
    g.append(s("text", { x: 4, y: y + bar + 4, class: "row-label" }, short(r.label),
      s("title", null, r.label)));
    [[r.atLow, r.lowText, `url(#${id})`, "low"], [r.atHigh, r.highText, PALETTE[0], "high"]]
      .forEach(([v, text, fill, side], k) => {
        if (!Number.isFinite(v)) return;
        const yb = y + k * (bar + 2);
        const xv = px(v);
        const left = xv < xb;
        g.append(s("rect", { x: Math.min(xb, xv), y: yb, width: Math.max(Math.abs(xv - xb), 1),
          height: bar, fill, stroke: PALETTE[0], "stroke-width": 0.8, "data-side": side }));
        g.append(s("text", { x: xv + (left ? -4 : 4), y: yb + bar - 1.5,
          "text-anchor": left ? "end" : "start", class: "end-label", "data-side": side },
        `${text}: ${format(v)}`));
      });
    const tip = [r.label, `low ${r.lowText} → ${format(r.atLow)}`,
      `high ${r.highText} → ${format(r.atHigh)}`, r.note].filter(Boolean);
    g.addEventListener("pointermove", (e) => showTip(e, tip));
    g.addEventListener("pointerleave", leave);
    svg.append(g);
  });
  const swatch = (fill) => s("svg", { viewBox: "0 0 14 14", class: "swatch-svg",
    "aria-hidden": "true" }, s("defs", null, s("pattern", { id: `${id}-key`, width: 6, height: 6,
    patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" },
  s("rect", { width: 6, height: 6, fill: "#fff" }),
  s("rect", { width: 2.4, height: 6, fill: PALETTE[0] }))),
  s("rect", { width: 14, height: 14, fill, stroke: PALETTE[0] }));
  const legend = h("div", { class: "legend" },
    h("span", { class: "legend-item" }, swatch(`url(#${id}-key)`), "assumption at its low value"),
    h("span", { class: "legend-item" }, swatch(PALETTE[0]), "at its high value"),
    h("span", { class: "legend-item" }, "dashed line: the scenario as published"));
  return h("figure", { class: "figure" }, title ? h("figcaption", null, title) : null, svg,
    legend);
}
