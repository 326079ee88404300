// Build src/minsec/web/static/world.json: Natural Earth 1:110m countries (world-atlas
// 2.0.2 TopoJSON), pre-projected (Equal Earth) into SVG path strings keyed by the
// catalog's ISO3 ids. Run with `make web-assets` (npm ci + node build-world.mjs).
//
// world-atlas numbers countries with ISO 3166-1 numeric codes; the catalog
// (src/minsec/catalog/data/countries.csv: id,name,iso2,baci_code,until_year,aliases)
// carries BACI codes, which equal ISO numeric codes except for a few quirks (below).
// Features without a numeric id (Kosovo, N. Cyprus, Somaliland) are matched by name or
// kept with a "_"-prefixed key (drawn, never coloured).
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { geoEqualEarth, geoPath } from "d3-geo";
import { feature } from "topojson-client";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const catalogCsv = join(root, "src/minsec/catalog/data/countries.csv");
const out = join(root, "src/minsec/web/static/world.json");
const atlas = JSON.parse(
  readFileSync(join(here, "node_modules/world-atlas/countries-110m.json"), "utf8"),
);

// BACI code -> ISO 3166-1 numeric, where they differ
const BACI_TO_ISO = { 842: 840, 251: 250, 579: 578, 699: 356, 757: 756, 490: 158 };
// world-atlas names without an id -> catalog id
const BY_NAME = { Kosovo: "XKX" };
// ISO numeric codes of catalog countries that BACI does not list
const EXTRA_NUMERIC = { 630: "PRI" };

function parseCsv(text) {
  const rows = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line) continue;
    const cells = [];
    let cur = "";
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i];
      if (quoted) {
        if (ch === '"' && line[i + 1] === '"') { cur += '"'; i++; }
        else if (ch === '"') quoted = false;
        else cur += ch;
      } else if (ch === '"') quoted = true;
      else if (ch === ",") { cells.push(cur); cur = ""; }
      else cur += ch;
    }
    cells.push(cur);
    rows.push(cells);
  }
  const [head, ...body] = rows;
  return body.map((cells) => Object.fromEntries(head.map((h, i) => [h, cells[i] ?? ""])));
}

const catalog = parseCsv(readFileSync(catalogCsv, "utf8")).filter((r) => !r.until_year);
const byNumeric = new Map();
const names = new Map();
for (const row of catalog) {
  names.set(row.id, row.name);
  if (!row.baci_code) continue;
  const code = Number(row.baci_code);
  byNumeric.set(BACI_TO_ISO[code] ?? code, row.id);
}
for (const [code, id] of Object.entries(EXTRA_NUMERIC)) byNumeric.set(Number(code), id);

const width = 960;
const all = feature(atlas, atlas.objects.countries);
// Antarctica (010) holds no producer and would take a fifth of the height: left out
const countries = { ...all, features: all.features.filter((f) => f.id !== "010") };
const projection = geoEqualEarth().fitWidth(width, countries);
const path = geoPath(projection).digits(1);
const height = Math.ceil(path.bounds(countries)[1][1]);

const result = {};
const unmatched = [];
for (const f of countries.features) {
  const name = f.properties.name;
  let id = f.id !== undefined ? byNumeric.get(Number(f.id)) : BY_NAME[name];
  if (!id) {
    unmatched.push(`${f.id ?? "-"} ${name}`);
    id = `_${name.replace(/[^A-Za-z]/g, "")}`;
  }
  const d = path(f);
  if (!d) continue;
  result[id] = { name: names.get(id) ?? name, d };
}

const doc = {
  source: "Natural Earth 1:110m Admin 0 countries via world-atlas 2.0.2 (countries-110m.json)",
  licence: "Natural Earth: public domain; world-atlas: ISC (see NOTICE)",
  projection: "Equal Earth, fitted to the view box",
  width,
  height,
  countries: result,
};
writeFileSync(out, JSON.stringify(doc) + "\n");
const kb = (JSON.stringify(doc).length / 1024).toFixed(0);
console.log(`wrote ${out}: ${Object.keys(result).length} countries, ${kb} KB`);
if (unmatched.length) console.log(`kept without a catalog id: ${unmatched.join(", ")}`);
