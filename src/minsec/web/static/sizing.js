// Stockpile sizing on the Stockpiles page: a form that starts a sizing job
// (/api/v1/stockpile-sizing-jobs), the party's jobs, and the result — the curve of stock
// against the target (SVG), the split between partners, the costs with their sources.

import { api } from "./api.js";
import { lineChart } from "./charts.js";
import { dataTable, errorBox, fill, h, input, loading, num, pctv, select, source, stat,
  tonnes, usd } from "./dom.js";
import { jobList } from "./jobs.js";

const BASE = "/api/v1/stockpile-sizing-jobs";
const TABLES = ["summary", "totals", "curve", "costs", "verify"];

/** The sizing section: form, job list and result. `com`: the commodities (data.js). */
export function sizingSection(ctx, com) {
  const canRun = ctx.user && ctx.user.role !== "viewer";
  const form = { commodity: "graphite", importer: "USA,JPN", kind: "cvar", level: 5,
    alpha: 95, threshold: 10, runs: 10000, seed: "", basis: "need", recorded: false,
    verify: false };
  const msg = h("div", { id: "sizing-message", "aria-live": "polite" });
  const jobsBox = h("div", { id: "sizing-jobs" }, loading("Loading sizings…"));
  const resultBox = h("div", { id: "sizing-result" },
    h("p", { class: "muted" }, "Start a sizing, or pick a finished one."));
  const submit = h("button", { type: "submit", class: "primary", id: "submit-sizing",
    disabled: !canRun }, "Size the stockpiles");
  const set = (key, numeric = false) => (e) => {
    form[key] = numeric ? Number(e.target.value) : e.target.value;
  };

  const section = h("section", { class: "panel", id: "sizing" },
    h("h2", null, "Size complementary stockpiles"),
    h("p", { class: "muted" }, "The cheapest stocks that keep each partner's shortfall risk " +
      "under a target, in the disruption Monte Carlo: pooled (any partner's stock can be " +
      "released to any partner, coordinated) and each partner alone. Each partner holds " +
      "what is cheapest for it; sharing does the rest."),
    h("form", { id: "sizing-form", onsubmit: (e) => { e.preventDefault(); start(); } },
      h("div", { class: "controls" },
        select("Mineral", com.list.map((c) => [c.id, c.name]), form.commodity,
          (v) => { form.commodity = v; }, { id: "sizing-commodity" }),
        input("Partners (countries or blocs)", { type: "text", value: form.importer,
          id: "sizing-importer", onchange: set("importer") }),
        select("Target", [["cvar", "CVaR of the shortfall ≤ cap"],
          ["probability", "P(shortfall > threshold) ≤ cap"]], form.kind,
        (v) => { form.kind = v; }, { id: "sizing-kind" }),
        input("Cap (%)", { type: "number", min: 0, max: 100, step: "any", value: form.level,
          id: "sizing-level", onchange: set("level", true) }),
        input("CVaR level (%)", { type: "number", min: 50, max: 99.9, step: 0.5,
          value: form.alpha, id: "sizing-alpha", onchange: set("alpha", true) }),
        input("Threshold (% of consumption)", { type: "number", min: 0, max: 100, step: "any",
          value: form.threshold, id: "sizing-threshold", onchange: set("threshold", true) }),
        input("Runs (simulated years)", { type: "number", min: 100, step: 100,
          value: form.runs, id: "sizing-runs", onchange: set("runs", true) }),
        input("Seed (optional)", { type: "number", min: 0, id: "sizing-seed",
          onchange: set("seed") }),
        select("Stock covers", [["need", "the need at pre-disruption prices"],
          ["shortfall", "the shortfall after the market responds"]], form.basis,
        (v) => { form.basis = v; }, { id: "sizing-basis" })),
      h("div", { class: "controls" },
        h("label", { class: "check" }, h("input", { type: "checkbox", id: "sizing-recorded",
          onchange: (e) => { form.recorded = e.target.checked; } }),
        "Start from the stockpiles recorded above"),
        h("label", { class: "check" }, h("input", { type: "checkbox", id: "sizing-verify",
          onchange: (e) => { form.verify = e.target.checked; } }),
        "Re-simulate in the engine (5× the runs)")),
      h("div", { class: "controls" }, submit,
        canRun ? null : h("span", { class: "muted" }, "Sizing needs the analyst role.")),
      msg),
    h("div", { class: "grid2" },
      h("div", null, h("h3", null, "Result"), resultBox),
      h("div", null, h("h3", null, "Your party's sizings"), jobsBox)));

  function target() {
    return form.kind === "cvar" ? `cvar${form.alpha}<=${form.level}%`
      : `p${form.threshold}<=${form.level}%`;
  }

  const list = jobList(jobsBox, { ctx, base: BASE, canRun, msg,
    describe: (j) => [h("strong", null, j.params.commodity), ` · ${j.params.importer} · ` +
      `${j.params.target} · ${num(j.params.runs)} runs`],
    onDone: show, onShow: show });

  async function start() {
    fill(msg);
    submit.disabled = true;
    const body = { commodity: form.commodity, importer: form.importer, target: target(),
      runs: form.runs, basis: form.basis, use_recorded_stockpiles: form.recorded,
      verify: form.verify };
    if (form.seed !== "" && form.seed !== null) body.seed = Number(form.seed);
    try {
      list.add(await api(BASE, { method: "POST", body }));
    } catch (error) {
      fill(msg, errorBox(error, "The sizing was not started"));
    } finally {
      submit.disabled = !canRun;
    }
  }

  let shown = null;
  async function show(job) {
    shown = job.id;
    fill(resultBox, loading("Loading the result…"));
    try {
      const [sum, totals, curve, costs, verify] = await Promise.all(TABLES.map((t) =>
        api(`${BASE}/${job.id}/result`, { params: { table: t } })));
      if (!ctx.alive() || shown !== job.id) return;
      fill(resultBox, ...render(job, sum, totals.data, curve.data, costs.data, verify.data));
    } catch (error) {
      fill(resultBox, errorBox(error, "The result could not be loaded"));
    }
  }

  list.load().then((jobs) => {
    if (!ctx.alive()) return;
    const done = (jobs || []).find((j) => j.status === "done");
    if (done) show(done);
  });
  return section;
}

