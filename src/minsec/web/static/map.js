// Map page: world choropleth of production share per mineral and stage, or of the
// suppliers' shares of one importer's imports.

import { api } from "./api.js";
import { choropleth, mapLegend } from "./charts.js";
import { bar, dataTable, errorBox, fill, h, kusd, loading, num, pct, s, select, source, stat,
  tonnes } from "./dom.js";
import { countries, DEFAULT_MINERAL, importerOptions, minerals, world } from "./data.js";

const BREAKS = [0.005, 0.02, 0.05, 0.1, 0.25, 0.5];
const TRADE_YEARS = Array.from({ length: 30 }, (_, i) => 2024 - i);
const STAGE_LABEL = { mine: "mine", refinery: "refinery" };

export async function mapPage(view, ctx) {
  view.append(h("div", { class: "page-head" },
    h("div", null, h("h1", null, "World map"),
      h("p", null, "Where a mineral is produced, and where an importer buys it. " +
        "Hover or tap a country for its figures."))));
  const controls = h("div", { class: "controls", id: "map-controls" });
  const body = h("div", { class: "grid2" });
  view.append(h("div", { class: "panel bar-panel" }, controls), body);
  body.append(loading("Loading the map…"));

  const [mins, geo, opts, ctry] = await Promise.all([minerals(), world(), importerOptions(),
    countries()]);
  if (!ctx.alive()) return;
  const p = { ...ctx.params };
  const mineral = mins.find((m) => m.id === p.commodity) ||
    mins.find((m) => m.id === DEFAULT_MINERAL) || mins[0];
  if (!mineral) {
    fill(body, errorBox({ message: "The store holds no production data.",
      hint: "Import data first: minsec data fetch" }));
    return;
  }
  const state = {
    mode: p.mode === "imports" ? "imports" : "production",
    commodity: mineral.id,
    stage: p.stage,
    year: p.year ? Number(p.year) : null,
    importer: p.importer || "JPN",
    tyear: p.tyear ? Number(p.tyear) : 2024,
  };
  let seq = 0;

  const draw = async () => {
    const m = mins.find((x) => x.id === state.commodity);
    const st = m.stages.find((x) => x.stage === state.stage) ||
      m.stages.find((x) => x.stage === "mine") || m.stages[0];
    state.stage = st.stage;
    if (!state.year || state.year < st.first || state.year > st.last) state.year = st.last;
    ctx.go({ mode: state.mode, commodity: state.commodity, stage: state.stage,
      year: state.year, importer: state.mode === "imports" ? state.importer : null,
      tyear: state.mode === "imports" ? state.tyear : null });
    const years = [];
    for (let y = st.last; y >= st.first; y -= 1) years.push(y);
    const modeSeg = h("div", { class: "field" }, h("span", null, "Show"),
      h("div", { class: "seg", role: "group", "aria-label": "Map mode" },
        h("button", { type: "button", id: "mode-production",
          "aria-pressed": String(state.mode === "production"),
          onclick: () => { state.mode = "production"; draw(); } }, "Production share"),
        h("button", { type: "button", id: "mode-imports",
          "aria-pressed": String(state.mode === "imports"),
          onclick: () => { state.mode = "imports"; draw(); } }, "Suppliers to an importer")));
    const importerSel = h("label", { class: "field" }, h("span", null, "Importer"),
      h("select", { id: "map-importer", onchange: (e) => { state.importer = e.target.value;
        draw(); } },
      h("optgroup", { label: "Framework parties" }, opts.parties.map(([v, t]) =>
        h("option", { value: v, selected: v === state.importer }, t))),
      h("optgroup", { label: "Countries" }, opts.countries.map(([v, t]) =>
        h("option", { value: v, selected: v === state.importer }, t)))));
    fill(controls,
      modeSeg,
      select("Mineral", mins.map((x) => [x.id, x.name]), state.commodity,
        (v) => { state.commodity = v; draw(); }, { id: "map-mineral" }),
      state.mode === "production"
        ? [select("Stage", m.stages.map((x) => [x.stage, STAGE_LABEL[x.stage] || x.stage]),
          state.stage, (v) => { state.stage = v; draw(); }, { id: "map-stage" }),
        select("Year", years, state.year, (v) => { state.year = Number(v); draw(); },
          { id: "map-year" })]
        : [importerSel,
          select("Trade year", TRADE_YEARS, state.tyear, (v) => { state.tyear = Number(v);
            draw(); }, { id: "map-tyear" })]);
    const mine = ++seq;
    fill(body, loading(state.mode === "production"
      ? `Loading ${m.name} production…` : `Loading ${m.name} imports…`));
    try {
      const parts = state.mode === "production"
        ? await production(state, m, st, geo)
        : await imports(state, m, geo, ctry.names);
      if (mine !== seq || !ctx.alive()) return;
      fill(body, ...parts);
      if (parts.after) parts.after();
    } catch (error) {
      if (mine !== seq || !ctx.alive()) return;
      fill(body, errorBox(error, "The map could not be drawn"));
    }
  };
  await draw();
}

