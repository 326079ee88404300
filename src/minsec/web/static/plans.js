// Plans page: portfolio plans (minsec plan) as background jobs — pick or edit a plan,
// run it with a progress bar (cancel), read the chosen portfolio, the shortfall before and
// after, the marginal value of a dollar and the most valuable permitting accelerations.

import { api } from "./api.js";
import { dataTable, errorBox, fill, h, input, loading, num, select, source, stat, tonnes, usd }
  from "./dom.js";
import { jobList } from "./jobs.js";

const BASE = "/api/v1/plan-jobs";
const OBJECTIVES = [
  ["expected", "Expected shortfall (t)"],
  ["cvar", "CVaR 95 % — the worst 5 % of scenarios (t)"],
  ["tonnes_per_dollar", "Tonnes per dollar"],
];
const OBJECTIVE_NAMES = new Map(OBJECTIVES);
const SHORT_NAMES = { expected: "expected shortfall", cvar: "CVaR 95 %",
  tonnes_per_dollar: "tonnes per dollar" };
const clone = (x) => JSON.parse(JSON.stringify(x));

async function example() {
  const r = await fetch("/static/plan-example.json", { cache: "no-store" });
  if (!r.ok) throw new Error(`plan-example.json could not be loaded (HTTP ${r.status})`);
  return r.json();
}