function render(job, sum, totals, curve, costs, verify) {
  const meta = sum.meta;
  const mode = Object.fromEntries(totals.map((t) => [t.mode, t]));
  const pooled = mode.pooled;
  const alone = mode.alone;
  const days = (t) => (t.days_of_cover === null ? "" : `${num(t.days_of_cover)} days of cover`);
  const rows = curve.slice().sort((a, b) => a.level_pct - b.level_pct);
  const chart = lineChart({
    title: `Stock needed against the target's cap (t; ${meta.risk_unit})`,
    x: rows.map((r) => `${num(r.level_pct, 1)} %`),
    series: [
      { name: "pooled", values: rows.map((r) => r.pooled_stock_t) },
      { name: "each partner alone", values: rows.map((r) => r.alone_stock_t) },
    ],
    yLabel: "t", yFormat: (v) => tonnes(v), yMin: 0 });
  chart.id = "sizing-curve";
  const costChart = lineChart({
    title: "Cost of holding it, a year (US$)",
    x: rows.map((r) => `${num(r.level_pct, 1)} %`),
    series: [
      { name: "pooled", values: rows.map((r) => r.pooled_cost_usd_per_year) },
      { name: "each partner alone", values: rows.map((r) => r.alone_cost_usd_per_year) },
    ],
    yLabel: "US$/y", yFormat: (v) => usd(v), yMin: 0, height: 200 });
  costChart.id = "sizing-cost-curve";
  return [
    h("p", { class: "muted", id: "sizing-meta", "data-job": job.id },
      `${meta.commodity} (${meta.stage}, ${meta.year}) · ${meta.partners.join(", ")} · ` +
      `${meta.target} · ${num(meta.runs)} runs, seed ${meta.seed ?? "random"} · ` +
      `${meta.basis} basis · ${num(meta.seconds?.total, 1)} s`),
    h("div", { class: "stats", id: "sizing-stats" },
      stat("Pooled stock", tonnes(pooled.stock_t), days(pooled), { id: "stat-pooled-stock" }),
      stat("Pooled cost a year", usd(pooled.cost_usd_per_year), "storage + capital",
        { id: "stat-pooled-cost" }),
      stat("Each alone", alone.status === "infeasible" ? "cannot meet it"
        : tonnes(alone.stock_t), alone.status === "infeasible" ? "" : days(alone),
      { id: "stat-alone-stock" }),
      stat("Alone cost a year", usd(alone.cost_usd_per_year), null, { id: "stat-alone-cost" }),
      stat("Saving of pooling", meta.saving_pct === null ? "–"
        : `${usd(meta.saving_usd_per_year)} (${num(meta.saving_pct, 1)} %)`, "a year",
      { id: "stat-saving" })),
    chart,
    costChart,
    source(`Each point: the cheapest stocks meeting that cap (${meta.target_definition}); ` +
      "the target's own cap is among them."),
    h("h3", null, "Split between partners"),
    dataTable([
      { label: "Partner", value: (r) => h("span", { "data-partner": r.partner }, r.partner) },
      { label: "Risk without stock", value: (r) => pctv(r.risk_before_pct), num: true },
      { label: "Pooled: holds (t)", value: (r) => num(r.pooled_stock_t), num: true },
      { label: "Days of cover", value: (r) => num(r.pooled_days_of_cover), num: true },
      { label: "Cost a year", value: (r) => usd(r.pooled_cost_usd_per_year), num: true },
      { label: "Receives from others (t/y)",
        value: (r) => num(r.pooled_received_from_others_t_per_year), num: true,
        title: "Expected tonnes a year released to it from other partners' stocks" },
      { label: "Risk after", value: (r) => pctv(r.pooled_risk_after_pct), num: true },
      { label: "Alone: holds (t)", value: (r) => num(r.alone_stock_t), num: true },
      { label: "Days of cover", value: (r) => num(r.alone_days_of_cover), num: true },
      { label: "Cost a year", value: (r) => usd(r.alone_cost_usd_per_year), num: true },
    ], sum.data, { id: "sizing-split" }),
    h("h3", null, "Cost of holding a tonne for a year"),
    dataTable([
      { label: "Partner", value: (r) => r.partner },
      { label: "Price (US$/t)", value: (r) => num(r.price_usd_per_t), num: true },
      { label: "Storage (US$/t/y)", value: (r) => num(r.storage_usd_per_t_year, 1), num: true },
      { label: "Capital rate", value: (r) => pctv(r.capital_rate * 100, 2), num: true },
      { label: "Total (US$/t/y)", value: (r) => num(r.holding_usd_per_t_year, 1), num: true },
    ], costs, { id: "sizing-costs" }),
    h("ul", { class: "source", id: "sizing-cost-sources" }, costs.map((r) =>
      h("li", null, `${r.partner}: storage — ${r.storage_source}; capital — ` +
        `${r.capital_source}.`))),
    verify.length ? h("div", null, h("h3", null, "Re-simulated in the engine"),
      dataTable([
        { label: "Partner", value: (r) => r.partner },
        { label: "Stocks", value: (r) => r.stocks },
        { label: "Stock (t)", value: (r) => num(r.stock_t), num: true },
        { label: "Engine risk", value: (r) => pctv(r.engine_risk_pct, 2), num: true },
        { label: "Sizing risk", value: (r) => pctv(r.lp_risk_pct, 2), num: true },
        { label: "Target", value: (r) => pctv(r.target_pct), num: true },
      ], verify, { id: "sizing-verify" })) : null,
    source(`Price: ${meta.price_source}. Stock covers the ${meta.basis_definition}. ` +
      (meta.notes || []).join("; ")),
  ];
}
