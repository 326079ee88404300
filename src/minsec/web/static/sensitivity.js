// Which assumption drives a scenario's answer: the tornado of the Scenarios page. Each
// assumption of the engine (elasticities, leakage, spare capacity, ramp, spot share, price
// cap, the events' fractions, stockpiles) at its low and high value, the others as
// published; the API ranks them by swing (minsec.disrupt.sensitivity).

import { tornadoChart } from "./charts.js";
import { dataTable, errorBox, fill, h, loading, num, select, source } from "./dom.js";

const METRICS = [
  ["shortfall_pct", "Shortfall (% of consumption)"],
  ["shortfall_t", "Shortfall (tonnes)"],
  ["peak_price_index", "Peak price (× baseline)"],
  ["mean_price_index", "Mean price (× baseline)"],
];
const PRICE = new Set(["peak_price_index", "mean_price_index"]);

/** A headline number with its unit (a swing of a percentage is in points). */
export function metricText(metric, v, swing = false) {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  if (metric === "shortfall_t") return `${num(v)} t`;
  if (metric === "shortfall_pct") return `${num(v, 1)} ${swing ? "pp" : "%"}`;
  return swing ? num(v, 2) : `${num(v, 2)}×`;
}

/** An assumption's value: -0.05, 3 months, ×0.5 (a multiple of the scenario's values). */
export function valueText(v, unit) {
  if (v === null || v === undefined) return "as in the scenario";
  if ((unit || "").startsWith("x")) return `×${num(v, 3)}`;
  return `${num(v, 3)}${unit ? ` ${unit}` : ""}`;
}

/**
 * The sensitivity panel. `fetchTornado(party)` asks the API (named or edited scenario);
 * `parties()` gives the importers chosen on the page (the headline partners).
 */
export function sensitivityPanel({ fetchTornado, parties, alive }) {
  const out = h("div", { id: "sensitivity-output" });
  const button = h("button", { type: "button", id: "run-sensitivity",
    onclick: () => run() }, "Run the sensitivity analysis");
  const panel = h("div", { class: "panel", id: "sensitivity" },
    h("h2", null, "Which assumption drives the answer?"),
    h("p", { class: "muted" }, "Each assumption of the model at the low and the high end of " +
      "its range, the others as published: the longest bars move the answer most. Ranges and " +
      "their sources: disrupt/data/sensitivity.toml (most are judgements)."),
    h("div", { class: "controls" }, button), out);

  async function run() {
    button.disabled = true;
    const chosen = parties();
    fill(out, loading(`Running every assumption low and high for ${chosen.join(", ")}…`));
    try {
      const answer = await fetchTornado(chosen.join(","));
      if (!alive()) return;
      show(answer);
    } catch (error) {
      if (!alive()) return;
      fill(out, errorBox(error, "The sensitivity analysis failed"));
    } finally {
      button.disabled = false;
    }
  }

  function show(answer) {
    const { meta, data } = answer;
    const stages = meta.stages;
    let stage = stages[0];
    let metric = "shortfall_pct";
    let party = meta.headline_party;
    const partyChoices = [...new Set(data.filter((r) => !PRICE.has(r.metric))
      .map((r) => r.party))];
    const ranges = new Map(meta.ranges.map((r) => [r.id, r]));

    const draw = () => {
      const who = PRICE.has(metric) ? "world" : party;
      const rows = data.filter((r) => r.stage === stage && r.metric === metric &&
        r.party === who).sort((a, b) => a.rank - b.rank);
      const base = rows.length ? rows[0].at_base : null;
      const fmt = (v) => metricText(metric, v);
      const chartRows = rows.map((r) => ({
        id: r.parameter,
        label: r.label,
        lowText: valueText(r.low_value, r.unit),
        highText: valueText(r.high_value, r.unit),
        atLow: r.at_low,
        atHigh: r.at_high,
        note: [r.source === "judgement" ? "range: judgement" : `range: ${r.source}`, r.note]
          .filter(Boolean).join(" · "),
      }));
      const label = METRICS.find(([k]) => k === metric)[1];
      fill(out,
        h("div", { class: "controls" },
          stages.length > 1 ? select("Stage", stages, stage, (v) => { stage = v; draw(); },
            { id: "sensitivity-stage" }) : null,
          select("Number", METRICS, metric, (v) => { metric = v; draw(); },
            { id: "sensitivity-metric" }),
          PRICE.has(metric) ? null : select("Party", partyChoices, party,
            (v) => { party = v; draw(); }, { id: "sensitivity-party" })),
        tornadoChart({ rows: chartRows, base, format: fmt,
          title: `${label}: ${who}, ${stage} — published ${fmt(base)}` }),
        dataTable([
          { label: "Assumption", value: (r) => r.label },
          { label: "Low", value: (r) => valueText(r.low_value, r.unit), num: true },
          { label: "High", value: (r) => valueText(r.high_value, r.unit), num: true },
          { label: "Source", value: (r) => r.source },
          { label: "At low", value: (r) => metricText(metric, r.at_low), num: true },
          { label: "Published", value: (r) => metricText(metric, r.at_base), num: true },
          { label: "At high", value: (r) => metricText(metric, r.at_high), num: true },
          { label: "Swing", num: true, value: (r) => h("span",
            { "data-parameter": r.parameter, "data-key": "swing" },
            metricText(metric, r.swing, true)) },
        ], rows, { id: "sensitivity-table" }),
        source(`Ranges: ${rows.map((r) => `${r.label} — ${ranges.get(r.parameter)?.basis ||
          r.source}`).join("; ")}.`));
    };
    draw();
  }

  return panel;
}
