// Incidents page: the Rapid Response Group's incidents (list, new, detail with the
// assessed impact, actions, decisions, deadlines, a party-private note) and the clocks.
//
// #/incidents            the list and the Clocks panel
// #/incidents?new=1      the "New incident" form (from a named scenario or an observed event)
// #/incidents?id=inc_…   one incident
//
// Changes name the version they were made from (If-Match); a 409 says that someone else
// changed the record and offers to reload it.

import { api, ApiError } from "./api.js";
import { dataTable, errorBox, fill, h, input, loading, num, pctv, select, source, stat, tonnes,
  usd } from "./dom.js";
import { commodities, countries } from "./data.js";

const KINDS = [
  ["stockpile_release", "Stockpile release"],
  ["allied_allocation", "Allied allocation"],
  ["project_financing", "Project financing"],
  ["permitting_acceleration", "Permitting acceleration"],
  ["diplomatic", "Diplomatic"],
  ["other", "Other"],
];
const KIND_NAMES = new Map(KINDS);
const INSTRUMENTS = ["grant", "loan", "guarantee", "equity", "offtake", "insurance", "other"];
/** Typed params of each action kind: [key, label, type, required]. */
const PARAMS = {
  stockpile_release: [["commodity", "Mineral", "commodity", true],
    ["tonnes", "Quantity (t)", "number"], ["days_of_cover", "Days of cover (days)", "number"]],
  allied_allocation: [["commodity", "Mineral", "commodity", true],
    ["tonnes", "Quantity (t)", "number"],
    ["recipients", "Recipients (parties, comma-separated)", "list"]],
  project_financing: [["project", "Project (id or name)", "text", true],
    ["instrument", "Instrument", "instrument"], ["amount_usd", "Amount (US$)", "number"]],
  permitting_acceleration: [["project", "Project (id or name)", "text", true],
    ["months_saved", "Months saved (months)", "number"]],
  diplomatic: [["counterpart", "Counterpart", "text"]],
  other: [],
};
const TRANSITIONS = {
  proposed: ["agreed", "rejected", "cancelled"],
  agreed: ["in_progress", "done", "blocked", "cancelled"],
  in_progress: ["done", "blocked", "cancelled"],
  blocked: ["in_progress", "cancelled"],
  done: [],
  rejected: [],
  cancelled: [],
};
const STATUS_NAMES = { in_progress: "in progress" };
const statusName = (s) => STATUS_NAMES[s] || s;
const when = (iso) => (iso ? `${iso.replace("T", " ").slice(0, 16)} UTC` : "–");
const listOf = (text) => text.split(",").map((x) => x.trim()).filter(Boolean);
const incidentHref = (id) => `#/incidents?id=${encodeURIComponent(id)}`;

export async function incidentsPage(view, ctx) {
  if (ctx.params.id) return detailView(view, ctx);
  if (ctx.params.new) return newView(view, ctx);
  return listView(view, ctx);
}

// -- clocks --------------------------------------------------------------------------------

/** A clock's state in words with an icon (not colour alone). */
export function clockState(c) {
  if (c.state === "met") {
    return h("span", { class: "clock-state met", "data-state": "met" },
      h("span", { "aria-hidden": "true" }, "✓ "), "Met");
  }
  if (c.state === "overdue") {
    const late = -c.days_left;
    return h("span", { class: "clock-state overdue", "data-state": "overdue" },
      h("span", { "aria-hidden": "true" }, "⚠ "),
      `OVERDUE · ${num(late)} day${late === 1 ? "" : "s"} late`);
  }
  return h("span", { class: "clock-state open", "data-state": "open" },
    h("span", { "aria-hidden": "true" }, "◷ "),
    c.days_left === 0 ? "Due today" : `Open · ${num(c.days_left)} day${c.days_left === 1 ? "" : "s"} left`);
}

const CLOCK_KINDS = { framework: "Framework", incident: "Incident", deadline: "Deadline",
  action: "Action" };

function clockList(clocks, { canWrite = false, onMet = null, id = null } = {}) {
  if (!clocks.length) return h("p", { class: "muted", id }, "No clocks.");
  return h("ul", { class: "clock-list", id }, clocks.map((c) => h("li", {
    class: `clock ${c.state}`, "data-id": c.id, "data-state": c.state },
  h("div", { class: "clock-head" }, clockState(c),
    h("span", { class: "clock-due" }, `due ${c.due_date}`)),
  h("div", { class: "clock-title" }, c.title),
  h("div", { class: "clock-meta" }, CLOCK_KINDS[c.kind] || c.kind,
    c.owner_party ? ` · ${c.owner_party}` : "",
    c.incident_id ? [" · ", h("a", { href: incidentHref(c.incident_id) }, c.incident_id)] : "",
    c.met_at ? ` · met ${when(c.met_at)}` : "",
    canWrite && onMet && c.state !== "met" && (c.kind === "framework" || c.kind === "deadline")
      ? [" · ", h("button", { type: "button", class: "link", "data-role": "met",
        onclick: () => onMet(c) }, "mark met")] : null))));
}

// -- the list --------------------------------------------------------------------------------

/** The list's Assessment cell: from the row's own staleness fields (no extra request). */
export function staleCell(r) {
  if (r.assessment_seq === null || r.assessment_seq === undefined) {
    return h("span", { class: "muted", "data-role": "stale" }, "not assessed");
  }
  if (r.assessment_stale) {
    return h("span", { class: "flag stale", "data-role": "stale",
      title: (r.stale_reasons || []).join("; ") },
    h("span", { "aria-hidden": "true" }, "↻ "), `Stale (#${r.assessment_seq})`);
  }
  if (r.assessment_stale === false) {
    return h("span", { "data-role": "stale" }, `up to date (#${r.assessment_seq})`);
  }
  return h("span", { class: "muted", "data-role": "stale" },
    `#${r.assessment_seq} (data not compared)`);
}

