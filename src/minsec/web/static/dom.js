// DOM helpers (text is always set as text, never as HTML) and number formats.

/**
 * Make an element: h("div", {class: "x", onclick: fn}, "text", child, [more]).
 * Attributes starting with "on" become listeners; null/false attributes are left out.
 */
export function h(tag, attrs = null, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = "http://www.w3.org/2000/svg";

/** The same for SVG elements. */
export function s(tag, attrs = null, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el, attrs) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "value" && "value" in el) el.value = v;
    else if (k === "checked") el.checked = Boolean(v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace the children of `el`. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// -- numbers -------------------------------------------------------------------------

const nf = (digits) =>
  new Intl.NumberFormat("en-US", { maximumFractionDigits: digits, minimumFractionDigits: 0 });

/** A number with thousands separators; "–" when missing. */
export function num(x, digits = 0) {
  if (x === null || x === undefined || Number.isNaN(x)) return "–";
  return nf(digits).format(x);
}

/** A fraction 0..1 as a percentage. */
export function pct(fraction, digits = 1) {
  if (fraction === null || fraction === undefined || Number.isNaN(fraction)) return "–";
  return `${nf(digits).format(fraction * 100)} %`;
}

/** A value already in percent. */
export function pctv(value, digits = 1) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  return `${nf(digits).format(value)} %`;
}

/** Tonnes, compact for big numbers. */
export function tonnes(x) {
  if (x === null || x === undefined || Number.isNaN(x)) return "–";
  const a = Math.abs(x);
  if (a >= 1e6) return `${nf(2).format(x / 1e6)} Mt`;
  if (a >= 1e4) return `${nf(0).format(x)} t`;
  if (a >= 10) return `${nf(0).format(x)} t`;
  return `${nf(2).format(x)} t`;
}

/** US dollars, compact ($ k/m/bn). */
export function usd(x) {
  if (x === null || x === undefined || Number.isNaN(x)) return "–";
  const a = Math.abs(x);
  if (a >= 1e9) return `$${nf(2).format(x / 1e9)} bn`;
  if (a >= 1e6) return `$${nf(1).format(x / 1e6)} m`;
  if (a >= 1e3) return `$${nf(0).format(x / 1e3)} k`;
  return `$${nf(0).format(x)}`;
}

/** Thousand US dollars (trade values) as dollars. */
export function kusd(x) {
  return x === null || x === undefined ? "–" : usd(x * 1000);
}

// -- common blocks ---------------------------------------------------------------------

/** The API's error as a readable box: message, the field concerned, and the hint. */
export function errorBox(error, what = null) {
  const box = h("div", { class: "error", role: "alert" });
  const title = what ? `${what}: ` : "";
  box.append(h("strong", null, `${title}${error.message || String(error)}`));
  if (error.field) box.append(h("div", { class: "error-field" }, `Field: ${error.field}`));
  if (error.hint) box.append(h("div", { class: "error-hint" }, `Hint: ${error.hint}`));
  if (error.status) box.append(h("div", { class: "error-status" }, `HTTP ${error.status}`));
  return box;
}

/** A loading placeholder with a spinner and what is being loaded. */
export function loading(text = "Loading…") {
  return h("div", { class: "loading", role: "status", "aria-live": "polite" },
    h("span", { class: "spinner", "aria-hidden": "true" }), text);
}

/** A labelled <select>; options are [value, label] pairs or strings. */
export function select(label, options, value, onchange, attrs = {}) {
  const el = h("select", { ...attrs, onchange: (e) => onchange(e.target.value) },
    options.map((o) => {
      const [v, text] = Array.isArray(o) ? o : [o, o];
      return h("option", { value: v, selected: String(v) === String(value) }, text);
    }));
  el.value = value ?? "";
  return h("label", { class: "field" }, h("span", null, label), el);
}

/** A labelled <input>. */
export function input(label, attrs = {}) {
  return h("label", { class: "field" }, h("span", null, label), h("input", attrs));
}

/** A simple table: columns are {label, value: row => text|Node, num: bool, cls, title}. */
export function dataTable(columns, rows, attrs = {}) {
  return h("div", { class: "table-wrap" },
    h("table", attrs,
      h("thead", null, h("tr", null, columns.map((c) =>
        h("th", { class: cls(c), scope: "col", title: c.title || null }, c.label)))),
      h("tbody", null, rows.map((r) => h("tr", null, columns.map((c) =>
        h("td", { class: cls(c) }, c.value(r))))))));
}

function cls(column) {
  return [column.num ? "num" : "", column.cls || ""].join(" ").trim() || null;
}

/** A small card with a label, a big value and a note. */
export function stat(label, value, note = null, attrs = {}) {
  return h("div", { class: "stat", ...attrs },
    h("div", { class: "stat-label" }, label),
    h("div", { class: "stat-value" }, value),
    note ? h("div", { class: "stat-note" }, note) : null);
}

/** Source and year line under a chart or table. */
export function source(text) {
  return h("p", { class: "source" }, text);
}

/** A small inline bar for a table cell, `fraction` of its full width (0..1). */
export function bar(fraction, color = null) {
  const el = h("span", { class: "inline-bar", "aria-hidden": "true" });
  el.style.width = `${Math.max(1, Math.round(Math.min(1, Math.max(0, fraction || 0)) * 56))}px`;
  if (color) el.style.background = color;
  return el;
}
