// Mineral page: supply structure, exposure of the USA and Japan, history, and the
// drivers of the criticality ranking.

import { api } from "./api.js";
import { barChart, lineChart, PALETTE } from "./charts.js";
import { dataTable, errorBox, fill, h, kusd, loading, num, pct, select, source, stat, tonnes }
  from "./dom.js";
import { countries, DEFAULT_MINERAL, minerals } from "./data.js";

const IMPORTERS = ["USA", "JPN"];
const TRADE_YEAR = 2024;
const DRIVERS = [
  ["production_concentration", "Production concentration"],
  ["production_governance", "Producers' governance"],
  ["production_concern", "Output in countries of concern"],
  ["import_reliance", "Net import reliance"],
  ["import_concentration", "Import concentration"],
  ["import_concern", "Imports from countries of concern"],
];
const BLOCS = [
  ["share_us", "United States"], ["share_jpn", "Japan"], ["share_eu27", "EU 27"],
  ["share_g7", "G7"], ["share_like_minded", "Like-minded"],
  ["share_countries_of_concern", "Countries of concern"],
];

export async function mineralPage(view, ctx) {
  const head = h("div", { class: "page-head" });
  const body = h("div", { class: "stack" }, loading("Loading minerals…"));
  view.append(head, body);
  const [mins, ctry] = await Promise.all([minerals(), countries()]);
  if (!ctx.alive()) return;
  const m = mins.find((x) => x.id === ctx.params.commodity) ||
    mins.find((x) => x.id === DEFAULT_MINERAL) || mins[0];
  ctx.go({ commodity: m.id });
  const asked = ctx.params.commodity;
  const missing = asked && asked !== m.id
    ? h("p", { class: "note" }, `The store has no production data for “${asked}”, so it has ` +
      `no page here; showing ${m.name}. The Ranking page still lists it.`)
    : null;
  fill(head,
    h("div", null, h("h1", { id: "mineral-title" }, m.name),
      h("p", null, "Structure of world supply, exposure of the United States and Japan, " +
        "history and what drives the criticality score.")),
    h("div", { class: "controls" },
      select("Mineral", mins.map((x) => [x.id, x.name]), m.id, (v) => {
        location.hash = `#/mineral?commodity=${encodeURIComponent(v)}`;
      }, { id: "mineral-select" }),
      h("a", { class: "button", href: `#/map?commodity=${m.id}` }, "On the map"),
      h("a", { class: "button", href: `#/scenarios?commodity=${m.id}` }, "Scenarios")));
  fill(body, missing, loading(`Loading ${m.name}…`));

  const first = Math.min(...m.stages.map((x) => x.first));
  const last = Math.max(...m.stages.map((x) => x.last));
  const settle = (p) => p.then((v) => ({ ok: true, v }), (e) => ({ ok: false, e }));
  const [sup, prod, expo, hist, expoHist, rank] = await Promise.all([
    settle(api("/api/v1/supply", { params: { commodity: m.id, year: last } })),
    settle(api("/api/v1/supply/producers", { params: { commodity: m.id, year: last } })),
    settle(api("/api/v1/exposure", { params: { commodity: m.id, importer: IMPORTERS.join(","),
      year: TRADE_YEAR } })),
    settle(api("/api/v1/supply", { params: { commodity: m.id, year: `${first}-${last}` } })),
    settle(api("/api/v1/exposure", { params: { commodity: m.id, importer: IMPORTERS.join(","),
      year: `${TRADE_YEAR - 14}-${TRADE_YEAR}`, geopolrisk: false } })),
    settle(api("/api/v1/rank", { params: { importer: IMPORTERS.join(","), year: TRADE_YEAR } })),
  ]);
  if (!ctx.alive()) return;
  const names = ctry.names;
  const section = (title, id, result, fn) => h("section", { class: "panel", id },
    h("h2", null, title), result.ok ? fn(result.v) : errorBox(result.e));

  fill(body,
    missing,
    section(`Supply structure, ${last}`, "mineral-structure", sup, (s) =>
      structure(s, prod.ok ? prod.v : null, names)),
    h("div", { class: "grid-half" },
      section(`Exposure, ${TRADE_YEAR}`, "mineral-exposure", expo, (e) => exposure(e, names)),
      section(`Drivers of the criticality ranking, ${TRADE_YEAR}`, "mineral-drivers", rank,
        (r) => drivers(r, m))),
    section("History", "mineral-history", hist, (t) => history(t, expoHist, m)));
}

