// Vocabulary and reference data, fetched once per tab and kept in memory.

import { api } from "./api.js";

const memo = new Map();

function once(key, fn) {
  if (!memo.has(key)) {
    const p = fn().catch((e) => { memo.delete(key); throw e; });
    memo.set(key, p);
  }
  return memo.get(key);
}

/** Production coverage rows: commodity, commodity_name, stage, source, unit, years. */
export const coverage = () => once("coverage", () => api("/api/v1/coverage"));

/** Catalog countries (id, name, …) and a Map id → name. */
export const countries = () => once("countries", async () => {
  const t = await api("/api/v1/catalog/countries");
  const current = t.data.filter((c) => c.until_year === null && !c.id.includes("_"));
  return { list: current, names: new Map(t.data.map((c) => [c.id, c.name])) };
});

/** Catalog commodities and a Map id → name. */
export const commodities = () => once("commodities", async () => {
  const t = await api("/api/v1/catalog/commodities");
  return { list: t.data, names: new Map(t.data.map((c) => [c.id, c.name])) };
});

/** Catalog blocs. */
export const blocs = () => once("blocs", async () => (await api("/api/v1/catalog/blocs")).data);

/** The world map (pre-projected outlines keyed by ISO3). */
export const world = () => once("world", async () => {
  const r = await fetch("/static/world.json");
  if (!r.ok) throw new Error(`world.json could not be loaded (HTTP ${r.status})`);
  return r.json();
});

/** Minerals with production data: [{id, name, stages: [{stage, unit, source, first, last}]}]. */
export async function minerals() {
  const cov = await coverage();
  const byId = new Map();
  for (const r of cov.data) {
    if (!byId.has(r.commodity)) byId.set(r.commodity, { id: r.commodity, name: r.commodity_name,
      stages: [] });
    byId.get(r.commodity).stages.push({ stage: r.stage, unit: r.unit, source: r.source,
      first: r.first_year, last: r.last_year, n: r.n_countries });
  }
  return [...byId.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** Importer choices: the two framework parties first, then blocs, then all countries. */
export async function importerOptions() {
  const [c, b] = await Promise.all([countries(), blocs()]);
  const first = [["USA", "United States"], ["JPN", "Japan"]];
  const blocOpts = b.filter((x) => x.n_members > 1).map((x) => [x.id, `${x.name} (bloc)`]);
  const rest = c.list.filter((x) => x.id !== "USA" && x.id !== "JPN")
    .sort((x, y) => x.name.localeCompare(y.name)).map((x) => [x.id, x.name]);
  return { parties: first, blocs: blocOpts, countries: rest };
}

/** The default mineral of the pages. */
export const DEFAULT_MINERAL = "cobalt";