async function listView(view, ctx) {
  const canWrite = ctx.user.role !== "viewer";
  const filters = { status: ctx.params.status || "", overdue: ctx.params.overdue === "1" };
  const listBox = h("div", { id: "incident-list" }, loading("Loading incidents…"));
  const clocksBox = h("div", { id: "clocks" }, loading("Loading clocks…"));
  const clockMsg = h("div", { "aria-live": "polite" });
  const listMsg = h("div", { id: "incidents-message", "aria-live": "polite" });

  async function reassess() {
    fill(listMsg, loading("Re-assessing stale incidents…"));
    try {
      const done = await api("/api/v1/incidents/reassess", { method: "POST" });
      if (!ctx.alive()) return;
      fill(listMsg, h("div", { class: "ok-box" }, done.length
        ? `Re-assessed ${done.length} incident${done.length === 1 ? "" : "s"}: ` +
          done.map((a) => `${a.incident_id} (${a.reason})`).join("; ")
        : "No open incident had a stale assessment."));
      load();
    } catch (error) {
      fill(listMsg, errorBox(error, "Re-assessing failed"));
    }
  }
  view.append(
    h("div", { class: "page-head" },
      h("div", null, h("h1", null, "Incidents"),
        h("p", null, "Disruptions the Rapid Response Group follows: their assessed impact on " +
          "the partners, the actions agreed with owners and due dates, the decisions taken " +
          "and the framework's clocks.")),
      canWrite ? h("div", { class: "controls tight" },
        h("button", { type: "button", id: "reassess-stale", title: "Re-assess every open " +
          "incident whose data, baseline year or partners changed since its assessment",
        onclick: reassess }, "Re-assess stale incidents"),
        h("a", { class: "button primary", href: "#/incidents?new=1", id: "new-incident" },
          "New incident"))
        : h("span", { class: "note" }, "Read-only: your role is viewer.")),
    listMsg,
    h("div", { class: "grid2" },
      h("div", { class: "panel", id: "incidents-panel" }, h("h2", null, "Incidents"),
        h("div", { class: "controls" },
          select("Status", [["", "All"], ["open", "Open"], ["closed", "Closed"]], filters.status,
            (v) => { filters.status = v; ctx.go({ status: v || null }); load(); },
            { id: "incident-status" }),
          h("label", { class: "check" }, h("input", { type: "checkbox", id: "incident-overdue",
            checked: filters.overdue, onchange: (e) => {
              filters.overdue = e.target.checked;
              ctx.go({ overdue: filters.overdue ? "1" : null });
              load();
            } }), "Only incidents with an overdue clock")),
        listBox),
      h("aside", { class: "panel", id: "clocks-panel" }, h("h2", null, "Clocks"),
        h("p", { class: "muted small" }, "The framework's deadlines and those of incidents and " +
          "actions, soonest first. Overdue items are marked ⚠ OVERDUE."),
        clockMsg, clocksBox)));

  async function loadClocks() {
    try {
      const t = await api("/api/v1/clocks");
      if (!ctx.alive()) return;
      const late = t.data.filter((c) => c.state === "overdue").length;
      fill(clocksBox,
        h("p", { class: late ? "clock-summary overdue" : "clock-summary", id: "clocks-summary" },
          late ? [h("span", { "aria-hidden": "true" }, "⚠ "),
            `${late} overdue of ${t.data.length} (on ${t.meta.today})`]
            : `None overdue of ${t.data.length} (on ${t.meta.today})`),
        clockList(t.data, { canWrite, id: "clock-list", onMet: async (c) => {
          try {
            await api(`/api/v1/clocks/${encodeURIComponent(c.id)}/met`, { method: "POST" });
            loadClocks();
          } catch (error) {
            fill(clockMsg, errorBox(error, "The clock was not marked met"));
          }
        } }));
    } catch (error) {
      fill(clocksBox, errorBox(error));
    }
  }

  async function load() {
    fill(listBox, loading("Loading incidents…"));
    try {
      const t = await api("/api/v1/incidents",
        { params: { status: filters.status, overdue: filters.overdue ? "true" : null } });
      if (!ctx.alive()) return;
      if (!t.data.length) {
        fill(listBox, h("p", { class: "muted", id: "incidents-empty" }, filters.overdue
          ? "No incident has an overdue clock." : "No incidents yet."));
        return;
      }
      fill(listBox, h("div", { class: "table-wrap" }, h("table", { id: "incident-table" },
        h("thead", null, h("tr", null,
          ["Incident", "Status", "Clocks", "Assessment"].map((x) => h("th", { scope: "col" }, x)),
          ["Minerals · exporter", "Owner", "Due"].map((x) => h("th", { scope: "col",
            class: "hide-phone" }, x)))),
        h("tbody", null, t.data.map((r) => h("tr", { "data-id": r.id, "data-status": r.status },
          h("td", null, h("a", { href: incidentHref(r.id) }, r.title),
            h("div", { class: "muted small" }, `${r.id} · ${r.origin} · updated ` +
              when(r.updated_at))),
          h("td", null, h("span", { class: `badge ${r.status}` }, r.status)),
          h("td", null, r.overdue_items
            ? h("span", { class: "flag overdue", "data-role": "overdue",
              title: `${r.overdue_items} clock${r.overdue_items === 1 ? "" : "s"} past due` },
            h("span", { "aria-hidden": "true" }, "⚠ "), `Overdue (${r.overdue_items})`)
            : h("span", { class: "muted" }, "on time")),
          h("td", null, staleCell(r)),
          h("td", { class: "hide-phone" }, `${r.commodities.join(", ")} · ${r.exporter || "–"}`),
          h("td", { class: "hide-phone" }, r.owner_party),
          h("td", { class: "nowrap hide-phone" }, r.due_date || "–")))))),
      source(`${t.data.length} incident${t.data.length === 1 ? "" : "s"} visible to ` +
        `${t.meta.party} on ${t.meta.today}. The assessment is stale when the data, the ` +
        "baseline year, the partners or the responses changed since it was made."));
    } catch (error) {
      fill(listBox, errorBox(error));
    }
  }
  await Promise.all([load(), loadClocks()]);
}

// -- new incident ------------------------------------------------------------------------------

