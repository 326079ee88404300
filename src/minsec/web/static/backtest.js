// How the model did on real cases: the back-test panel of the Scenarios page. The engine
// run on named export restrictions and outages and compared with the trade and prices
// observed after them (minsec.disrupt.backtest; GET /api/v1/backtest).

import { api } from "./api.js";
import { dataTable, errorBox, fill, h, loading, num, select, source } from "./dom.js";

const STATS = [
  ["trade from restricting", "Imports from the exporters hit (direct effect)"],
  ["trade from others", "Imports from other suppliers (response)"],
  ["trade", "Both"],
  ["trade without known data defects", "Both, without rows a data defect touches"],
  ["trade conditioned on the observed total, without known data defects",
    "The split given the observed total (diagnostic: uses the outcome)"],
  ["price", "Prices"],
];
const ALL = "all cases";
// The placebo's statistics (minsec.disrupt.backtest_placebo.floor_table), in the panel's words.
const FLOORS = [
  ["trade", "Both"],
  ["trade, clean", "Both, without rows a data defect touches"],
  ["others, clean", "Imports from other suppliers, without defects"],
  ["price", "Prices (import unit value)"],
];

/** A change in percent with its sign. */
function change(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  return `${v > 0 ? "+" : ""}${num(v, 1)} %`;
}

/**
 * The back-test panel. `current()` names the scenario chosen on the page (its rows are
 * shown first when it is a real case); `alive()` is false once the user has left.
 */
export function backtestPanel({ current, alive }) {
  const out = h("div", { id: "backtest-output" });
  const button = h("button", { type: "button", id: "run-backtest", onclick: () => run() },
    "Run the back-test");
  const panel = h("div", { class: "panel", id: "backtest" },
    h("h2", null, "How has the model done on real cases?"),
    h("p", { class: "muted" }, "The same engine run on real export restrictions and " +
      "outages (2010–2025) and compared with the trade and prices observed after them. " +
      "Calibration cases set the model's judgements; held-out cases only measure the error."),
    h("div", { class: "controls" }, button), out);
  let answer = null;
  let chosen = ALL;

  async function run() {
    button.disabled = true;
    fill(out, loading("Running every real case, and its flows in years without an event…"));
    try {
      answer = await api("/api/v1/backtest?placebo=true");
      if (!alive()) return;
      const name = current();
      chosen = answer.meta.cases[name] !== undefined ? name : ALL;
      show();
    } catch (error) {
      if (!alive()) return;
      fill(out, errorBox(error, "The back-test failed"));
    } finally {
      button.disabled = false;
    }
  }

  function show() {
    const { meta, data } = answer;
    const mae = new Map(meta.summary.mae.map((m) => [`${m.kind}|${m.set}`, m]));
    const cell = (kind, set) => {
      const m = mae.get(`${kind}|${set}`);
      return m && m.rows ? h("span", { "data-key": `${kind}|${set}` },
        `${num(m.mae_pp, 1)} pp`, h("span", { class: "muted" }, ` (${m.rows})`)) : "–";
    };
    const cases = Object.keys(meta.cases);
    const caps = meta.summary.price_cap || [];
    const capped = (set) => {
      const part = caps.filter((c) => c.set === set);
      const sum = (k) => part.reduce((a, c) => a + c[k], 0);
      return `${set === "holdout" ? "held-out" : set} ${sum("months_at_cap")} of ${sum("months")}`;
    };
    const rows = data.filter((r) => r.status === "ok" && (r.in_mae || r.kind === "price") &&
      (chosen === ALL || r.scenario === chosen));
    fill(out,
      dataTable([
        { label: "Predicted change of", value: ([, label]) => label },
        { label: "Calibration MAE (rows)", num: true, value: ([k]) => cell(k, "calibration") },
        { label: "Held-out MAE (rows)", num: true, value: ([k]) => cell(k, "holdout") },
      ], STATS, { id: "backtest-summary" }),
      h("p", { class: "muted", id: "backtest-cap" }, "Months with the model's price on the " +
        `10× cap (rationing) in the price rows' periods: ${capped("calibration")}; ` +
        `${capped("holdout")}.`),
      ...floorPart(meta.placebo),
      h("div", { class: "controls" },
        select("Case", [ALL, ...cases].map((c) => [c, c === ALL ? "All cases" :
          `${c} (${meta.cases[c]})`]), chosen, (v) => { chosen = v; show(); },
        { id: "backtest-case" })),
      dataTable([
        { label: "Case", value: (r) => r.scenario },
        { label: "Set", value: (r) => r.set },
        { label: "Period", value: (r) => `${r.baseline_period} → ${r.period}` },
        { label: "Compared", value: (r) => (r.kind === "price" ? (r.series || "price")
          : `${r.flow} (${r.restricting})`) },
        { label: "Predicted", num: true, value: (r) => change(r.predicted_change_pct) },
        { label: "Observed", num: true, value: (r) => change(r.observed_change_pct) },
        { label: "Error (pp)", num: true, value: (r) => h("span", { "data-scenario": r.scenario,
          "data-flow": r.flow, "data-key": "error" }, num(r.error_pp, 1)) },
        { label: "Floor (pp)", num: true, value: (r) => (r.noise_floor_pp === null ||
          r.noise_floor_pp === undefined ? "" : num(r.noise_floor_pp, 1)) },
        { label: "On the cap", num: true, value: (r) => (r.kind === "price" &&
          r.months_at_cap !== null && r.months_at_cap !== undefined
          ? `${r.months_at_cap} mo.` : "") },
        { label: "Data", value: (r) => (r.data_note ? h("span", { class: "badge",
          title: r.data_note }, "defect") : "") },
      ], rows, { id: "backtest-rows" }),
      source(`${meta.lines.filter((l) => l.startsWith("not compared")).join(" ")} ` +
        "Rows marked “defect” sit on observed data a known or screened defect touches " +
        "(hover for the evidence). Method and sources: docs/disruption.md, Back-test; " +
        "minsec scenarios backtest --format csv gives every column."));
  }

  /** The market's own swing beside the model's error (the placebo), when the answer has it. */
  function floorPart(placebo) {
    if (!placebo || !placebo.floor || !placebo.floor.length) return [];
    const floor = new Map(placebo.floor.map((f) => [`${f.kind}|${f.set}`, f]));
    const cell = (kind, set) => {
      const f = floor.get(`${kind}|${set}`);
      return f ? h("span", { "data-key": `${kind}|${set}` }, `${num(f.model_mae_pp, 1)} / ` +
        `${num(f.noise_floor_pp, 1)} pp`, h("span", { class: "muted" }, ` (${f.rows})`)) : "–";
    };
    return [
      h("p", { class: "muted", id: "backtest-floor-note" }, "Part of any error is the " +
        "market's own swing: the same flows move in years without an event too. The noise " +
        "floor is the error a model right about every event but blind to that swing would " +
        "make on the same rows (model MAE / floor, rows with event-free years)."),
      dataTable([
        { label: "Rows", value: ([, label]) => label },
        { label: "Calibration: model / floor", num: true,
          value: ([k]) => cell(k, "calibration") },
        { label: "Held-out: model / floor", num: true, value: ([k]) => cell(k, "holdout") },
      ], FLOORS.filter(([k]) => floor.has(`${k}|calibration`) || floor.has(`${k}|holdout`)),
      { id: "backtest-floor" }),
    ];
  }

  /** The page chose another scenario: show its rows if the back-test has run. */
  panel.follow = (name) => {
    if (!answer) return;
    chosen = answer.meta.cases[name] !== undefined ? name : ALL;
    show();
  };
  return panel;
}