export async function plansPage(view, ctx) {
  const canRun = ctx.user && ctx.user.role !== "viewer";
  const base = await example();
  if (!ctx.alive()) return;
  const presets = [{ key: "example", label: `Example: ${base.name}`, spec: base }];
  let spec = clone(base);
  spec.objective = spec.objective === "cvar95" ? "cvar" : spec.objective;
  let included = new Set(spec.projects.map((p) => p.id));

  const formBox = h("div", { id: "plan-editor" });
  const jobsBox = h("div", { id: "jobs" }, loading("Loading plans…"));
  const resultBox = h("div", { id: "plan-result" },
    h("p", { class: "muted" }, "Run a plan, or pick a finished one."));
  const msg = h("div", { id: "plan-message", "aria-live": "polite" });
  const submit = h("button", { type: "submit", class: "primary", id: "submit-plan",
    disabled: !canRun }, "Run the plan");
  const presetPick = h("select", { id: "plan-preset", onchange: (e) => {
    const p = presets.find((x) => x.key === e.target.value);
    if (p) use(p.spec);
  } });

  view.append(
    h("div", { class: "page-head" }, h("div", null, h("h1", null, "Portfolio plans"),
      h("p", null, "Which projects to back, with which instrument, within a budget, to cut the " +
        "partners' shortfall in simulated disruptions (Monte Carlo) the most; runs on the " +
        "server as a job (minsec plan)."))),
    h("div", { class: "grid2" },
      h("form", { class: "panel", id: "plan-form", onsubmit: (e) => { e.preventDefault(); run(); } },
        h("h2", null, "Plan"),
        h("div", { class: "controls" }, h("label", { class: "field wide" },
          h("span", null, "Start from"), presetPick)),
        formBox,
        h("div", { class: "controls" }, submit,
          canRun ? null : h("span", { class: "muted" },
            "Running plans needs the analyst role; you can read your party's results.")),
        msg),
      h("div", { class: "panel" }, h("h2", null, "Your party's plans"), jobsBox)),
    h("section", { class: "panel", id: "plan-result-panel" }, h("h2", null, "Result"),
      resultBox));

  function use(next) {
    spec = clone(next);
    if (spec.objective === "cvar95") spec.objective = "cvar";
    included = new Set((spec.projects || []).map((p) => p.id));
    drawForm();
  }

  function drawForm() {
    const jsonArea = h("textarea", { rows: 12, id: "plan-json", spellcheck: "false" });
    const jsonMsg = h("div", { "aria-live": "polite" });
    const numberField = (label, key, attrs = {}, scale = 1) => input(label, { type: "number",
      value: spec[key] === undefined || spec[key] === null ? "" : spec[key] / scale, ...attrs,
      onchange: (e) => {
        const v = e.target.value;
        if (v === "") delete spec[key];
        else spec[key] = Number(v) * scale;
      } });
    const projects = spec.projects || [];
    fill(formBox,
      h("div", { class: "controls" },
        input("Name", { type: "text", id: "plan-name", value: spec.name || "",
          onchange: (e) => { spec.name = e.target.value; } }),
        numberField("Budget (US$ million)", "budget_usd",
          { id: "plan-budget", min: 0, step: "any" }, 1e6),
        select("Objective (minimise)", OBJECTIVES, spec.objective || "expected",
          (v) => { spec.objective = v; }, { id: "plan-objective" })),
      h("div", { class: "controls" },
        numberField("Runs (Monte Carlo scenarios)", "runs", { id: "plan-runs", min: 1, step: 1 }),
        numberField("Horizon (years)", "horizon_years", { id: "plan-horizon", min: 1, max: 40 }),
        numberField("Start year", "start_year", { id: "plan-start", min: 1990, max: 2100 }),
        numberField("Seed", "seed", { id: "plan-seed", min: 0 })),
      h("fieldset", { class: "checks-box", id: "plan-projects" },
        h("legend", null, `Candidate projects (${projects.length}; capacity t/y, capex US$)`),
        projects.length ? h("div", { class: "project-checks" }, projects.map((p) => h("label",
          { class: "project-check" }, h("input", { type: "checkbox", value: p.id,
            checked: included.has(p.id), onchange: (e) => {
              if (e.target.checked) included.add(p.id); else included.delete(p.id);
            } }),
          h("span", null, h("strong", null, p.name || p.id),
            h("span", { class: "muted small" }, ` ${p.country || ""} · ${p.status || ""} · ` +
              `${num(p.capacity_tpy)} t/y · ${p.capex_musd === undefined ? "–"
                : usd(p.capex_musd * 1e6)}`)))))
          : h("p", { class: "muted" }, "No inline projects (the spec may select store projects).")),
      h("details", { id: "plan-json-details" },
        h("summary", null, "The whole plan as JSON (instruments, minerals, offtake, limits)"),
        jsonArea,
        h("div", { class: "controls" }, h("button", { type: "button", id: "plan-json-apply",
          onclick: () => {
            try {
              use(JSON.parse(jsonArea.value));
              fill(msg, h("div", { class: "ok-box" }, "The JSON was applied to the form."));
            } catch (error) {
              fill(jsonMsg, errorBox(error, "Not valid JSON"));
            }
          } }, "Apply the JSON")),
        jsonMsg,
        source("Fields as in examples/portfolio.yaml and docs/finance.md; the server checks " +
          "them before queueing (errors name the field).")));
    const details = formBox.querySelector("#plan-json-details");
    details.addEventListener("toggle", () => {
      if (details.open) jsonArea.value = JSON.stringify(current(), null, 1);
    });
  }

  /** The spec to send: the form's fields and the projects ticked. */
  function current() {
    const out = clone(spec);
    if (out.projects) out.projects = out.projects.filter((p) => included.has(p.id));
    return out;
  }

  const list = jobList(jobsBox, { ctx, base: BASE, canRun, msg,
    describe: (j) => [h("strong", null, j.params.name || "plan"),
      ` · ${SHORT_NAMES[j.params.objective] || j.params.objective} · ` +
      `${usd(j.params.budget_usd)} · ${num(j.params.runs)} runs · ` +
      `${(j.params.projects || []).length} projects`],
    onDone: showResult, onShow: showResult });

  async function run() {
    fill(msg);
    submit.disabled = true;
    try {
      list.add(await api(BASE, { method: "POST", body: current() }));
    } catch (error) {
      fill(msg, errorBox(error, "The plan was not started"));
    } finally {
      submit.disabled = !canRun;
    }
  }

  let shown = null;
  async function showResult(job) {
    shown = job.id;
    fill(resultBox, loading("Loading the result…"));
    try {
      const [port, short, acc, sum] = await Promise.all(
        ["portfolio", "shortfall", "accelerations", "summary"].map((t) =>
          api(`${BASE}/${job.id}/result`, { params: { table: t } })));
      if (!ctx.alive() || shown !== job.id) return;
      const meta = port.meta;
      const s = Object.fromEntries(sum.data.map((r) => [r.metric, r.value]));
      const a = Math.round((meta.alpha ?? 0.95) * 100);
      const chosen = port.data.filter((r) => r.chosen);
      const partial = chosen.some((r) => r.participation < 0.9999);
      const dual = s.budget_dual_per_billion_usd;
      const others = port.data.filter((r) => !r.chosen);
      const objective = meta.objective;
      const unit = objective === "tonnes_per_dollar" ? "(objective units)" : "t";
      fill(resultBox,
        h("p", { class: "muted", id: "plan-meta", "data-job": job.id },
          `${meta.plan} · objective ${OBJECTIVE_NAMES.get(objective) || objective} · ` +
          `${num(meta.runs)} runs × ${meta.horizon_years} years from ${meta.start_year} · ` +
          `seed ${meta.seed} · ${meta.solver} ${meta.solver_status} · ${num(meta.seconds, 1)} s`),
        h("div", { class: "stats", id: "plan-stats" },
          stat("Projects chosen", num(s.projects_chosen), `of ${port.data.length} candidates`),
          stat("Public cost (US$)", usd(s.public_cost_usd), `budget ${usd(s.budget_usd)}`,
            { id: "stat-public-cost" }),
          stat("Private capital mobilised (US$)", usd(s.private_capital_mobilised_usd),
            `public capital ${usd(s.public_capital_usd)}`),
          stat("Expected shortfall (t)", `${tonnes(s.expected_shortfall_before_t)} → ` +
            `${tonnes(s.expected_shortfall_after_t)}`, "before → after, over the horizon",
          { id: "stat-expected" }),
          stat(`CVaR ${a} % (t)`, `${tonnes(s[`cvar${a}_before_t`])} → ` +
            `${tonnes(s[`cvar${a}_after_t`])}`, "mean of the worst scenarios, before → after"),
          stat("Marginal value of a dollar", `${num(dual, 1)} ${unit} per US$ bn`,
            dual === 0 ? "0: the budget does not bind (more money buys nothing more)"
              : "objective gained per extra US$ 1 bn of budget", { id: "stat-dual" })),
        meta.budget_dual_note ? source(`Marginal value: ${meta.budget_dual_note}.`) : null,
        h("h3", null, "Chosen portfolio"),
        chosen.length ? dataTable([
          { label: "Project", value: (r) => h("span", { "data-project": r.project_id },
            h("strong", null, r.name || r.project_id), h("span", { class: "muted small" },
              ` ${r.project_id}`)) },
          { label: "Country", value: (r) => r.country },
          { label: "Instrument", value: (r) => r.instrument },
          partial ? { label: "Share backed", value: (r) => `${num(r.participation * 100)} %`,
            num: true } : null,
          { label: "Public capital (US$)", value: (r) => usd(r.public_capital_usd), num: true,
            title: "Amount lent, granted or invested by the public side" },
          { label: "Public cost (US$)", value: (r) => usd(r.public_cost_usd), num: true,
            title: "Expected present cost to the public side" },
          { label: "Private capital mobilised (US$)",
            value: (r) => usd(r.private_capital_mobilised_usd), num: true },
          { label: "First output (median year)", value: (r) => num(r.first_output_p50_year, 1),
            num: true },
          { label: "Supply counted (t)", value: (r) => num(r.expected_supply_counted_t),
            num: true },
        ].filter(Boolean), chosen, { id: "plan-portfolio" })
          : h("p", { class: "muted", id: "plan-portfolio-empty" },
            "No project chosen within the budget and the limits."),
        others.length ? h("details", null, h("summary", null, `Not chosen (${others.length})`),
          dataTable([
            { label: "Project", value: (r) => `${r.name || r.project_id} (${r.project_id})` },
            { label: "Country", value: (r) => r.country },
            { label: "Status", value: (r) => r.status },
            { label: "Capacity (t/y)", value: (r) => num(r.capacity_tpy), num: true },
            { label: "Capex (US$)", value: (r) => usd(r.capex_usd), num: true },
            { label: "Offtake to partners", value: (r) => `${num(r.offtake_partners_share * 100)} %`,
              num: true },
          ], others, { id: "plan-not-chosen" })) : null,
        h("h3", null, "Shortfall before and after (t over the horizon)"),
        dataTable([
          { label: "Partner", value: (r) => r.partner },
          { label: "Mineral", value: (r) => r.commodity },
          { label: "Consumption (t/y)", value: (r) => num(r.consumption_t_per_y), num: true },
          { label: "Expected before (t)", value: (r) => num(r.expected_shortfall_before_t, 1),
            num: true },
          { label: "Expected after (t)", value: (r) => num(r.expected_shortfall_after_t, 1),
            num: true },
          { label: `CVaR ${a} % before (t)`, value: (r) => num(r[`cvar${a}_before_t`], 1),
            num: true },
          { label: `CVaR ${a} % after (t)`, value: (r) => num(r[`cvar${a}_after_t`], 1),
            num: true },
          { label: "Supply counted (t)", value: (r) => num(r.supply_counted_t), num: true },
        ], short.data, { id: "plan-shortfall" }),
        h("h3", null, "Top permitting accelerations"),
        acc.data.length ? dataTable([
          { label: "Project", value: (r) => `${r.name || r.project_id}` },
          { label: "In portfolio", value: (r) => (r.in_portfolio ? "yes" : "no") },
          { label: "Permitting (months, expected / pessimistic)", num: true,
            value: (r) => `${num(r.permit_expected_months)} / ${num(r.permit_pessimistic_months)}` },
          { label: "Shortfall avoided per month faster (t)", num: true,
            value: (r) => num(r.shortfall_avoided_t_12m_per_month, 2) },
          { label: "Objective gain per month faster", num: true,
            value: (r) => num(r.objective_gain_12m_per_month, 2) },
          { label: "Alone: avoided per month (t)", num: true,
            value: (r) => num(r.standalone_shortfall_avoided_t_12m_per_month, 2) },
        ], acc.data.slice(0, 5), { id: "plan-accelerations" })
          : h("p", { class: "muted" }, "No candidate is still in permitting."),
        source("Per month of a 12-month acceleration, on every Monte Carlo scenario; " +
          "“alone”: if the project were the only new one."),
        source(`Units: ${meta.units}.`),
        meta.notes && meta.notes.length ? h("details", null, h("summary", null, "Notes"),
          h("ul", { class: "small" }, meta.notes.map((n) => h("li", null, n)))) : null);
    } catch (error) {
      fill(resultBox, errorBox(error, "The result could not be loaded"));
    }
  }

  fill(presetPick, presets.map((p) => h("option", { value: p.key }, p.label)));
  use(base);
  const jobs = await list.load();
  if (!ctx.alive()) return;
  // earlier plans of the party are presets too
  const seen = new Set();
  for (const j of jobs) {
    const key = JSON.stringify(j.params);
    if (seen.has(key)) continue;
    seen.add(key);
    presets.push({ key: j.id, label: `${j.params.name} · ${num(j.params.runs)} runs · ` +
      `${(j.created_at || "").slice(0, 16).replace("T", " ")} (${j.id})`, spec: j.params });
  }
  fill(presetPick, presets.map((p) => h("option", { value: p.key }, p.label)));
  const done = jobs.find((j) => j.status === "done");
  if (done) showResult(done);
}