async function newView(view, ctx) {
  view.append(h("p", null, h("a", { href: "#/incidents" }, "← All incidents")));
  if (ctx.user.role === "viewer") {
    view.append(errorBox(new ApiError(403, "Opening an incident needs the analyst role.", null,
      "Ask an admin of your party for an analyst token.")));
    return;
  }
  const [scen, com, ctry] = await Promise.all([api("/api/v1/scenarios"), commodities(),
    countries()]);
  if (!ctx.alive()) return;
  let mode = ctx.params.new === "event" ? "event" : "scenario";
  const preferred = scen.data.find((r) => r.name === "china-graphite-like-minded");
  const f = { scenario: (preferred || scen.data[0])?.name, title: "", exporter: "CHN", commodity: "graphite",
    measure: "", fraction: 100, targets: "", effective: "", duration: "", source: "",
    partners: "", year: "", due: "", note: "", notePrivate: false, noteShared: "" };
  const msg = h("div", { id: "new-message", "aria-live": "polite" });
  const modeBox = h("div", { id: "new-origin" });
  const segBtn = (m, label) => h("button", { type: "button", id: `mode-${m}`,
    "aria-pressed": String(mode === m), onclick: () => { mode = m; drawMode(); } }, label);
  const seg = h("div", { class: "seg", role: "group", "aria-label": "Open from" },
    segBtn("scenario", "A named scenario"), segBtn("event", "An observed event"));
  const text = (label, key, attrs = {}) => input(label, { type: "text", value: f[key],
    oninput: (e) => { f[key] = e.target.value; }, ...attrs });

  function drawMode() {
    for (const b of seg.children) b.setAttribute("aria-pressed", String(b.id === `mode-${mode}`));
    if (mode === "scenario") {
      fill(modeBox, h("div", { class: "controls" },
        select("Named scenario", scen.data.map((r) => [r.name, r.title || r.name]),
          f.scenario, (v) => { f.scenario = v; }, { id: "new-scenario" }),
        text("Title (optional; default: the scenario's)", "title", { id: "new-title" })));
    } else {
      fill(modeBox,
        h("div", { class: "controls" },
          text("Title", "title", { id: "new-title", required: true, maxlength: 300 }),
          select("Exporter", ctry.list.map((c) => [c.id, c.name]), f.exporter,
            (v) => { f.exporter = v; }, { id: "new-exporter" }),
          select("Mineral", com.list.map((c) => [c.id, c.name]), f.commodity,
            (v) => { f.commodity = v; }, { id: "new-commodity" }),
          text("Measure", "measure", { id: "new-measure", placeholder: "e.g. export licensing" })),
        h("div", { class: "controls" },
          input("Share of exports withheld (%)", { type: "number", min: 1, max: 100, step: "any",
            value: f.fraction, id: "new-fraction",
            oninput: (e) => { f.fraction = e.target.value; } }),
          text("Targets (importers, comma-separated; blank = all)", "targets",
            { id: "new-targets", placeholder: "e.g. USA, JPN" }),
          input("Effective date", { type: "date", value: f.effective, id: "new-effective",
            required: true, oninput: (e) => { f.effective = e.target.value; } }),
          input("Duration (months; blank = open-ended)", { type: "number", min: 0.1, max: 240,
            step: "any", value: f.duration, id: "new-duration",
            oninput: (e) => { f.duration = e.target.value; } }),
          text("Source URL", "source", { id: "new-source", type: "url" })));
    }
  }

  async function submit(e) {
    e.preventDefault();
    fill(msg);
    const body = { partners: f.partners ? listOf(f.partners) : null,
      baseline_year: f.year ? Number(f.year) : null, due_date: f.due || null,
      note: f.note || null, note_private: f.notePrivate, note_shared_with: listOf(f.noteShared) };
    if (mode === "scenario") {
      body.scenario = { name: f.scenario };
      if (f.title) body.title = f.title;
    } else {
      body.title = f.title || null;
      body.event = { exporter: f.exporter, commodities: [f.commodity],
        measure: f.measure || null, fraction: Number(f.fraction) / 100,
        targets: f.targets ? listOf(f.targets) : null, effective_date: f.effective || null,
        duration_months: f.duration ? Number(f.duration) : null, source_url: f.source || null };
    }
    const button = e.target.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const inc = await api("/api/v1/incidents", { method: "POST", body });
      location.hash = incidentHref(inc.id);
    } catch (error) {
      fill(msg, errorBox(error, "The incident was not opened"));
    } finally {
      button.disabled = false;
    }
  }

  view.append(
    h("div", { class: "page-head" }, h("div", null, h("h1", null, "New incident"),
      h("p", null, "Open an incident from a named disruption scenario or from an export " +
        "restriction observed in the news; then assess it on the incident's page."))),
    h("form", { class: "panel", id: "new-incident-form", onsubmit: submit },
      h("h2", null, "Open from"), h("div", { class: "controls" }, seg), modeBox,
      h("h3", null, "For every incident"),
      h("div", { class: "controls" },
        text("Partners to report (blank = USA, JPN, like-minded)", "partners",
          { id: "new-partners", placeholder: "e.g. USA, JPN, like-minded" }),
        input("Baseline year (blank = latest)", { type: "number", min: 1995, max: 2100,
          id: "new-year", oninput: (e) => { f.year = e.target.value; } }),
        input("Response due", { type: "date", id: "new-due",
          oninput: (e) => { f.due = e.target.value; } })),
      h("label", { class: "field wide" }, h("span", null, "Note"),
        h("textarea", { rows: 2, id: "new-note", maxlength: 20000,
          oninput: (e) => { f.note = e.target.value; } })),
      h("div", { class: "controls" },
        h("label", { class: "check" }, h("input", { type: "checkbox", id: "new-note-private",
          onchange: (e) => { f.notePrivate = e.target.checked; } }),
        `Note private to ${ctx.user.party}`),
        text("Share the note with (parties)", "noteShared", { id: "new-note-shared",
          placeholder: "e.g. JPN" })),
      h("div", { class: "controls" },
        h("button", { type: "submit", class: "primary", id: "new-submit" }, "Open the incident")),
      msg));
  drawMode();
}

// -- one incident ------------------------------------------------------------------------------

function conflictBox(error, what, thing, reload) {
  if (error.status === 409 && error.field === "version") {
    const box = errorBox(error,
      `${what}: someone else changed this ${thing} since you loaded it; reload it and ` +
      "re-apply your change");
    box.classList.add("conflict");
    box.dataset.role = "conflict";
    box.append(h("div", { class: "controls tight" }, h("button", { type: "button",
      class: "primary", "data-role": "reload", onclick: reload }, `Reload the ${thing}`)));
    return box;
  }
  return errorBox(error, what);
}

function visibility(privateFlag, owner, shared) {
  if (!privateFlag) return h("span", { class: "muted" }, "All parties");
  return h("span", { class: "tag private", "data-role": "private" }, `Private to ${owner}`,
    shared && shared.length ? `, shared with ${shared.join(", ")}` : "");
}

