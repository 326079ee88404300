// Risk page: Monte Carlo supply-risk jobs — submit, watch the progress bar, cancel,
// read the result.

import { api } from "./api.js";
import { barChart } from "./charts.js";
import { dataTable, errorBox, fill, h, input, loading, num, pct, pctv, select, source }
  from "./dom.js";
import { countries, DEFAULT_MINERAL, minerals } from "./data.js";
import { jobList } from "./jobs.js";


export async function riskPage(view, ctx) {
  const [mins, ctry] = await Promise.all([minerals(), countries()]);
  if (!ctx.alive()) return;
  const canRun = ctx.user && ctx.user.role !== "viewer";
  const form = { commodity: ctx.params.commodity || DEFAULT_MINERAL, importer: "USA,JPN",
    runs: 10000, seed: "", months: 12, threshold: 10, alpha: 95 };
  const jobsBox = h("div", { id: "jobs" }, loading("Loading jobs…"));
  const resultBox = h("div", { id: "risk-result" });
  const msg = h("div", { id: "risk-message" });
  const submit = h("button", { type: "submit", class: "primary", id: "submit-risk",
    disabled: !canRun }, "Start the run");

  view.append(
    h("div", { class: "page-head" }, h("div", null, h("h1", null, "Supply risk (Monte Carlo)"),
      h("p", null, "Simulates many years of possible export restrictions and outages, with " +
        "probabilities from producers' governance and their history, and reports the " +
        "expected shortfall, value at risk and the price distribution."))),
    h("div", { class: "grid2" },
      h("div", { class: "stack" },
        h("form", { class: "panel", id: "risk-form", onsubmit: (e) => { e.preventDefault();
          start(); } },
        h("h2", null, "New run"),
        h("div", { class: "controls" },
          select("Mineral", mins.map((m) => [m.id, m.name]), form.commodity,
            (v) => { form.commodity = v; }, { id: "risk-commodity" }),
          input("Importers (countries or blocs)", { type: "text", value: form.importer,
            id: "risk-importer", onchange: (e) => { form.importer = e.target.value; } }),
          input("Runs (simulated years)", { type: "number", min: 1000, step: 1000,
            value: form.runs, id: "risk-runs", onchange: (e) => { form.runs = Number(e.target.value); } }),
          input("Horizon (months)", { type: "number", min: 1, max: 120, value: form.months,
            onchange: (e) => { form.months = Number(e.target.value); } }),
          input("Shortfall threshold (%)", { type: "number", min: 0, max: 100,
            value: form.threshold, onchange: (e) => { form.threshold = Number(e.target.value); } }),
          input("VaR level (%)", { type: "number", min: 50, max: 99.9, step: 0.5,
            value: form.alpha, onchange: (e) => { form.alpha = Number(e.target.value); } }),
          input("Seed (optional)", { type: "number", min: 0, value: form.seed, id: "risk-seed",
            onchange: (e) => { form.seed = e.target.value; } })),
        h("div", { class: "controls" }, submit,
          canRun ? null : h("span", { class: "muted" },
            "Starting runs needs the analyst role; you can read your party's results.")),
        msg),
        h("div", { class: "panel" }, h("h2", null, "Your party's runs"), jobsBox)),
      h("div", { class: "panel", id: "risk-result-panel" }, h("h2", null, "Result"), resultBox)));
  fill(resultBox, h("p", { class: "muted" }, "Start a run, or pick a finished one."));

  let shown = null;
  const list = jobList(jobsBox, { ctx, base: "/api/v1/risk-jobs", canRun, msg,
    describe: (j) => [h("strong", null, j.params.commodity), ` · ${j.params.importer} · `,
      `${num(j.params.runs)} runs`],
    onDone: showResult, onShow: showResult });

  async function start() {
    fill(msg);
    submit.disabled = true;
    const body = { commodity: form.commodity, importer: form.importer, runs: form.runs,
      months: form.months, threshold: form.threshold / 100, alpha: form.alpha / 100 };
    if (form.seed !== "" && form.seed !== null) body.seed = Number(form.seed);
    try {
      list.add(await api("/api/v1/risk-jobs", { method: "POST", body }));
    } catch (error) {
      fill(msg, errorBox(error, "The run was not started"));
    } finally {
      submit.disabled = !canRun;
    }
  }

  async function showResult(job) {
    shown = job.id;
    fill(resultBox, loading("Loading the result…"));
    try {
      const [sum, exp, price] = await Promise.all(["summary", "exporters", "price"].map((t) =>
        api(`/api/v1/risk-jobs/${job.id}/result`, { params: { table: t } })));
      if (!ctx.alive() || shown !== job.id) return;
      const meta = sum.meta;
      const a = Math.round((meta.alpha ?? 0.95) * 100);
      const th = Math.round((meta.threshold ?? 0.1) * 100);
      fill(resultBox,
        h("p", { class: "muted" }, `${meta.commodity} (${meta.stage}), baseline ${meta.year}, ` +
          `${num(meta.runs)} runs of ${meta.horizon_months} months, seed ${meta.seed ?? "random"}` +
          ` · ${num(meta.seconds, 1)} s`),
        dataTable([
          { label: "Importer", value: (r) => ctry.names.get(r.importer) || r.importer },
          { label: "Consumption (t)", value: (r) => num(r.consumption_t), num: true },
          { label: "Expected shortfall", value: (r) => pctv(r.expected_shortfall_pct), num: true },
          { label: `VaR ${a} %`, value: (r) => pctv(r.var95_pct), num: true },
          { label: `CVaR ${a} %`, value: (r) => pctv(r.cvar95_pct), num: true },
          { label: `P(short > ${th} %)`, value: (r) => pct(r.p_shortfall_gt_10pct), num: true },
          { label: "P(any shortfall)", value: (r) => pct(r.p_any_shortfall), num: true },
        ], sum.data, { id: "risk-summary" }),
        h("h3", null, "Price (multiple of the baseline price)"),
        dataTable([
          { label: "Statistic", value: (r) => (r.statistic === "horizon_mean"
            ? "mean over the horizon" : "peak month") },
          { label: "Mean", value: (r) => `${num(r.mean, 2)}×`, num: true },
          { label: "5th pct", value: (r) => `${num(r.p5, 2)}×`, num: true },
          { label: "Median", value: (r) => `${num(r.p50, 2)}×`, num: true },
          { label: "95th pct", value: (r) => `${num(r.p95, 2)}×`, num: true },
        ], price.data),
        barChart({ title: "Most likely restrictions: annual probability by exporter",
          rows: exp.data.slice().sort((x, y) => y.p_restrict - x.p_restrict).slice(0, 8)
            .map((r) => ({ label: ctry.names.get(r.country) || r.country, value: r.p_restrict,
              note: r.history || `WGI score ${num(r.wgi_score, 1)}` })),
          format: (v) => pct(v, 1) }),
        source(`Model: ${meta.model?.probability || ""}. ${(meta.notes || []).join("; ")}.`));
    } catch (error) {
      fill(resultBox, errorBox(error, "The result could not be loaded"));
    }
  }

  const jobs = await list.load();
  if (!ctx.alive()) return;
  const done = jobs.find((j) => j.status === "done");
  if (done) showResult(done);
}
