// Background jobs (Monte Carlo risk runs, portfolio plans): the party's list with a
// progress bar per job, polling until the job is final, cancelling and showing results.
// Shared by the Risk and Plans pages.

import { api } from "./api.js";
import { errorBox, fill, h } from "./dom.js";

const POLL_MS = 400;
export const FINAL = new Set(["done", "failed", "cancelled"]);

/**
 * A list of jobs at `base` (e.g. "/api/v1/risk-jobs") drawn into `box`.
 *
 * options: ctx (the page context), canRun (may cancel), describe(job) → nodes for the
 * job's first line, onDone(job) when a polled job finishes, onShow(job) for the
 * "Show result" button, msg (an element for errors), limit (jobs shown, default 8).
 * Returns {load(), add(job), jobs()}.
 */
export function jobList(box, options) {
  const { ctx, base, canRun, describe, onDone, onShow, msg, limit = 8 } = options;
  const timers = new Set();
  let jobs = [];
  ctx.onLeave(() => { for (const t of timers) clearTimeout(t); });

  function render() {
    if (!jobs.length) {
      fill(box, h("p", { class: "muted" }, "No runs yet."));
      return;
    }
    fill(box, jobs.slice(0, limit).map((j) => {
      const done = Math.round(j.progress * 100);
      const progress = h("div", { class: `progress ${j.status}`, role: "progressbar",
        "aria-valuemin": 0, "aria-valuemax": 100, "aria-valuenow": done,
        "aria-label": `Progress of ${j.id}` }, h("span"));
      progress.firstChild.style.width = `${done}%`;
      return h("div", { class: "job", id: `job-${j.id}`, "data-status": j.status },
        h("div", { class: "job-head" },
          h("span", null, describe(j), ` · by ${j.user}`),
          h("span", { class: `badge ${j.status}`, "data-role": "status" }, j.status)),
        progress,
        h("div", { class: "job-head" },
          h("span", { class: "muted" }, `${done} % · started ` +
            `${(j.created_at || "").replace("T", " ").slice(0, 19)} UTC`),
          h("span", null,
            !FINAL.has(j.status) && canRun ? h("button", { type: "button", class: "danger",
              "data-role": "cancel", onclick: () => cancel(j) }, "Cancel") : null,
            j.status === "done" ? h("button", { type: "button", "data-role": "show",
              onclick: () => onShow(j) }, "Show result") : null)),
        j.error ? h("div", { class: "error" }, j.error) : null);
    }));
  }

  function replace(job) {
    jobs = jobs.some((j) => j.id === job.id)
      ? jobs.map((j) => (j.id === job.id ? job : j))
      : [job, ...jobs];
    render();
  }

  function poll(id) {
    const tick = async () => {
      if (!ctx.alive()) return;
      try {
        const job = await api(`${base}/${id}`);
        if (!ctx.alive()) return;
        replace(job);
        if (FINAL.has(job.status)) {
          if (job.status === "done" && onDone) onDone(job);
          return;
        }
      } catch (error) {
        fill(msg, errorBox(error, "The job could not be read"));
        return;
      }
      const t = setTimeout(() => { timers.delete(t); tick(); }, POLL_MS);
      timers.add(t);
    };
    tick();
  }

  async function cancel(job) {
    try {
      replace(await api(`${base}/${job.id}/cancel`, { method: "POST" }));
    } catch (error) {
      fill(msg, errorBox(error, "The job could not be cancelled"));
    }
  }

  return {
    /** Load the party's recent jobs and poll the unfinished ones; resolves to the list. */
    async load() {
      try {
        jobs = await api(base, { params: { limit: 20 } });
        if (!ctx.alive()) return jobs;
        render();
        for (const j of jobs) if (!FINAL.has(j.status)) poll(j.id);
      } catch (error) {
        fill(box, errorBox(error));
      }
      return jobs;
    },
    /** A job just submitted: list it first and poll it. */
    add(job) {
      replace(job);
      poll(job.id);
    },
    jobs: () => jobs,
  };
}