function paramText(params, names) {
  return Object.entries(params || {}).map(([k, v]) => {
    if (k === "tonnes") return `${num(v, 1)} t`;
    if (k === "amount_usd") return usd(v);
    if (k === "days_of_cover") return `${num(v)} days of cover`;
    if (k === "months_saved") return `${num(v, 1)} months saved`;
    if (k === "commodity") return names.get(v) || v;
    if (Array.isArray(v)) return `${k}: ${v.join(", ")}`;
    return `${k}: ${v}`;
  }).join(" · ");
}

function responseText(r) {
  const who = r.holder || (r.countries || []).join(", ") || r.bloc || "";
  const bits = [r.type.replaceAll("_", " ")];
  if (who) bits.push(who);
  if (r.days_of_cover) bits.push(`${num(r.days_of_cover)} days of cover`);
  if (r.fraction) bits.push(pctv(r.fraction * 100, 0));
  if (r.max_rate_t_per_month) bits.push(`≤ ${num(r.max_rate_t_per_month)} t/month`);
  return bits.join(" · ");
}

async function detailView(view, ctx) {
  const id = ctx.params.id;
  const me = ctx.user;
  const canWrite = me.role !== "viewer";
  const body = h("div", { id: "incident-detail" }, loading("Loading the incident…"));
  view.append(h("p", null, h("a", { href: "#/incidents", id: "back-to-list" }, "← All incidents")),
    body);
  const [com, ctry] = await Promise.all([commodities(), countries()]);
  let inc = null;
  let flash = null; // {where, node}: a message to show after the next render
  const msgs = {};
  const prefill = { kind: "stockpile_release", title: "", params: {} };

  const partyName = (p) => ctry.names.get(p) || (p === "like-minded" ? "Like-minded partners" : p);

  async function load() {
    try {
      const next = await api(`/api/v1/incidents/${encodeURIComponent(id)}`);
      if (!ctx.alive()) return;
      inc = next;
      render();
    } catch (error) {
      if (!ctx.alive()) return;
      fill(body, errorBox(error, "The incident could not be loaded"));
    }
  }

  /** Run a write; on success reload and say `done` in section `where`. */
  async function write(where, what, thing, fn, done) {
    const box = msgs[where];
    if (box) fill(box, loading(`${what}…`));
    try {
      await fn();
      flash = { where, node: h("div", { class: "ok-box" }, done) };
      await load();
    } catch (error) {
      if (!ctx.alive()) return;
      if (msgs[where]) fill(msgs[where], conflictBox(error, `${what} failed`, thing, load));
    }
  }
  const ifMatch = (version) => ({ "If-Match": `"${version}"` });
  const url = (tail = "") => `/api/v1/incidents/${encodeURIComponent(id)}${tail}`;
  const msgBox = (key) => {
    msgs[key] = h("div", { class: "form-msg", id: `msg-${key}`, "aria-live": "polite" });
    return msgs[key];
  };

  function render() {
    for (const key of Object.keys(msgs)) delete msgs[key];
    const open = inc.status === "open";
    const writable = canWrite && open;
    const overdue = inc.clocks.filter((c) => c.state === "overdue");
    fill(body,
      h("div", { class: "page-head" }, h("div", null,
        h("h1", { id: "incident-title" }, inc.title),
        h("p", { class: "badges" },
          h("span", { class: `badge ${inc.status}`, id: "incident-status" }, inc.status),
          h("span", { class: "badge", id: "incident-version", title: "The version (ETag) " +
            "your changes are made from" }, `version ${inc.version}`),
          h("span", { class: "badge" }, `owner ${inc.owner_party}`),
          inc.assessment_stale ? h("span", { class: "flag stale", id: "stale-flag" },
            h("span", { "aria-hidden": "true" }, "↻ "), "Assessment stale") : null,
          overdue.length ? h("span", { class: "flag overdue", id: "overdue-flag" },
            h("span", { "aria-hidden": "true" }, "⚠ "), `${overdue.length} overdue`) : null,
          h("span", { class: "muted" }, ` ${inc.id}`)))),
      canWrite ? null : h("p", { class: "note" }, "Read-only: your role is viewer."),
      inc.assessment_stale ? h("div", { class: "note warn", id: "stale-note" },
        h("strong", null, "The assessment is out of date: "),
        inc.assessment_stale_reasons.join("; "), ". Re-assess it.") : null,
      assessmentPanel(writable),
      h("div", { class: "grid2 detail-grid" },
        h("div", { class: "stack" }, actionsPanel(writable), decisionsPanel(writable)),
        h("div", { class: "stack" }, fieldsPanel(writable), notePanel(writable),
          clocksPanel(writable), closePanel(writable))));
    if (flash) fill(msgs[flash.where] || msgs.edit, flash.node);
    flash = null;
  }

  // -- assessment ---------------------------------------------------------------------------

  function assessmentPanel(writable) {
    const a = inc.assessment;
    const form = { reason: "", year: "" };
    const controls = writable ? h("form", { class: "controls", id: "assess-form",
      onsubmit: (e) => {
        e.preventDefault();
        const payload = { reason: form.reason || null,
          baseline_year: form.year ? Number(form.year) : null };
        write("assess", a ? "Re-assessing" : "Assessing", "incident",
          () => api(url("/assess"), { method: "POST", body: payload }),
          "Assessed with the disruption engine.");
      } },
    input("Reason (optional)", { type: "text", id: "assess-reason",
      placeholder: a ? "e.g. new trade data" : "first assessment",
      oninput: (e) => { form.reason = e.target.value; } }),
    input("Baseline year (blank = the incident's)", { type: "number", min: 1995, max: 2100,
      id: "assess-year", oninput: (e) => { form.year = e.target.value; } }),
    h("button", { type: "submit", class: "primary", id: "assess-button" },
      a ? "Re-assess" : "Assess")) : null;
    const panel = h("section", { class: "panel", id: "assessment-panel" },
      h("h2", null, "Assessed impact"), controls, msgBox("assess"));
    if (!a) {
      panel.append(h("p", { class: "muted", id: "not-assessed" }, "Not assessed yet. " +
        (writable ? "Assess runs the disruption engine on the data store (a second or two)."
          : "An analyst assesses it.")));
      return panel;
    }
    const focus = a.impact;
    panel.append(
      h("p", { class: "muted", id: "assessment-meta" },
        `Assessment #${a.seq} by ${a.assessed_by}, ${when(a.assessed_at)} · baseline year ` +
        `${a.baseline_year} · ${a.reason} · data ${a.data_checksum.slice(0, 12)}`),
      h("div", { class: "stats", id: "impact-headline" }, focus.map((r) =>
        stat(`${partyName(r.party)} · ${r.commodity}`, pctv(r.shortfall_pct),
          `${tonnes(r.shortfall_t)} short · value at risk ${usd(r.value_at_risk_usd)}`,
          { "data-party": r.party, "data-commodity": r.commodity }))),
      h("h3", null, "Impact per partner (12 months)"),
      dataTable([
        { label: "Partner", value: (r) => partyName(r.party) },
        { label: "Mineral (stage)", value: (r) => `${com.names.get(r.commodity) || r.commodity}` +
          ` (${r.stage})` },
        { label: "Consumption (t)", value: (r) => num(r.baseline_t), num: true },
        { label: "Shortfall (t)", num: true, value: (r) => h("span",
          { "data-party": r.party, "data-key": "shortfall_t" }, num(r.shortfall_t)) },
        { label: "Shortfall (%)", title: "% of consumption", num: true, value: (r) => h("span",
          { "data-party": r.party, "data-key": "shortfall_pct" }, pctv(r.shortfall_pct)) },
        { label: "Peak month (%)", num: true, value: (r) => pctv(r.peak_shortfall_pct) },
        { label: "Peak price (%)", title: "Peak price change", num: true, value: (r) => h("span",
          { "data-party": r.party, "data-key": "price" }, pctv(r.peak_price_change_pct, 0)) },
        { label: "Value at risk (US$)", num: true, value: (r) => h("span",
          { "data-party": r.party, "data-key": "value_at_risk" }, usd(r.value_at_risk_usd)) },
        { label: "Extra cost (US$)", num: true, value: (r) => usd(r.extra_cost_usd) },
        { label: "Stock released (t)", num: true, value: (r) => num(r.stock_release_t) },
      ], focus, { id: "impact-table" }),
      source("Shortfall over the scenario's months in tonnes and in % of the partner's " +
        "consumption; value at risk = shortfall × price; from minsec.disrupt on the store."));
    panel.append(responseBlock(a, writable));
    const history = h("div", { id: "assessment-history" });
    const det = h("details", { id: "history-details" },
      h("summary", null, `Assessment history (${inc.assessments})`), history);
    det.addEventListener("toggle", async () => {
      if (!det.open || history.childElementCount) return;
      fill(history, loading("Loading the history…"));
      try {
        const rows = await api(url("/assessments"));
        fill(history, dataTable([
          { label: "#", value: (r) => r.seq, num: true },
          { label: "When", value: (r) => when(r.assessed_at) },
          { label: "By", value: (r) => r.assessed_by },
          { label: "Reason", value: (r) => r.reason },
          { label: "Baseline", value: (r) => r.baseline_year, num: true },
          { label: "Shortfall (%)", value: (r) => r.impact.map((x) =>
            `${x.party} ${pctv(x.shortfall_pct)}`).join(" · ") },
          { label: "Data", value: (r) => r.data_checksum.slice(0, 12) },
        ], rows.slice().reverse(), { id: "history-table" }));
      } catch (error) {
        fill(history, errorBox(error));
      }
    });
    panel.append(det);
    return panel;
  }

  function responseBlock(a, writable) {
    const r = a.response || {};
    const parties = new Set(a.impact.map((x) => x.party));
    const coord = (r.coordination || []).filter((x) => parties.has(x.partner));
    const flows = (r.flows || []).slice().sort((x, y) => y.tonnes - x.tonnes);
    const proposed = r.proposed_actions || [];
    return h("div", { id: "response" },
      h("h3", null, "Proposed coordinated response"),
      coord.length ? dataTable([
        { label: "Partner", value: (x) => partyName(x.partner) },
        { label: "Mineral", value: (x) => `${x.commodity} (${x.stage})` },
        { label: "Shortfall alone (t)", value: (x) => num(x.shortfall_uncoordinated_t), num: true },
        { label: "Coordinated (t)", value: (x) => num(x.shortfall_coordinated_t), num: true },
        { label: "Change with coordination (t)", num: true, value: (x) => {
          const d = x.shortfall_coordinated_t - x.shortfall_uncoordinated_t;
          return `${d > 0 ? "+" : ""}${num(d)}`;
        } },
      ], coord, { id: "coordination-table" }) : null,
      proposed.length ? h("ul", { class: "proposed", id: "proposed-actions" }, proposed.map((p) =>
        h("li", null, h("span", { class: "badge" }, KIND_NAMES.get(p.kind) || p.kind), " ",
          p.title, writable ? [" ", h("button", { type: "button", class: "link",
            "data-role": "propose", onclick: () => {
              Object.assign(prefill, { kind: p.kind, title: p.title, params: { ...p.params } });
              render();
              document.getElementById("action-form")?.scrollIntoView({ block: "start" });
            } }, "make it an action")] : null)))
        : h("p", { class: "muted" }, "No releases or allocations proposed."),
      flows.length ? h("details", null, h("summary", null,
        `Tonnes moved to partners (${flows.length} flows, largest first)`),
      dataTable([
        { label: "From", value: (x) => x.source },
        { label: "To", value: (x) => partyName(x.partner) },
        { label: "Mineral", value: (x) => x.commodity },
        { label: "Tonnes (t)", value: (x) => num(x.tonnes, 1), num: true },
      ], flows.slice(0, 30))) : null,
      a.notes && a.notes.length ? h("details", null, h("summary", null, "Engine notes"),
        h("ul", { class: "small" }, a.notes.map((n) => h("li", null, n)))) : null);
  }

  // -- actions ----------------------------------------------------------------------------------

  function actionsPanel(writable) {
    const clockOf = new Map(inc.clocks.map((c) => [c.id, c]));
    const rows = inc.actions.map((a) => {
      const clock = clockOf.get(a.id);
      const mine = a.owner_party === me.party;
      const next = TRANSITIONS[a.status] || [];
      let change = h("span", { class: "muted" }, next.length ? `by ${a.owner_party}` : "final");
      if (writable && mine && next.length) {
        const pick = h("select", { "aria-label": `New status of ${a.title}`,
          "data-role": "status-select" }, next.map((s) => h("option", { value: s },
          statusName(s))));
        change = h("span", { class: "status-change" }, pick, h("button", { type: "button",
          "data-role": "status-set", onclick: () => write("actions", "Changing the status",
            "action", () => api(url(`/actions/${encodeURIComponent(a.id)}`), {
              method: "PATCH", body: { status: pick.value }, headers: ifMatch(a.version) }),
            `“${a.title}” is now ${statusName(pick.value)}.`) }, "Set"));
      }
      return h("tr", { "data-id": a.id, "data-status": a.status },
        h("td", null, h("strong", null, a.title),
          h("div", { class: "muted small" }, KIND_NAMES.get(a.kind) || a.kind,
            Object.keys(a.params || {}).length ? ` · ${paramText(a.params, com.names)}` : ""),
          a.detail ? h("div", { class: "small" }, a.detail) : null),
        h("td", null, a.owner_party, a.assignee ? h("div", { class: "muted small" },
          a.assignee) : null),
        h("td", { class: "nowrap" }, a.due_date || "–",
          clock && clock.state === "overdue" ? h("div", null, h("span", {
            class: "flag overdue", "data-role": "overdue" }, h("span", { "aria-hidden": "true" },
            "⚠ "), `Overdue · ${num(-clock.days_left)} d`)) : null),
        h("td", null, h("span", { class: `badge ${a.status}`, "data-role": "status" },
          statusName(a.status))),
        h("td", null, visibility(a.private, a.owner_party, a.shared_with)),
        h("td", null, change));
    });
    return h("section", { class: "panel", id: "actions-panel" },
      h("h2", null, "Actions"), msgBox("actions"),
      rows.length ? h("div", { class: "table-wrap" }, h("table", { id: "actions-table" },
        h("thead", null, h("tr", null, ["Action", "Owner · assignee", "Due", "Status",
          "Visible to", "Change status"].map((x) => h("th", { scope: "col" }, x)))),
        h("tbody", null, rows)))
        : h("p", { class: "muted", id: "no-actions" }, "No actions yet."),
      writable ? actionForm() : null);
  }

  function actionForm() {
    const f = { kind: prefill.kind, title: prefill.title, params: { ...prefill.params },
      owner: me.party, assignee: "", due: "", status: "proposed", private: false, shared: "" };
    const paramBox = h("div", { class: "controls", id: "action-params" });
    const drawParams = () => {
      fill(paramBox, PARAMS[f.kind].map(([key, label, type, required]) => {
        const attrs = { id: `action-param-${key}`, required: required || null };
        if (type === "commodity") {
          if (!f.params[key]) f.params[key] = inc.commodities[0] || com.list[0]?.id;
          return select(label, com.list.map((c) => [c.id, c.name]), f.params[key],
            (v) => { f.params[key] = v; }, attrs);
        }
        if (type === "instrument") {
          return select(label, [["", "—"], ...INSTRUMENTS], f.params[key] || "",
            (v) => { f.params[key] = v || undefined; }, attrs);
        }
        const value = Array.isArray(f.params[key]) ? f.params[key].join(", ") : f.params[key];
        return input(label, { ...attrs, type: type === "number" ? "number" : "text",
          step: type === "number" ? "any" : null, min: type === "number" ? 0 : null,
          value: value ?? "", oninput: (e) => {
            const v = e.target.value;
            if (v === "") delete f.params[key];
            else f.params[key] = type === "number" ? Number(v) : type === "list" ? listOf(v) : v;
          } });
      }));
    };
    drawParams();
    const submit = (e) => {
      e.preventDefault();
      const params = {};
      for (const [key] of PARAMS[f.kind]) if (f.params[key] !== undefined) params[key] = f.params[key];
      const payload = { kind: f.kind, title: f.title, params, owner_party: f.owner || null,
        assignee: f.assignee || null, due_date: f.due || null, status: f.status,
        private: f.private, shared_with: listOf(f.shared) };
      Object.assign(prefill, { kind: "stockpile_release", title: "", params: {} });
      write("actions", "Adding the action", "incident",
        () => api(url("/actions"), { method: "POST", body: payload }), `Added “${f.title}”.`);
    };
    return h("form", { class: "subform", id: "action-form", onsubmit: submit },
      h("h3", null, "Add an action"),
      h("div", { class: "controls" },
        select("Kind", KINDS, f.kind, (v) => { f.kind = v; f.params = {}; drawParams(); },
          { id: "action-kind" }),
        input("Title", { type: "text", id: "action-title", required: true, maxlength: 300,
          value: f.title, oninput: (e) => { f.title = e.target.value; } })),
      paramBox,
      h("div", { class: "controls" },
        input("Owner party", { type: "text", id: "action-owner", value: f.owner,
          oninput: (e) => { f.owner = e.target.value.trim(); } }),
        input("Assignee", { type: "text", id: "action-assignee", placeholder: "e.g. DOE, JOGMEC",
          oninput: (e) => { f.assignee = e.target.value; } }),
        input("Due date", { type: "date", id: "action-due",
          oninput: (e) => { f.due = e.target.value; } }),
        select("Status", [["proposed", "proposed"], ["agreed", "agreed"]], f.status,
          (v) => { f.status = v; }, { id: "action-status" })),
      h("div", { class: "controls" },
        h("label", { class: "check" }, h("input", { type: "checkbox", id: "action-private",
          onchange: (e) => { f.private = e.target.checked; } }),
        `Private to ${me.party}`),
        input("Share with (parties)", { type: "text", id: "action-shared", placeholder: "e.g. JPN",
          oninput: (e) => { f.shared = e.target.value; } }),
        h("button", { type: "submit", class: "primary", id: "action-save" }, "Add the action")));
  }

  // -- decisions --------------------------------------------------------------------------------

  function decisionsPanel(writable) {
    const titles = new Map(inc.actions.map((a) => [a.id, a.title]));
    const list = inc.decisions.length ? h("ol", { class: "decisions", id: "decision-list" },
      inc.decisions.map((d) => h("li", { "data-id": d.id },
        h("div", { class: "decision-head" }, h("strong", null, d.summary), " ",
          visibility(d.private, d.party, d.shared_with)),
        h("div", { class: "muted small" }, `Decided by ${d.decided_by} on ${d.decided_on} · ` +
          `recorded by ${d.recorded_by} (${d.party}) ${when(d.recorded_at)}`,
        d.supersedes ? ` · supersedes ${d.supersedes}` : ""),
        h("p", { class: "rationale" }, h("span", { class: "muted" }, "Why: "), d.rationale),
        d.action_ids.length ? h("div", { class: "small" }, "Actions: ",
          d.action_ids.map((x) => titles.get(x) || x).join("; ")) : null)))
      : h("p", { class: "muted", id: "no-decisions" }, "No decisions recorded.");
    return h("section", { class: "panel", id: "decisions-panel" },
      h("h2", null, "Decisions"), msgBox("decisions"), list,
      writable ? decisionForm() : null);
  }

  function decisionForm() {
    const f = { summary: "", rationale: "", by: "", on: "", actions: new Set(), supersedes: "",
      private: false, shared: "" };
    const submit = (e) => {
      e.preventDefault();
      const payload = { summary: f.summary, rationale: f.rationale, decided_by: f.by,
        decided_on: f.on || null, action_ids: [...f.actions], supersedes: f.supersedes || null,
        private: f.private, shared_with: listOf(f.shared) };
      write("decisions", "Recording the decision", "incident",
        () => api(url("/decisions"), { method: "POST", body: payload }), "Decision recorded.");
    };
    return h("form", { class: "subform", id: "decision-form", onsubmit: submit },
      h("h3", null, "Record a decision"),
      h("div", { class: "controls" },
        input("What was decided", { type: "text", id: "decision-summary", required: true,
          maxlength: 2000, oninput: (e) => { f.summary = e.target.value; } }),
        input("Decided by", { type: "text", id: "decision-by", required: true,
          placeholder: "e.g. US Energy Secretary and METI Minister",
          oninput: (e) => { f.by = e.target.value; } }),
        input("On (blank = today)", { type: "date", id: "decision-on",
          oninput: (e) => { f.on = e.target.value; } })),
      h("label", { class: "field wide" }, h("span", null, "Why (rationale)"),
        h("textarea", { rows: 2, id: "decision-rationale", required: true, maxlength: 20000,
          oninput: (e) => { f.rationale = e.target.value; } })),
      inc.actions.length ? h("fieldset", { class: "checks-box" },
        h("legend", null, "Concerns the actions"),
        h("div", { class: "checks" }, inc.actions.map((a) => h("label", null,
          h("input", { type: "checkbox", value: a.id, onchange: (e) => {
            if (e.target.checked) f.actions.add(a.id); else f.actions.delete(a.id);
          } }), a.title)))) : null,
      h("div", { class: "controls" },
        inc.decisions.length ? select("Supersedes", [["", "—"],
          ...inc.decisions.map((d) => [d.id, d.summary.slice(0, 60)])], "",
        (v) => { f.supersedes = v; }, { id: "decision-supersedes" }) : null,
        h("label", { class: "check" }, h("input", { type: "checkbox", id: "decision-private",
          onchange: (e) => { f.private = e.target.checked; } }), `Private to ${me.party}`),
        input("Share with (parties)", { type: "text", id: "decision-shared",
          oninput: (e) => { f.shared = e.target.value; } }),
        h("button", { type: "submit", class: "primary", id: "decision-save" },
          "Record the decision")));
  }

  // -- fields, note, clocks, close ------------------------------------------------------------

  function fieldsPanel(writable) {
    const row = (label, value, key = null) => [h("dt", null, label),
      h("dd", { "data-key": key }, value === null || value === undefined || value === ""
        ? "–" : value)];
    const src = inc.source_url && /^https?:\/\//i.test(inc.source_url)
      ? h("a", { href: inc.source_url, rel: "noreferrer noopener", target: "_blank" },
        inc.source_url) : inc.source_url;
    const panel = h("section", { class: "panel", id: "incident-fields" },
      h("h2", null, "Incident"),
      inc.description ? h("p", { class: "description" }, inc.description) : null,
      h("dl", { class: "fields" },
        row("Origin", inc.origin === "scenario"
          ? `named scenario ${inc.scenario_name || "(inline spec)"}` : "observed event"),
        row("Exporter", inc.exporter ? partyName(inc.exporter) : null, "exporter"),
        row("Minerals", inc.commodities.map((c) => com.names.get(c) || c).join(", ")),
        row("Measure", inc.measure, "measure"),
        row("Share of exports withheld", inc.fraction === null ? null : pctv(inc.fraction * 100, 0)),
        row("Targets", inc.targets ? inc.targets.join(", ") : "all importers"),
        row("Effective", inc.effective_date),
        row("Duration", inc.duration_months ? `${num(inc.duration_months, 1)} months`
          : "open-ended"),
        row("Source", src),
        row("Baseline year", inc.baseline_year, "baseline_year"),
        row("Partners reported", inc.partners.map(partyName).join(", "), "partners"),
        row("Responses sized", inc.responses.length ? h("ul", { class: "plain" },
          inc.responses.map((r) => h("li", null, responseText(r)))) : "none"),
        row("Response due", inc.due_date, "due_date"),
        row("Opened", `${when(inc.created_at)} by ${inc.created_by} (${inc.owner_party})`),
        row("Last change", `${when(inc.updated_at)} by ${inc.updated_by}`),
        inc.closed_at ? row("Closed", `${when(inc.closed_at)} by ${inc.closed_by}: ` +
          `${inc.close_reason}`, "closed") : null),
      msgBox("edit"));
    if (!writable) return panel;
    const version = inc.version;
    const f = { title: inc.title, measure: inc.measure || "", due: inc.due_date || "",
      year: inc.baseline_year ?? "", partners: inc.partners.join(", "),
      description: inc.description || "" };
    const submit = (e) => {
      e.preventDefault();
      const changes = {};
      if (f.title !== inc.title) changes.title = f.title;
      if (f.measure !== (inc.measure || "")) changes.measure = f.measure || null;
      if (f.due !== (inc.due_date || "")) changes.due_date = f.due || null;
      if (String(f.year) !== String(inc.baseline_year ?? "")) {
        changes.baseline_year = f.year === "" ? null : Number(f.year);
      }
      if (f.partners !== inc.partners.join(", ")) changes.partners = listOf(f.partners);
      if (f.description !== (inc.description || "")) changes.description = f.description;
      if (!Object.keys(changes).length) {
        fill(msgs.edit, h("div", { class: "note" }, "Nothing changed."));
        return;
      }
      write("edit", "Saving", "incident", () => api(url(), { method: "PATCH", body: changes,
        headers: ifMatch(version) }), `Saved (from version ${version}).`);
    };
    panel.append(h("details", { id: "edit-details" },
      h("summary", { id: "edit-summary" }, "Edit the incident"),
      h("form", { class: "subform", id: "edit-form", onsubmit: submit },
        h("div", { class: "controls" },
          input("Title", { type: "text", id: "edit-title", value: f.title, required: true,
            maxlength: 300, oninput: (e) => { f.title = e.target.value; } }),
          input("Measure", { type: "text", id: "edit-measure", value: f.measure,
            oninput: (e) => { f.measure = e.target.value; } }),
          input("Response due", { type: "date", id: "edit-due", value: f.due,
            oninput: (e) => { f.due = e.target.value; } }),
          input("Baseline year", { type: "number", id: "edit-year", value: f.year, min: 1995,
            max: 2100, oninput: (e) => { f.year = e.target.value; } }),
          input("Partners (comma-separated)", { type: "text", id: "edit-partners",
            value: f.partners, oninput: (e) => { f.partners = e.target.value; } })),
        h("label", { class: "field wide" }, h("span", null, "Description"),
          h("textarea", { rows: 3, id: "edit-description", value: f.description,
            oninput: (e) => { f.description = e.target.value; } })),
        h("div", { class: "controls" }, h("button", { type: "submit", class: "primary",
          id: "edit-save" }, `Save (from version ${version})`)))));
    return panel;
  }

  function notePanel(writable) {
    const owner = inc.owner_party === me.party;
    const notes = inc.private_notes || [];
    const mine = notes.find((n) => n.party === me.party) || null;
    const shared = notes.filter((n) => n.party !== me.party && n.text);
    const panel = h("section", { class: "panel", id: "note-panel" }, h("h2", null, "Notes"),
      h("h3", null, "Public note"),
      inc.note ? [h("p", { class: "note-text", id: "incident-note" }, inc.note),
        visibility(false)]
        : h("p", { class: "muted", id: "incident-note-empty" }, "No public note."),
      msgBox("note"));
    if (writable && owner) {
      const version = inc.version;
      let text = inc.note || "";
      panel.append(h("form", { class: "subform", id: "note-form", onsubmit: (e) => {
        e.preventDefault();
        write("note", "Saving the public note", "incident", () => api(url(), { method: "PATCH",
          body: { note: text || null }, headers: ifMatch(version) }),
        "Public note saved, visible to all parties.");
      } },
      h("label", { class: "field wide" }, h("span", null, "Public note (all parties read it)"),
        h("textarea", { rows: 2, id: "note-text", value: text, maxlength: 20000,
          oninput: (e) => { text = e.target.value; } })),
      h("div", { class: "controls" }, h("button", { type: "submit", id: "note-save" },
        `Save (from version ${version})`))));
    } else if (writable) {
      panel.append(h("p", { class: "muted small" },
        `Only ${inc.owner_party} (the owner party) writes the public note.`));
    }
    panel.append(h("h3", null, `Private note of ${me.party}`),
      ...(mine && mine.text ? [h("p", { class: "note-text", id: "private-note" }, mine.text),
        visibility(true, me.party, mine.shared_with)]
        : [h("p", { class: "muted", id: "private-note-empty" },
          `No private note of ${me.party}.`)]),
      msgBox("private-note"));
    if (writable) {
      const f = { text: mine?.text || "", shared: (mine?.shared_with || []).join(", ") };
      panel.append(h("form", { class: "subform", id: "private-note-form", onsubmit: (e) => {
        e.preventDefault();
        write("private-note", "Saving the private note", "note",
          () => api(url(`/private-notes/${encodeURIComponent(me.party)}`), { method: "PUT",
            body: { text: f.text || null, shared_with: listOf(f.shared),
              version: mine ? mine.version : null } }),
          `Private note saved: ${me.party}` +
            (listOf(f.shared).length ? ` and ${listOf(f.shared).join(", ")}` : "") +
            " read it; the incident is unchanged.");
      } },
      h("p", { class: "muted small" }, "Other parties do not learn that it exists unless " +
        "you share it; saving it does not change the incident or its version."),
      h("label", { class: "field wide" }, h("span", null, "Private note"),
        h("textarea", { rows: 3, id: "private-note-text", value: f.text, maxlength: 20000,
          oninput: (e) => { f.text = e.target.value; } })),
      h("div", { class: "controls" },
        input("Share with (parties)", { type: "text", id: "private-note-shared",
          value: f.shared, placeholder: "e.g. JPN",
          oninput: (e) => { f.shared = e.target.value; } }),
        h("button", { type: "submit", class: "primary", id: "private-note-save" },
          "Save the private note"))));
    }
    if (shared.length) {
      panel.append(h("h3", null, "Shared with you"), h("ul", { class: "plain", id: "shared-notes" },
        shared.map((n) => h("li", { "data-party": n.party },
          h("strong", null, `${n.party}: `), n.text, " ",
          visibility(true, n.party, n.shared_with)))));
    }
    return panel;
  }

  function clocksPanel(writable) {
    const f = { title: "", due: "" };
    return h("section", { class: "panel", id: "incident-clocks-panel" },
      h("h2", null, "Clocks of this incident"),
      clockList(inc.clocks, { id: "incident-clocks" }),
      msgBox("deadline"),
      writable ? h("form", { class: "subform", id: "deadline-form", onsubmit: (e) => {
        e.preventDefault();
        write("deadline", "Adding the deadline", "incident", () => api(url("/deadlines"),
          { method: "POST", body: { title: f.title, due_date: f.due } }), "Deadline added.");
      } },
      h("div", { class: "controls" },
        input("Deadline", { type: "text", id: "deadline-title", required: true, maxlength: 300,
          placeholder: "e.g. allocation agreed", oninput: (e) => { f.title = e.target.value; } }),
        input("Due", { type: "date", id: "deadline-date", required: true,
          oninput: (e) => { f.due = e.target.value; } }),
        h("button", { type: "submit", id: "deadline-save" }, "Add"))) : null);
  }

  function closePanel(writable) {
    if (!writable) return null;
    const version = inc.version;
    let reason = "";
    return h("section", { class: "panel", id: "close-panel" },
      h("h2", null, "Close the incident"),
      h("p", { class: "muted small" }, "A closed incident is kept with its history and takes " +
        "no more changes; there is no delete."),
      msgBox("close"),
      h("form", { id: "close-form", onsubmit: (e) => {
        e.preventDefault();
        write("close", "Closing", "incident", () => api(url("/close"), { method: "POST",
          body: { reason, version } }), "Closed.");
      } },
      h("label", { class: "field wide" }, h("span", null, "Why is it closed?"),
        h("textarea", { rows: 2, id: "close-reason", required: true, maxlength: 2000,
          oninput: (e) => { reason = e.target.value; } })),
      h("div", { class: "controls" }, h("button", { type: "submit", class: "danger",
        id: "close-button" }, "Close the incident"))));
  }

  await load();
}
