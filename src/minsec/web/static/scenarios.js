// Scenario builder: pick a named disruption scenario or edit one, run it, and read the
// shortfall and price over time and the coordinated response.

import { api } from "./api.js";
import { backtestPanel } from "./backtest.js";
import { lineChart } from "./charts.js";
import { sensitivityPanel } from "./sensitivity.js";
import { bar, dataTable, errorBox, fill, h, input, loading, num, pctv, source, stat, tonnes, usd }
  from "./dom.js";

const DEFAULT_SCENARIO = "china-graphite-like-minded";
const FOCUS = ["USA", "JPN", "like-minded"];

const clone = (x) => JSON.parse(JSON.stringify(x));

export async function scenariosPage(view, ctx) {
  const listBox = h("div", { id: "scenario-list" }, loading("Loading scenarios…"));
  const editor = h("div", { id: "scenario-editor" });
  const results = h("div", { id: "scenario-results" });
  let current = null;
  const record = backtestPanel({ current: () => current?.name, alive: ctx.alive });
  view.append(
    h("div", { class: "page-head" }, h("div", null, h("h1", null, "Disruption scenarios"),
      h("p", null, "Pick a named scenario, change its events or responses, run it and read " +
        "the shortfall and price month by month, and how partners' stockpiles cover it."))),
    h("div", { class: "grid-side" },
      h("aside", { class: "panel" }, h("h2", { class: "hide-phone" }, "Named scenarios"),
        listBox),
      h("div", { class: "stack" }, h("div", { class: "panel" }, editor), results, record)));

  const list = await api("/api/v1/scenarios");
  if (!ctx.alive()) return;
  const wanted = ctx.params.name ||
    list.data.find((r) => ctx.params.commodity && r.commodity === ctx.params.commodity)?.name ||
    DEFAULT_SCENARIO;
  current = list.data.find((r) => r.name === wanted) || list.data[0];
  let spec = null;
  let draft = null;

  const buttons = new Map();
  const phonePick = h("select", { id: "scenario-select", "aria-label": "Named scenario",
    onchange: (e) => choose(list.data.find((r) => r.name === e.target.value)) },
  list.data.map((r) => h("option", { value: r.name, selected: r === current },
    r.title || r.name)));
  fill(listBox, h("label", { class: "field show-phone" }, h("span", null, "Scenario"), phonePick),
    h("ul", { class: "scenario-list hide-phone" }, list.data.map((r) => {
    const b = h("button", { type: "button", "data-name": r.name, "aria-pressed": "false",
      onclick: () => choose(r) },
    r.title || r.name,
    h("span", { class: "sub" }, `${r.commodity} · baseline ${r.baseline_year} · ` +
      `${r.months} months · ${r.events} event${r.events === 1 ? "" : "s"}, ` +
      `${r.responses} response${r.responses === 1 ? "" : "s"}`));
    buttons.set(r.name, b);
    return h("li", null, b);
  })));

  async function choose(r) {
    current = r;
    record.follow(r.name);
    for (const [n, b] of buttons) b.setAttribute("aria-pressed", String(n === r.name));
    phonePick.value = r.name;
    ctx.go({ name: r.name, commodity: null });
    fill(editor, loading("Loading the scenario…"));
    fill(results);
    try {
      spec = await api(`/api/v1/scenarios/${encodeURIComponent(r.name)}`);
      if (!ctx.alive() || current !== r) return;
      draft = clone(spec);
      renderEditor();
    } catch (error) {
      fill(editor, errorBox(error, "The scenario could not be loaded"));
    }
  }

  const modified = () => JSON.stringify(draft) !== JSON.stringify(spec);

  function renderEditor() {
    const status = h("span", { class: "badge", id: "modified-badge" },
      modified() ? "edited" : "as published");
    const touch = () => { status.textContent = modified() ? "edited" : "as published"; };
    const num_ = (label, obj, key, attrs = {}) => input(label, { type: "number",
      value: obj[key] ?? "", ...attrs, onchange: (e) => {
        const v = e.target.value;
        obj[key] = v === "" ? null : Number(v);
        touch();
      } });
    const pctField = (label, obj, key) => input(label, { type: "number", min: 0, max: 100,
      step: 1, value: obj[key] === null || obj[key] === undefined ? "" : Math.round(obj[key] *
        1000) / 10, onchange: (e) => {
        obj[key] = e.target.value === "" ? null : Number(e.target.value) / 100;
        touch();
      } });
    const text = (label, obj, key, attrs = {}) => input(label, { type: "text",
      value: Array.isArray(obj[key]) ? obj[key].join(", ") : (obj[key] ?? ""), ...attrs,
      onchange: (e) => {
        const v = e.target.value.trim();
        obj[key] = attrs.list ? (v.toLowerCase() === "all" ? "all"
          : v.split(",").map((x) => x.trim()).filter(Boolean)) : (v || null);
        touch();
      } });
    const date = (label, obj, key) => input(label, { type: "date", value: obj[key] ?? "",
      onchange: (e) => { obj[key] = e.target.value || null; touch(); } });

    const eventRow = (ev, i) => {
      const fields = [];
      if (ev.type === "export_restriction") {
        fields.push(text("Exporter", ev, "exporter"),
          text("Targets (all or list)", ev, "targets", { list: true }),
          pctField("Share withheld (%)", ev, "fraction"));
      } else if (ev.type === "tariff") {
        fields.push(text("Importer", ev, "importer", { list: true }),
          text("Exporters", ev, "exporters", { list: true }),
          input("New duty (%)", { type: "number", min: 0, step: 0.1,
            value: ev.duty === null || ev.duty === undefined ? "" : Math.round(ev.duty * 1000) / 10,
            onchange: (e) => {
              ev.duty = e.target.value === "" ? null : Number(e.target.value) / 100;
              touch();
            } }));
      } else if (ev.type === "production_outage") {
        fields.push(text("Country", ev, "country"), pctField("Output lost (%)", ev, "fraction"));
      } else {
        fields.push(text("Name", ev, "name"), pctField("Trade blocked (%)", ev, "fraction"));
      }
      fields.push(date("Start", ev, "start"));
      if (ev.end) fields.push(date("End", ev, "end"));
      else fields.push(num_("Duration (months)", ev, "duration_months", { min: 0, step: 1 }));
      return h("div", { class: "row-editor", "data-event": i },
        h("div", { class: "row-title" }, `Event ${i + 1}: ${ev.type.replace("_", " ")}`,
          draft.events.length > 1 ? h("button", { type: "button", class: "danger",
            onclick: () => { draft.events.splice(i, 1); renderEditor(); } }, "Remove") : null),
        h("div", { class: "controls" }, fields));
    };
    const responseRow = (r, i) => {
      const fields = [];
      if (r.type === "stockpile_release") {
        fields.push(text("Holder", r, "holder"),
          num_("Days of cover", r, "days_of_cover", { min: 0, step: 1 }),
          num_("Tonnes", r, "tonnes", { min: 0 }),
          num_("Max release (t/month)", r, "max_rate_t_per_month", { min: 0 }));
      } else if (r.type === "demand_restraint") {
        fields.push(text("Countries or blocs", r, "countries", { list: true }),
          pctField("Demand shed (%)", r, "fraction"));
      } else {
        fields.push(text("Bloc", r, "bloc"), h("label", { class: "field" },
          h("span", null, "Pool releases"), h("input", { type: "checkbox", checked: r.enabled,
            onchange: (e) => { r.enabled = e.target.checked; touch(); } })));
      }
      return h("div", { class: "row-editor", "data-response": i },
        h("div", { class: "row-title" }, `Response ${i + 1}: ${r.type.replace("_", " ")}`,
          h("button", { type: "button", class: "danger",
            onclick: () => { draft.responses.splice(i, 1); renderEditor(); } }, "Remove")),
        h("div", { class: "controls" }, fields));
    };
    const add = (label, item) => h("button", { type: "button", onclick: () => {
      draft.responses.push(item);
      renderEditor();
    } }, `+ ${label}`);
    const json = h("textarea", { rows: 14, id: "scenario-json", spellcheck: "false" },
      JSON.stringify(draft, null, 2));
    const jsonMsg = h("div");
    const runButton = h("button", { type: "button", class: "primary", id: "run-scenario",
      onclick: () => run(runButton) }, "Run scenario");

    fill(editor,
      h("div", { class: "row-title" }, h("h2", { id: "scenario-title" }, draft.title || draft.name),
        status),
      draft.description ? h("p", { class: "muted" }, draft.description) : null,
      h("div", { class: "controls" },
        h("div", { class: "field" }, h("span", null, "Mineral"), h("strong", null, draft.commodity)),
        num_("Baseline year", draft, "baseline_year", { min: 1995, max: 2100, step: 1,
          id: "baseline-year" }),
        num_("Horizon (months)", draft, "months", { min: 1, max: 240, step: 1 }),
        input("Timeline start", { type: "date", value: draft.start ?? "",
          onchange: (e) => { draft.start = e.target.value || null; touch(); } })),
      h("h3", null, "Events"),
      draft.events.map(eventRow),
      h("h3", null, "Responses"),
      draft.responses.length ? draft.responses.map(responseRow)
        : h("p", { class: "muted" }, "No response: partners do nothing. Add one below."),
      h("div", { class: "controls" },
        add("Stockpile release", { type: "stockpile_release", holder: "Japan",
          days_of_cover: 30, tonnes: null, max_rate_t_per_month: null, stage: null }),
        add("Demand restraint", { type: "demand_restraint", countries: ["like-minded"],
          fraction: 0.05 }),
        add("Allied sharing", { type: "allied_sharing", enabled: true, bloc: "like-minded" })),
      h("details", null, h("summary", null, "Edit as JSON (every field of the scenario)"),
        h("label", { class: "field wide" }, h("span", null, "Scenario spec"), json),
        h("div", { class: "controls" },
          h("button", { type: "button", onclick: () => {
            try {
              draft = JSON.parse(json.value);
              renderEditor();
            } catch (exc) {
              fill(jsonMsg, errorBox({ message: `This is not valid JSON: ${exc.message}`,
                field: "scenario spec", hint: "Fix the text, or reset to the published scenario." }));
            }
          } }, "Apply JSON")),
        jsonMsg),
      h("div", { class: "controls" }, runButton,
        h("button", { type: "button", onclick: () => { draft = clone(spec); renderEditor(); } },
          "Reset to published"),
        (draft.sources || []).length
          ? h("span", { class: "source" }, `Sources: ${draft.sources.join("; ")}`) : null));
  }

  async function run(button) {
    button.disabled = true;
    const edited = modified();
    const ran = { name: current.name, spec: clone(draft) };
    fill(results, h("div", { class: "panel" }, loading(edited
      ? "Simulating the edited scenario…" : "Simulating the scenario…")));
    const get = (table) => (edited
      ? api("/api/v1/simulate", { method: "POST", params: { table }, body: draft })
      : api(`/api/v1/scenarios/${encodeURIComponent(current.name)}/simulate`,
        { method: "POST", params: { table } }));
    try {
      const summary = await get("summary");
      const [monthly, market, response, responseShort] = await Promise.all([get("monthly"),
        get("market"), get("response"), get("response-shortfall")]);
      if (!ctx.alive()) return;
      showResults(summary, monthly, market, response, responseShort, edited, ran);
    } catch (error) {
      if (!ctx.alive()) return;
      fill(results, h("div", { class: "panel" }, errorBox(error, "The simulation failed")));
    } finally {
      button.disabled = false;
    }
  }

  function showResults(summary, monthly, market, response, responseShort, edited, ran) {
    const meta = summary.meta;
    const stages = meta.stages || [...new Set(summary.data.map((r) => r.stage))];
    let stage = stages[0];
    const parties = [...new Set(summary.data.map((r) => r.party))];
    let chosen = FOCUS.filter((p) => parties.includes(p));
    if (!chosen.length) chosen = parties.slice(0, 3);
    const panel = h("div", { class: "panel", id: "scenario-output" });
    const tornado = sensitivityPanel({
      fetchTornado: (party) => (edited
        ? api("/api/v1/sensitivity", { method: "POST", params: { party }, body: ran.spec })
        : api(`/api/v1/scenarios/${encodeURIComponent(ran.name)}/sensitivity`,
          { method: "POST", params: { party } })),
      parties: () => chosen,
      alive: ctx.alive,
    });
    fill(results, panel, tornado);

    const draw = () => {
      const rows = summary.data.filter((r) => r.stage === stage);
      const mrows = monthly.data.filter((r) => r.stage === stage);
      const dates = [...new Set(mrows.map((r) => r.date))];
      const series = chosen.map((p) => ({
        name: rows.find((r) => r.party === p)?.name || p,
        values: dates.map((d) => mrows.find((r) => r.party === p && r.date === d)?.shortfall_pct
          ?? null),
      }));
      const mk = market.data.filter((r) => r.stage === stage);
      const price0 = meta.baseline_price_usd_per_t?.[stage];
      const focus = rows.filter((r) => chosen.includes(r.party));
      const resp = response.data.filter((r) => r.stage === stage);
      const respShort = responseShort.data.filter((r) => r.stage === stage);
      const pick = h("div", { class: "controls" },
        stages.length > 1 ? h("div", { class: "field" }, h("span", null, "Stage"),
          h("div", { class: "seg" }, stages.map((st) => h("button", { type: "button",
            "aria-pressed": String(st === stage), onclick: () => { stage = st; draw(); } }, st))))
          : null,
        h("div", { class: "field" }, h("span", null, "Importers on the charts"),
          h("div", { class: "checks" }, parties.slice(0, 14).map((p) => h("label", null,
            h("input", { type: "checkbox", checked: chosen.includes(p), onchange: (e) => {
              chosen = e.target.checked ? [...chosen, p] : chosen.filter((x) => x !== p);
              draw();
            } }), ` ${p}`)))));
      fill(panel,
        h("h2", null, `Result${edited ? " (edited scenario)" : ""}: ${meta.title || meta.scenario}`),
        h("p", { class: "muted" }, `${meta.commodity}, ${stage} · baseline ${meta.baseline_year} ` +
          `· ${meta.months} months from ${meta.start} · baseline price ` +
          `${price0 ? `US$ ${num(price0)}/t` : "–"}`),
        h("div", { class: "stats", id: "headline" }, focus.map((r) => stat(
          `${r.name}: shortfall`, pctv(r.shortfall_pct), `peak ${pctv(r.peak_shortfall_pct)} · ` +
          `${tonnes(r.shortfall_t)} over the horizon`, { "data-party": r.party }))),
        pick,
        h("div", { class: "grid-half" },
          lineChart({ title: "Shortfall by month (% of apparent consumption)", x: dates,
            series, yLabel: "% short", yFormat: (v) => `${num(v, 1)} %`, yMin: 0 }),
          lineChart({ title: "Price by month (US$ per tonne)", x: mk.map((r) => r.date),
            series: [{ name: "price", values: mk.map((r) => r.price_usd_per_t) }],
            yLabel: "US$/t", yFormat: (v) => num(v), yMin: 0 })),
        h("h3", null, "Shortfall by party over the horizon"),
        dataTable([
          { label: "Party", value: (r) => h("span", { class: "nowrap", title: r.party },
            r.name.length > 24 ? r.party : r.name) },
          { label: "Consumption (t)", value: (r) => num(r.baseline_t), num: true,
            title: "baseline apparent consumption over the horizon" },
          { label: "Shortfall (t)", value: (r) => num(r.shortfall_t), num: true },
          { label: "Shortfall", num: true, value: (r) => h("span",
            { "data-party": r.party, "data-key": "shortfall_pct" }, pctv(r.shortfall_pct)) },
          { label: "Peak month", value: (r) => pctv(r.peak_shortfall_pct), num: true },
          { label: "Months short", value: (r) => num(r.months_with_shortfall), num: true },
          { label: "Stock released (t)", value: (r) => num(r.stock_release_t), num: true },
          { label: "Extra cost", value: (r) => usd(r.extra_cost_usd), num: true },
        ], rows, { id: "summary-table" }),
        h("h3", null, "Coordinated response"),
        coordinated(resp, respShort),
        source(`Method and data: ${(meta.notes || []).join("; ")}. Price capped at ` +
          `${meta.parameters?.[stage]?.max_price_multiple ?? "–"}× the baseline.`));
    };
    draw();
  }

  await choose(current);
}