function structure(sup, prod, names) {
  if (!sup.data.length) return h("p", { class: "note" }, "No production data for this year.");
  return sup.data.map((s) => {
    const rows = prod ? prod.data.filter((r) => r.stage === s.stage).slice(0, 8) : [];
    return h("div", { class: "stage-block" },
      h("h3", null, `${s.stage === "mine" ? "Mine" : "Refinery"} production (${s.unit})`),
      h("div", { class: "stats" },
        stat("World total", `${num(s.total)} ${s.unit}`, `${s.year}`),
        stat("HHI (0–10,000)", num(s.hhi), h("span", { class: `badge ${s.concentration}` },
          s.concentration)),
        stat("Top producer", pct(s.top1_share), names.get(s.top1_country) || s.top1_country),
        stat("Top 3", pct(s.top3_share), (s.top3_countries || "").split(";")
          .map((c) => names.get(c) || c).join(", ")),
        stat("WGI-weighted HHI", num(s.wgi_weighted_hhi, 2), "0–10, higher = riskier"),
        stat("Producers", num(s.n_producers_total), `${num(s.n_producers)} with ≥ 1 %`)),
      h("div", { class: "grid-half" },
        rows.length ? barChart({ title: "Top producers (share of world output)",
          rows: rows.map((r) => ({ label: r.country_name, value: r.share,
            note: `${num(r.quantity)} ${r.unit}` })), format: (v) => pct(v), max: 1 }) : null,
        barChart({ title: "Output by bloc (share of world output)", max: 1,
          rows: BLOCS.map(([k, label], i) => ({ label, value: s[k] ?? 0,
            color: i === 5 ? PALETTE[1] : PALETTE[0] })), format: (v) => pct(v) })),
      source(`Source: ${s.source}, ${s.year}. HHI bands (US DOJ/FTC): < 1,500 ` +
        "unconcentrated, 1,500–2,500 moderate, > 2,500 high."));
  });
}

function exposure(expo, names) {
  const rows = IMPORTERS.map((c) => expo.data.find((r) => r.importer === c)).filter(Boolean);
  if (!rows.length) return h("p", { class: "note" }, "No trade data for this mineral.");
  const line = (label, fn, note = null) => ({ label, note, fn });
  const lines = [
    line("Imports, value", (r) => kusd(r.imports_kusd)),
    line("Imports, quantity", (r) => tonnes(r.imports_t), "gross weight"),
    line("Domestic production", (r) => tonnes(r.production_t)),
    line("Net import reliance", (r) => pct(r.import_reliance),
      "net imports ÷ apparent consumption"),
    line("Top supplier", (r) => `${names.get(r.top_supplier) || r.top_supplier || "–"} ` +
      `(${pct(r.top_supplier_share)})`),
    line("Suppliers", (r) => num(r.n_suppliers)),
    line("Import HHI", (r) => num(r.import_hhi), "0–10,000, by value"),
    line("GeoPolRisk score", (r) => num(r.geopolrisk_score, 3), "HHI × weighted import risk"),
  ];
  return [
    dataTable([
      { label: "Indicator", value: (l) => h("span", null, l.label,
        l.note ? h("span", { class: "muted" }, ` (${l.note})`) : null) },
      ...rows.map((r) => ({ label: names.get(r.importer) || r.importer, num: true,
        value: (l) => l.fn(r) })),
    ], lines, { id: "exposure-table" }),
    source(`Source: ${expo.meta.trade_source || "trade data"} (BACI), ${TRADE_YEAR}; ` +
      `production ${expo.meta.production_source || ""}.`),
  ];
}