async function production(state, m, st, geo) {
  const params = { commodity: state.commodity, stage: state.stage, year: state.year };
  const [prod, sup] = await Promise.all([
    api("/api/v1/supply/producers", { params }),
    api("/api/v1/supply", { params }),
  ]);
  const rows = prod.data.filter((r) => r.stage === state.stage && r.year === state.year);
  const s = sup.data.find((r) => r.stage === state.stage) || {};
  const unit = s.unit || st.unit;
  const values = new Map(rows.map((r) => [r.country, r.share]));
  const byId = new Map(rows.map((r) => [r.country, r]));
  const stageText = STAGE_LABEL[state.stage] || state.stage;
  const { svg, colors } = choropleth({
    world: geo, values, breaks: BREAKS, label: `${m.name} ${stageText} production share`,
    tip: (id, name, v) => {
      const r = byId.get(id);
      if (!r) return [name, `no reported ${stageText} production of ${m.name.toLowerCase()}`];
      return [name, `${pct(v)} of world ${stageText} production`,
        `${num(r.quantity)} ${unit} · rank ${r.rank}`, `${state.year} · ${r.source}`];
    },
  });
  const legend = mapLegend({ breaks: BREAKS, colors, format: (x) => pct(x, 1).replace(".0 %", " %"),
    title: "Share of world production" });
  const top = rows.slice().sort((a, b) => a.rank - b.rank).slice(0, 12);
  const maxShare = top.length ? top[0].share : 1;
  const conc = s.concentration || "";
  const stats = h("div", { class: "stats" },
    stat("World total", `${num(s.total)} ${unit}`, `${stageText}, ${state.year}`),
    stat("HHI (0–10,000)", num(s.hhi), h("span", { class: `badge ${conc}` }, conc || "–"),
      { id: "stat-hhi" }),
    stat("Top producer", pct(s.top1_share), byId.get(s.top1_country)?.country_name ||
      s.top1_country, { id: "stat-top1" }),
    stat("Countries of concern", pct(s.share_countries_of_concern), "share of output"),
    stat("Like-minded", pct(s.share_like_minded), "share of output"),
    stat("Producers", num(s.n_producers_total), "countries reporting"));
  return [
    h("div", { class: "panel", id: "map-panel" },
      h("h2", null, `${m.name}: share of world ${stageText} production, ${state.year}`),
      svg, legend,
      source(`Source: ${s.source || st.source} (${unit}). Shares of the reported world total; ` +
        "countries outside the map outlines (small islands) appear in the table only.")),
    h("div", { class: "panel", id: "map-side" },
      h("h2", null, "Supply structure"), stats,
      h("h3", null, "Top producers"),
      dataTable([
        { label: "#", value: (r) => r.rank, num: true },
        { label: "Country", value: (r) => r.country_name },
        { label: `Output (${unit})`, value: (r) => num(r.quantity), num: true },
        { label: "Share", num: true, value: (r) => h("span", null,
          bar(r.share / maxShare), pct(r.share)) },
      ], top, { id: "producers-table" }),
      h("p", { class: "source" }, "HHI above 2,500 = highly concentrated (US DOJ/FTC).")),
  ];
}