function coordinated(resp, short) {
  if (!resp.length) {
    return h("p", { class: "note", id: "response-none" }, "This scenario has no stockpile " +
      "release: add a response above (stockpile release, allied sharing) and run it again.");
  }
  const pooled = resp.some((r) => r.coordinated);
  const plan = resp.filter((r) => r.coordinated === pooled);
  const totals = new Map();
  for (const r of plan) {
    const key = `${r.source}→${r.partner}`;
    const cur = totals.get(key) || { source: r.source, partner: r.partner, tonnes: 0,
      months: new Set() };
    cur.tonnes += r.tonnes;
    cur.months.add(r.month);
    totals.set(key, cur);
  }
  const rows = [...totals.values()].sort((a, b) => b.tonnes - a.tonnes);
  const sum = rows.reduce((a, r) => a + r.tonnes, 0);
  const bySource = new Map();
  for (const r of rows) bySource.set(r.source, (bySource.get(r.source) || 0) + r.tonnes);
  const max = rows.length ? rows[0].tonnes : 1;
  const out = [
    h("p", null, pooled
      ? "Releases pooled among partners (shared pro rata to need): "
      : "Each holder releases to itself (no pooling): ",
    `${tonnes(sum)} in all — `,
    [...bySource].map(([src, t]) => `${src} ${tonnes(t)}`).join(", "), "."),
    dataTable([
      { label: "From", value: (r) => r.source },
      { label: "To", value: (r) => r.partner },
      { label: "Tonnes", num: true, value: (r) => h("span", null, bar(r.tonnes / max),
        num(r.tonnes, r.tonnes < 10 ? 2 : 0)) },
      { label: "Months", value: (r) => num(r.months.size), num: true },
    ], rows.slice(0, 12), { id: "response-table" }),
    rows.length > 12 ? h("p", { class: "source" }, `… and ${rows.length - 12} smaller flows ` +
      `(${tonnes(rows.slice(12).reduce((a, r) => a + r.tonnes, 0))}).`) : null,
  ];
  const flags = new Set(short.map((r) => r.coordinated));
  if (flags.has(true) && flags.has(false)) {
    const by = new Map();
    for (const r of short) {
      const cur = by.get(r.partner) || { partner: r.partner, reference: 0, with: 0, without: 0 };
      cur.reference += r.coordinated ? r.reference_t : 0;
      if (r.coordinated) cur.with += r.shortfall_t;
      else cur.without += r.shortfall_t;
      by.set(r.partner, cur);
    }
    const cmp = [...by.values()].sort((a, b) => b.without - a.without);
    const w = cmp.reduce((a, r) => a + r.with, 0);
    const wo = cmp.reduce((a, r) => a + r.without, 0);
    const worst = (flag) => Math.max(0, ...short.filter((r) => r.coordinated === flag)
      .map((r) => r.shortfall_pct ?? 0));
    const share = (t, r) => (r.reference > 0 ? pctv((t / r.reference) * 100) : "–");
    out.push(
      h("h3", null, "Pooling versus each on its own"),
      h("p", { id: "pooling-effect" }, "Worst shortfall of any partner in any month: ",
        h("strong", { id: "worst-own" }, pctv(worst(false))),
        " if each holder keeps its release, ",
        h("strong", { id: "worst-pooled" }, pctv(worst(true))), " with pooling. ",
        Math.abs(w - wo) < 0.5 + 1e-3 * wo
          ? `The total (${tonnes(w)}) is the same: pooling moves releases to where they are ` +
            "needed most, it does not add to them."
          : `Total shortfall ${tonnes(wo)} on their own, ${tonnes(w)} pooled.`),
      dataTable([
        { label: "Partner", value: (r) => r.partner },
        { label: "Short, own releases (t)", value: (r) => num(r.without), num: true },
        { label: "Short, pooled (t)", value: (r) => num(r.with), num: true },
        { label: "Own", value: (r) => share(r.without, r), num: true,
          title: "shortfall as % of reference consumption" },
        { label: "Pooled", value: (r) => share(r.with, r), num: true },
      ], cmp.slice(0, 12), { id: "pooling-table" }));
  }
  return out;
}
