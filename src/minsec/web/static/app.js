// The dashboard shell: login, navigation, hash routing (#/page?key=value).

import { api, ApiError, me, setUnauthorizedHandler, signIn, signOut, takeNotice, token }
  from "./api.js";
import { errorBox, fill, h, loading } from "./dom.js";
import { hideTip } from "./charts.js";
import { mapPage } from "./map.js";
import { mineralPage } from "./mineral.js";
import { scenariosPage } from "./scenarios.js";
import { rankingPage } from "./ranking.js";
import { riskPage } from "./risk.js";
import { stockpilesPage } from "./stockpiles.js";
import { incidentsPage } from "./incidents.js";
import { plansPage } from "./plans.js";

const PAGES = {
  map: { title: "Map", render: mapPage },
  mineral: { title: "Minerals", render: mineralPage },
  scenarios: { title: "Scenarios", render: scenariosPage },
  ranking: { title: "Ranking", render: rankingPage },
  risk: { title: "Risk", render: riskPage },
  stockpiles: { title: "Stockpiles", render: stockpilesPage },
  incidents: { title: "Incidents", render: incidentsPage },
  plans: { title: "Plans", render: plansPage },
};

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const navToggle = document.getElementById("nav-toggle");
const who = document.getElementById("who");
let generation = 0;
let cleanup = null;

/** The current route: page name and its parameters. */
export function route() {
  const hash = location.hash.replace(/^#\/?/, "");
  const [name, query = ""] = hash.split("?");
  return { name: name || "map", params: Object.fromEntries(new URLSearchParams(query)) };
}

/** Go to `page` with `params` (replaces the history entry when `replace`). */
export function go(page, params = {}, replace = false) {
  const q = new URLSearchParams(
    Object.entries(params).filter(([, v]) => v !== null && v !== undefined && v !== ""),
  ).toString();
  const hash = `#/${page}${q ? `?${q}` : ""}`;
  if (replace) {
    history.replaceState(null, "", hash);
  } else if (location.hash !== hash) {
    location.hash = hash;
  }
}

function renderShell(user) {
  const signedIn = Boolean(user);
  nav.hidden = !signedIn;
  navToggle.hidden = !signedIn;
  who.hidden = !signedIn;
  if (!signedIn) return;
  fill(who,
    h("span", { class: "user-name" }, user.user),
    h("span", { class: "badge", title: "Party and role of your token" },
      `${user.party} · ${user.role}`),
    h("button", { type: "button", id: "logout", onclick: () => {
      signOut("You signed out.");
      go("login");
    } }, "Sign out"));
}

function setCurrent(name) {
  for (const a of nav.querySelectorAll("a")) {
    if (a.dataset.page === name) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  nav.classList.remove("open");
  navToggle.setAttribute("aria-expanded", "false");
}

navToggle.addEventListener("click", () => {
  const open = !nav.classList.contains("open");
  nav.classList.toggle("open", open);
  navToggle.setAttribute("aria-expanded", String(open));
});

async function loadDataNote() {
  try {
    const status = await api("/api/v1/status");
    const note = status.data.map((r) => `${r.version || r.source} · years ${r.years}`).join("; ");
    fill(document.getElementById("data-note"), `Data: ${note}`);
  } catch {
    /* the footer note is optional */
  }
}

function loginPage(view) {
  const notice = takeNotice();
  const msg = h("div", { id: "login-message", "aria-live": "polite" });
  if (notice) msg.append(h("div", { class: "note" }, notice));
  const field = h("input", { id: "token", type: "password", autocomplete: "off",
    spellcheck: "false", placeholder: "msk_…", "aria-describedby": "token-help" });
  const button = h("button", { class: "primary", type: "submit", id: "login-button" }, "Sign in");
  const form = h("form", { class: "panel login", id: "login-form", onsubmit: async (e) => {
    e.preventDefault();
    const tok = field.value.trim();
    fill(msg);
    if (!tok) {
      msg.append(errorBox(new ApiError(0, "Paste your token first.", "token",
        "An administrator gives it to you once, when your user is created.")));
      return;
    }
    button.disabled = true;
    msg.append(loading("Checking the token…"));
    try {
      const user = await api("/api/v1/me", { tokenOverride: tok });
      signIn(tok, user);
      renderShell(user);
      loadDataNote();
      const target = sessionStorage.getItem("minsec.after") || "#/map";
      sessionStorage.removeItem("minsec.after");
      location.hash = target.startsWith("#/login") ? "#/map" : target;
    } catch (error) {
      fill(msg, errorBox(error.status === 401
        ? new ApiError(401, `Sign-in failed: ${error.message}`, "token",
          "Check that you pasted the whole token (it starts with msk_) and that it was not revoked.")
        : error));
    } finally {
      button.disabled = false;
    }
  } },
  h("h1", null, "Sign in to minsec"),
  h("p", { class: "muted" },
    "Critical-minerals supply security: production, exposure, disruption scenarios and risk " +
    "for the partners of the US–Japan framework."),
  h("label", { class: "field", for: "token" }, h("span", null, "Access token"), field),
  h("p", { id: "token-help", class: "source" },
    "Your token stays in this browser tab only (session storage) and is sent to this server " +
    "alone. Closing the tab signs you out."),
  h("div", { class: "controls" }, button),
  msg,
  h("details", null, h("summary", null, "No token yet?"),
    h("ol", null,
      h("li", null, "An administrator of your party runs ",
        h("code", null, "minsec users add NAME --party JPN --role analyst"),
        " (or uses the API while the server runs)."),
      h("li", null, "The token is printed once; paste it above."),
      h("li", null, "Roles: viewer (reads), analyst (also records stockpiles, starts risk " +
        "jobs and plans, opens and works on incidents), admin (also manages users, reads the " +
        "audit log)."))));
  fill(view, form);
  field.focus();
}

async function render() {
  hideTip();
  if (cleanup) {
    try { cleanup(); } catch { /* ignore */ }
    cleanup = null;
  }
  const { name, params } = route();
  generation += 1;
  const mine = generation;
  if (name === "login" || !token()) {
    if (name !== "login") {
      sessionStorage.setItem("minsec.after", location.hash || "#/map");
      history.replaceState(null, "", "#/login");
    }
    renderShell(null);
    document.title = "Sign in — minsec";
    loginPage(main);
    return;
  }
  renderShell(me());
  const page = PAGES[name];
  if (!page) {
    setCurrent(null);
    fill(main, errorBox(new ApiError(404, `There is no page “${name}”.`, null,
      "Use the menu to pick a page.")));
    return;
  }
  setCurrent(name);
  document.title = `${page.title} — minsec`;
  const view = h("div", { class: "page", id: `page-${name}` });
  fill(main, view);
  let shown = location.hash;
  const ctx = {
    params,
    user: me(),
    // a page still loading when the user has moved on must not pull them back, even when
    // the new address is set but its hashchange event has not run yet
    go: (p) => {
      if (mine !== generation || location.hash !== shown) return;
      go(name, { ...params, ...p }, true);
      shown = location.hash;
    },
    alive: () => mine === generation,
    onLeave: (fn) => { cleanup = fn; },
  };
  try {
    await page.render(view, ctx);
  } catch (error) {
    if (mine !== generation) return;
    if (error instanceof ApiError && error.status === 401) return;
    view.append(errorBox(error, "This page could not be shown"));
    console.error(error);
  }
}

setUnauthorizedHandler(() => {
  if (route().name !== "login") {
    sessionStorage.setItem("minsec.after", location.hash);
    location.hash = "#/login";
  }
});

window.addEventListener("hashchange", render);
if (token()) loadDataNote();
render();