async function imports(state, m, geo, names) {
  const t = await api("/api/v1/imports", { params: { importer: state.importer,
    commodity: state.commodity, year: state.tyear } });
  const rows = t.data.filter((r) => r.importer === state.importer);
  const values = new Map(rows.map((r) => [r.supplier, r.share_value]));
  const byId = new Map(rows.map((r) => [r.supplier, r]));
  const who = names.get(state.importer) || state.importer;
  const { svg, colors } = choropleth({
    world: geo, values, breaks: BREAKS, highlight: [state.importer],
    label: `Suppliers of ${m.name} to ${who}`,
    tip: (id, name, v) => {
      if (id === state.importer) return [name, "the importer"];
      const r = byId.get(id);
      if (!r) return [name, `no ${m.name.toLowerCase()} exports to ${who} recorded`];
      return [name, `${pct(v)} of ${who}'s imports by value`,
        `${kusd(r.value_kusd)} · ${tonnes(r.quantity_t)}`, `rank ${r.rank} · ${state.tyear}`];
    },
  });
  const legend = mapLegend({ breaks: BREAKS, colors,
    format: (x) => pct(x, 1).replace(".0 %", " %"), title: "Share of import value" });
  const total = rows.reduce((a, r) => a + (r.value_kusd || 0), 0);
  const totalT = rows.reduce((a, r) => a + (r.quantity_t || 0), 0);
  const top = rows.slice().sort((a, b) => a.rank - b.rank);
  const maxShare = top.length ? top[0].share_value : 1;
  const empty = rows.length === 0
    ? h("div", { class: "note" }, `No imports of ${m.name.toLowerCase()} by ${who} in ` +
      `${state.tyear} in the trade data. Try another year or importer.`)
    : null;
  const parts = [
    h("div", { class: "panel", id: "map-panel" },
      h("h2", null, `${m.name}: suppliers to ${who}, ${state.tyear}`),
      svg, legend,
      source(`Source: BACI bilateral trade (CEPII), ${state.tyear}, the catalog's HS ` +
        "codes for the mineral; value in US dollars, quantities in tonnes (gross weight). " +
        "The importer is outlined in red; arrows from the 8 largest suppliers, as wide as " +
        "their share.")),
    h("div", { class: "panel", id: "map-side" },
      h("h2", null, `Imports of ${who}`),
      empty,
      h("div", { class: "stats" },
        stat("Import value", kusd(total), `${state.tyear}`),
        stat("Quantity", tonnes(totalT), "gross weight"),
        stat("Suppliers", num(rows.length), "countries"),
        stat("Top supplier", top.length ? pct(top[0].share_value) : "–",
          top.length ? top[0].supplier_name : "")),
      h("h3", null, "Suppliers"),
      dataTable([
        { label: "#", value: (r) => r.rank, num: true },
        { label: "Supplier", value: (r) => r.supplier_name },
        { label: "Value", value: (r) => kusd(r.value_kusd), num: true },
        { label: "Tonnes", value: (r) => num(r.quantity_t), num: true, title: "gross weight" },
        { label: "Share", num: true, value: (r) => h("span", null,
          bar(r.share_value / maxShare),
          pct(r.share_value)) },
      ], top.slice(0, 15), { id: "suppliers-table" })),
  ];
  parts.after = () => drawFlows(svg, state.importer, top.slice(0, 8));
  return parts;
}

/** Centre of the largest outline of a country on the map (its mainland), or null. */
function centre(svg, id) {
  const path = svg.querySelector(`path.country[data-id="${id}"]`);
  if (!path) return null;
  let best = null;
  for (const part of path.getAttribute("d").split(/(?=M)/)) {
    const probe = s("path", { d: part, fill: "none" });
    svg.append(probe);
    const b = probe.getBBox();
    probe.remove();
    if (!best || b.width * b.height > best.width * best.height) best = b;
  }
  return best ? [best.x + best.width / 2, best.y + best.height / 2] : null;
}

/** Arrows from the largest suppliers to the importer, as wide as their share. */
function drawFlows(svg, importer, rows) {
  const to = centre(svg, importer);
  if (!to) return;
  const layer = s("g", { class: "flows", "aria-hidden": "true" });
  for (const r of rows.slice().reverse()) {
    const from = centre(svg, r.supplier);
    if (!from || r.supplier === importer) continue;
    const [x1, y1] = from;
    const [x2, y2] = to;
    const cx = (x1 + x2) / 2;
    const cy = Math.min(y1, y2) - Math.hypot(x2 - x1, y2 - y1) * 0.15;  // arc upwards
    layer.append(s("path", { d: `M${x1.toFixed(1)},${y1.toFixed(1)} Q${cx.toFixed(1)},` +
      `${cy.toFixed(1)} ${x2.toFixed(1)},${y2.toFixed(1)}`, class: "flow",
    "stroke-width": (1 + 9 * r.share_value).toFixed(2), "data-supplier": r.supplier }));
    layer.append(s("circle", { cx: x1.toFixed(1), cy: y1.toFixed(1), r: 2.5, class: "flow-dot" }));
  }
  layer.append(s("circle", { cx: to[0].toFixed(1), cy: to[1].toFixed(1), r: 4,
    class: "flow-end" }));
  svg.append(layer);
}
