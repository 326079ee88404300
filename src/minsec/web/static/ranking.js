// Ranking page: criticality of every material for an importer, with its drivers and
// adjustable weights.

import { api } from "./api.js";
import { bar, dataTable, errorBox, fill, h, input, loading, num, pct, select, source }
  from "./dom.js";
import { importerOptions } from "./data.js";

const WEIGHTS = [
  ["production_concentration", "Production concentration", 1],
  ["production_governance", "Producers' governance", 1],
  ["production_concern", "Output in countries of concern", 1],
  ["import_reliance", "Net import reliance", 1],
  ["import_concentration", "Import concentration", 0.5],
  ["import_concern", "Imports from countries of concern", 1],
];
const YEARS = Array.from({ length: 10 }, (_, i) => 2024 - i);

export async function rankingPage(view, ctx) {
  const opts = await importerOptions();
  if (!ctx.alive()) return;
  const p = ctx.params;
  const state = { importer: p.importer || "USA", year: Number(p.year) || 2024,
    top: Number(p.top) || 25, weights: {} };
  for (const [k, , d] of WEIGHTS) {
    const v = p[`w_${k}`];
    state.weights[k] = v === undefined ? d : Number(v);
  }
  const out = h("div", { id: "ranking-result" });
  const weightInputs = WEIGHTS.map(([k, label]) => input(label, { type: "number", min: 0, max: 10,
    step: 0.5, value: state.weights[k], id: `w-${k}`,
    onchange: (e) => { state.weights[k] = Number(e.target.value); run(); } }));
  view.append(
    h("div", { class: "page-head" }, h("div", null, h("h1", null, "Criticality ranking"),
      h("p", null, "Materials ranked by criticality = supply risk × exposure (0–100) for an " +
        "importer. Change the weights of the drivers to test the ranking's sensitivity."))),
    h("div", { class: "panel bar-panel" },
      h("div", { class: "controls" },
        h("label", { class: "field" }, h("span", null, "Importer"),
          h("select", { id: "rank-importer", onchange: (e) => { state.importer = e.target.value;
            run(); } },
          h("optgroup", { label: "Framework parties" }, opts.parties.map(([v, t]) =>
            h("option", { value: v, selected: v === state.importer }, t))),
          h("optgroup", { label: "Blocs" }, opts.blocs.map(([v, t]) =>
            h("option", { value: v, selected: v === state.importer }, t))),
          h("optgroup", { label: "Countries" }, opts.countries.map(([v, t]) =>
            h("option", { value: v, selected: v === state.importer }, t))))),
        select("Trade year", YEARS, state.year, (v) => { state.year = Number(v); run(); },
          { id: "rank-year" }),
        select("Show", [[10, "top 10"], [25, "top 25"], [50, "top 50"], [0, "all"]], state.top,
          (v) => { state.top = Number(v); run(); }, { id: "rank-top" })),
      h("details", null, h("summary", null, "Weights of the drivers"),
        h("div", { class: "controls" }, weightInputs,
          h("button", { type: "button", onclick: () => {
            for (const [k, , d] of WEIGHTS) {
              state.weights[k] = d;
              document.getElementById(`w-${k}`).value = d;
            }
            run();
          } }, "Reset weights")))),
    h("div", { class: "panel" }, out));
  let seq = 0;

  async function run() {
    const mine = ++seq;
    const custom = WEIGHTS.filter(([k, , d]) => state.weights[k] !== d);
    const weights = custom.map(([k]) => `${k}=${state.weights[k]}`).join(",");
    ctx.go({ importer: state.importer, year: state.year, top: state.top,
      ...Object.fromEntries(custom.map(([k]) => [`w_${k}`, state.weights[k]])) });
    fill(out, loading("Ranking materials…"));
    try {
      const t = await api("/api/v1/rank", { params: { importer: state.importer,
        year: state.year, top: state.top, weights } });
      if (mine !== seq || !ctx.alive()) return;
      const rows = t.data.filter((r) => r.importer === state.importer);
      const max = Math.max(...rows.map((r) => r.criticality), 1);
      fill(out,
        h("h2", null, rows.length
          ? `${state.top ? `Top ${rows.length}` : `All ${rows.length}`} materials for ` +
            `${state.importer}, ${state.year}`
          : `No material could be ranked for ${state.importer} in ${state.year}`),
        dataTable([
          { label: "Rank", value: (r) => r.rank, num: true },
          { label: "Material", value: (r) => [h("a", { href: `#/mineral?commodity=${r.material}`,
            class: "nowrap" }, r.material_name), h("div", { class: "drivers-inline" }, r.drivers)] },
          { label: "Criticality (0–100)", num: true, value: (r) => h("span", null,
            bar(r.criticality / max), num(r.criticality, 1)) },
          { label: "Supply risk", value: (r) => num(r.supply_risk, 2), num: true,
            title: "0–1", cls: "hide-phone" },
          { label: "Exposure", value: (r) => num(r.exposure, 2), num: true, title: "0–1",
            cls: "hide-phone" },
          { label: "Import reliance", value: (r) => pct(r.import_reliance, 0), num: true },
          { label: "Drivers", value: (r) => h("span", { class: "drivers" }, r.drivers),
            cls: "hide-phone" },
        ], rows, { id: "ranking-table" }),
        source(`Weights: ${Object.entries(t.meta.weights || {}).map(([k, v]) => `${k} ${v}`)
          .join(", ")}. Trade: BACI ${state.year}; production and governance as of the ` +
          "latest year available."));
    } catch (error) {
      if (mine !== seq || !ctx.alive()) return;
      fill(out, errorBox(error, "The ranking could not be computed"));
    }
  }
  await run();
}