function drivers(rank, m) {
  const out = [];
  for (const imp of IMPORTERS) {
    const all = rank.data.filter((r) => r.importer === imp);
    const r = all.find((x) => x.material === m.id);
    if (!r) continue;
    out.push(h("div", { class: "driver-block", "data-importer": imp },
      h("h3", null, `${imp === "USA" ? "United States" : "Japan"}: rank ${r.rank} of ${all.length}`),
      h("div", { class: "stats" },
        stat("Criticality", num(r.criticality, 1), "0–100"),
        stat("Supply risk", num(r.supply_risk, 2), "0–1"),
        stat("Exposure", num(r.exposure, 2), "0–1")),
      h("p", null, h("strong", null, "Top driver: "),
        DRIVERS.find(([k]) => k === r.top_driver)?.[1] || r.top_driver),
      r.drivers ? h("p", { class: "muted" },
        `${r.drivers.charAt(0).toUpperCase()}${r.drivers.slice(1)}.`) : null,
      barChart({ rows: DRIVERS.map(([k, label]) => ({ label, value: r[`contrib_${k}`] ?? 0 })),
        format: (v) => num(v, 3), title: "Contribution of each driver" })));
  }
  if (!out.length) {
    out.push(h("p", { class: "note" }, `${m.name} is not in the ranking (it needs trade ` +
      "and production data for the same material)."));
  }
  out.push(source(`Weights: ${Object.entries(rank.meta.weights || {})
    .map(([k, v]) => `${k} ${v}`).join(", ")}. See the Ranking page to change them.`));
  return out;
}

function history(hist, expoHist, m) {
  const years = [...new Set(hist.data.map((r) => r.year))].sort();
  const stages = [...new Set(hist.data.map((r) => r.stage))];
  const val = (stage, y, k) => hist.data.find((r) => r.stage === stage && r.year === y)?.[k] ?? null;
  const parts = [h("div", { class: "grid-half" },
    lineChart({ title: "Production concentration (HHI, 0–10,000)", x: years,
      series: stages.map((st) => ({ name: st, values: years.map((y) => val(st, y, "hhi")) })),
      yLabel: "HHI", yFormat: (v) => num(v), yMin: 0 }),
    lineChart({ title: "Share of the top producer (%)", x: years, yMin: 0,
      series: stages.map((st) => ({ name: st, values: years.map((y) => {
        const v = val(st, y, "top1_share");
        return v === null ? null : v * 100;
      }) })), yLabel: "%", yFormat: (v) => `${num(v, 0)} %` }))];
  if (expoHist.ok && expoHist.v.data.length) {
    const e = expoHist.v.data;
    const ey = [...new Set(e.map((r) => r.year))].sort();
    const pick = (imp, y, fn) => {
      const r = e.find((x) => x.importer === imp && x.year === y);
      return r ? fn(r) : null;
    };
    parts.push(h("div", { class: "grid-half" },
      lineChart({ title: `Imports of ${m.name.toLowerCase()} (million US$)`, x: ey,
        yMin: 0, yLabel: "US$ m",
        series: IMPORTERS.map((imp) => ({ name: imp,
          values: ey.map((y) => pick(imp, y, (r) => r.imports_kusd / 1000)) })),
        yFormat: (v) => num(v, v < 10 ? 1 : 0) }),
      lineChart({ title: "Net import reliance (%)", x: ey, yMin: 0, yLabel: "%",
        series: IMPORTERS.map((imp) => ({ name: imp, values: ey.map((y) => pick(imp, y,
          (r) => (r.import_reliance === null ? null : r.import_reliance * 100))) })),
        yFormat: (v) => `${num(v, 0)} %` })));
  }
  parts.push(source(`Production: ${hist.data[0]?.source || ""}, ${years[0]}–` +
    `${years[years.length - 1]}. Imports: BACI trade.`));
  return parts;
}
