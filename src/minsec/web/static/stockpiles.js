// Stockpiles page: the party-private stockpiles this user's party owns or that are shared
// with it; analysts record, share and delete their party's.

import { api } from "./api.js";
import { dataTable, errorBox, fill, h, input, loading, num, select } from "./dom.js";
import { commodities } from "./data.js";
import { sizingSection } from "./sizing.js";

export async function stockpilesPage(view, ctx) {
  const user = ctx.user;
  const canWrite = user.role !== "viewer";
  const listBox = h("div", { id: "stockpile-list" }, loading("Loading stockpiles…"));
  const msg = h("div", { id: "stockpile-message", "aria-live": "polite" });
  const com = await commodities();
  if (!ctx.alive()) return;
  const form = { commodity: "cobalt", tonnes: "", max: "", note: "", shared: "" };

  const create = async (e) => {
    e.preventDefault();
    fill(msg);
    const body = { commodity: form.commodity, tonnes: form.tonnes === "" ? null : Number(form.tonnes),
      note: form.note || null,
      shared_with: form.shared.split(",").map((x) => x.trim()).filter(Boolean) };
    if (form.max !== "") body.max_release_t_per_month = Number(form.max);
    try {
      const rec = await api("/api/v1/stockpiles", { method: "POST", body });
      fill(msg, h("div", { class: "ok-box" }, `Recorded stockpile ${rec.id}: ` +
        `${num(rec.tonnes)} t of ${rec.commodity}.`));
      e.target.reset();
      Object.assign(form, { tonnes: "", max: "", note: "", shared: "" });
      load();
    } catch (error) {
      fill(msg, errorBox(error, "The stockpile was not recorded"));
    }
  };

  view.append(
    h("div", { class: "page-head" }, h("div", null, h("h1", null, "National stockpiles"),
      h("p", null, `Private to ${user.party}: a stockpile exists only for the party that ` +
        "owns it and the parties it is shared with. Other parties cannot see or infer it."))),
    h("div", { class: "grid2" },
      h("div", { class: "panel" }, h("h2", null, `Stockpiles visible to ${user.party}`), listBox),
      h("form", { class: "panel", id: "stockpile-form", onsubmit: create },
        h("h2", null, "Record a stockpile"),
        canWrite ? null : h("p", { class: "note" }, "Recording needs the analyst role."),
        h("div", { class: "controls" },
          select("Mineral", com.list.map((c) => [c.id, c.name]), form.commodity,
            (v) => { form.commodity = v; }, { id: "stockpile-commodity" }),
          input("Quantity (tonnes)", { type: "number", min: 0, step: "any", required: true,
            id: "stockpile-tonnes", oninput: (e) => { form.tonnes = e.target.value; } }),
          input("Max release (t/month)", { type: "number", min: 0, step: "any",
            id: "stockpile-max", oninput: (e) => { form.max = e.target.value; } }),
          input("Share with (parties, comma-separated)", { type: "text", placeholder: "e.g. JPN",
            id: "stockpile-shared", oninput: (e) => { form.shared = e.target.value; } })),
        h("label", { class: "field wide" }, h("span", null, "Note"),
          h("textarea", { rows: 2, id: "stockpile-note", maxlength: 2000,
            oninput: (e) => { form.note = e.target.value; } })),
        h("div", { class: "controls" },
          h("button", { type: "submit", class: "primary", id: "stockpile-save",
            disabled: !canWrite }, "Record")),
        msg)));

  async function remove(rec) {
    if (!window.confirm(`Delete stockpile ${rec.id} (${num(rec.tonnes)} t ${rec.commodity})?`)) return;
    try {
      await api(`/api/v1/stockpiles/${rec.id}`, { method: "DELETE" });
      load();
    } catch (error) {
      fill(msg, errorBox(error, "The stockpile was not deleted"));
    }
  }

  function sharing(rec) {
    const text = rec.shared_with.length ? rec.shared_with.join(", ") : "—";
    if (!canWrite || rec.owner_party !== user.party) return text;
    const cell = h("span", { class: "sharing", "data-id": rec.id });
    const edit = () => {
      const field = h("input", { type: "text", value: rec.shared_with.join(", "),
        "aria-label": "Parties to share with", placeholder: "e.g. JPN", class: "share-input" });
      const save = async () => {
        const parties = field.value.split(",").map((x) => x.trim()).filter(Boolean);
        try {
          await api(`/api/v1/stockpiles/${rec.id}`, { method: "PATCH",
            body: { shared_with: parties } });
          fill(msg, h("div", { class: "ok-box" }, parties.length
            ? `Stockpile ${rec.id} is now shared with ${parties.join(", ")}.`
            : `Stockpile ${rec.id} is no longer shared.`));
          load();
        } catch (error) {
          fill(msg, errorBox(error, "Sharing was not changed"));
        }
      };
      fill(cell, field, h("button", { type: "button", class: "share-save", onclick: save },
        "Save"));
      field.focus();
    };
    fill(cell, text, " ", h("button", { type: "button", class: "link share-edit",
      onclick: edit }, "change"));
    return cell;
  }

  async function load() {
    try {
      const t = await api("/api/v1/stockpiles");
      if (!ctx.alive()) return;
      if (!t.data.length) {
        fill(listBox, h("p", { class: "muted", id: "stockpiles-empty" },
          `No stockpile recorded by or shared with ${user.party} yet.`));
        return;
      }
      fill(listBox, dataTable([
        { label: "Mineral", value: (r) => com.names.get(r.commodity) || r.commodity },
        { label: "Owner", value: (r) => r.owner_party },
        { label: "Tonnes", value: (r) => num(r.tonnes, 1), num: true },
        { label: "Max release (t/month)", value: (r) => num(r.max_release_t_per_month, 1),
          num: true },
        { label: "Shared with", value: (r) => sharing(r) },
        { label: "Note", value: (r) => r.note || "" },
        { label: "Updated", value: (r) => `${r.updated_at.slice(0, 10)} by ${r.updated_by}` },
        { label: "", value: (r) => (canWrite && r.owner_party === user.party
          ? h("button", { type: "button", class: "danger", onclick: () => remove(r) }, "Delete")
          : "") },
      ], t.data, { id: "stockpile-table" }));
    } catch (error) {
      fill(listBox, errorBox(error));
    }
  }
  await load();
  if (ctx.alive()) view.append(sizingSection(ctx, com));
}
