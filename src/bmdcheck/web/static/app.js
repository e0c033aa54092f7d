// bmdcheck control room: the page half. Talks only to its own origin (/api/...), draws on an
// offline Cesium globe (bundled NaturalEarthII imagery, no Ion token). State lives in `bmd`,
// exposed as window.bmd for the browser tests.
"use strict";

const TIERS = ["local", "remote", "cue"];
const bmd = (window.bmd = {
  token: null, viewer: null, scenarios: [], rules: [], job: null, results: null,
  scenarioLayer: null, windowLayer: null, markLayer: null, ready: false, errors: [],
});

// ---- HTTP -----------------------------------------------------------------------------------------

function tokenFromFragment() {
  const m = /(?:^|[#&])token=([^&]+)/.exec(window.location.hash || "");
  return m ? decodeURIComponent(m[1]) : null;
}

function detailText(body, status) {
  if (body == null) return `HTTP ${status}`;
  const d = body.detail ?? body.error ?? body.message ?? body;
  if (typeof d === "string") return d;
  if (Array.isArray(d)) return d.map((e) => (e && e.msg ? `${(e.loc || []).join(".")}: ${e.msg}` : JSON.stringify(e))).join("; ");
  return JSON.stringify(d);
}

async function api(path, opts = {}) {
  const headers = Object.assign({}, opts.headers || {});
  if (bmd.token) headers.Authorization = `Bearer ${bmd.token}`;
  const res = await fetch(path, Object.assign({}, opts, { headers, cache: "no-store" }));
  const type = res.headers.get("content-type") || "";
  const body = type.includes("json") ? await res.json().catch(() => null) : await res.text();
  if (!res.ok) throw new Error(`${res.status}: ${detailText(typeof body === "string" ? { detail: body } : body, res.status)}`);
  return body;
}

const postJSON = (path, obj) => api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(obj) });

// ---- small DOM helpers ----------------------------------------------------------------------------

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null) continue;
    if (k === "class") e.className = v;
    else if (k === "style") Object.assign(e.style, v); // CSSOM, allowed under a strict CSP
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const k of kids.flat()) if (k != null) e.append(k instanceof Node ? k : String(k));
  return e;
}

function setMessage(text, isError = false) {
  const m = $("message");
  m.textContent = text || "";
  m.classList.toggle("error", !!isError);
  if (isError && text) bmd.errors.push(text);
}

function setProgress(frac) {
  const p = $("progress");
  if (frac == null) { p.classList.add("hidden"); return; }
  p.classList.remove("hidden");
  p.firstElementChild.style.width = `${Math.round(Math.max(0, Math.min(1, frac)) * 100)}%`;
}

function pill(id, text, cls) {
  const p = $(id);
  p.textContent = text;
  p.className = `pill ${cls || ""}`;
}

const fmt = (x, d = 0) => (x == null || Number.isNaN(+x) ? "–" : (+x).toFixed(d));
const num = (...xs) => { for (const x of xs) if (x != null && x !== "" && Number.isFinite(+x)) return +x; return null; };
const latOf = (o) => num(o.lat, o.lat_deg, o.latitude, Array.isArray(o.point) ? o.point[0] : null);
const lonOf = (o) => num(o.lon, o.lon_deg, o.longitude, Array.isArray(o.point) ? o.point[1] : null);
const latlon = (lat, lon) => `${Math.abs(lat).toFixed(2)}°${lat >= 0 ? "N" : "S"} ${Math.abs(lon).toFixed(2)}°${lon >= 0 ? "E" : "W"}`;

// ---- the globe ------------------------------------------------------------------------------------

async function makeViewer() {
  Cesium.Ion.defaultAccessToken = "";
  const imagery = await Cesium.TileMapServiceImageryProvider.fromUrl(
    Cesium.buildModuleUrl("Assets/Textures/NaturalEarthII"));
  const viewer = new Cesium.Viewer("globe", {
    baseLayer: new Cesium.ImageryLayer(imagery),
    terrainProvider: new Cesium.EllipsoidTerrainProvider(),
    baseLayerPicker: false, geocoder: false, homeButton: false, sceneModePicker: false,
    navigationHelpButton: false, fullscreenButton: false, infoBox: false, selectionIndicator: true,
    animation: true, timeline: true, shouldAnimate: false,
  });
  viewer.scene.globe.enableLighting = false;
  viewer.scene.skyAtmosphere.show = true;
  viewer.scene.fog.enabled = false;
  viewer.camera.setView({ destination: Cesium.Cartesian3.fromDegrees(20, 50, 1.8e7) });
  bmd.scenarioLayer = new Cesium.CustomDataSource("scenario");
  bmd.windowLayer = new Cesium.CustomDataSource("windows");
  bmd.markLayer = new Cesium.CustomDataSource("marks");
  for (const ds of [bmd.scenarioLayer, bmd.windowLayer, bmd.markLayer]) await viewer.dataSources.add(ds);
  viewer.selectedEntityChanged.addEventListener(showPick);
  bmd.viewer = viewer;
  return viewer;
}

function showPick(entity) {
  const box = $("pick");
  if (!entity) { box.classList.add("hidden"); return; }
  const t = bmd.viewer.clock.currentTime;
  const props = entity.properties ? entity.properties.getValue(t) || {} : {};
  const rows = [el("b", {}, entity.name || entity.id)];
  for (const k of ["kind", "missile", "shape", "site", "interceptor", "reason", "window", "range_km", "target_alt_km"]) {
    if (props[k] != null) rows.push(el("div", {}, `${k}: ${Array.isArray(props[k]) ? props[k].map((x) => fmt(x)).join("–") + " s" : props[k]}`));
  }
  box.replaceChildren(...rows);
  box.classList.remove("hidden");
}

const C = (css, a = 1) => Cesium.Color.fromCssColorString(css).withAlpha(a);

// Areas in a scenario summary: {name, lat, lon} points, {box: [lat0, lat1, lon0, lon1]},
// {polygon: [[lat, lon], ...]}, or {radius_km} circles around a point.
function addArea(ds, a, kind) {
  const color = kind === "launch" ? "#ff6b6b" : "#ffd25a";
  const name = a.name || a.id || kind;
  const label = { text: name, font: "12px sans-serif", fillColor: C(color), outlineColor: Cesium.Color.BLACK,
    outlineWidth: 3, style: Cesium.LabelStyle.FILL_AND_OUTLINE, pixelOffset: new Cesium.Cartesian2(0, -14),
    distanceDisplayCondition: new Cesium.DistanceDisplayCondition(0, 2.6e7) };
  const poly = a.polygon || a.ring || a.vertices;
  const box = a.box || a.bbox;
  if (Array.isArray(poly) && poly.length >= 3) {
    const flat = poly.flatMap((p) => (Array.isArray(p) ? [p[1], p[0]] : [lonOf(p), latOf(p)]));
    const hier = Cesium.Cartesian3.fromDegreesArray(flat);
    const c = Cesium.BoundingSphere.fromPoints(hier).center;
    ds.entities.add({ name, position: c, label, polygon: { hierarchy: hier, material: C(color, 0.35), outline: true, outlineColor: C(color), height: 0 } });
    return;
  }
  if (Array.isArray(box) && box.length === 4) {
    const [s, n, w, e] = box;
    ds.entities.add({ name, position: Cesium.Cartesian3.fromDegrees((w + e) / 2, (s + n) / 2),
      label, rectangle: { coordinates: Cesium.Rectangle.fromDegrees(w, s, e, n), material: C(color, 0.35), outline: true, outlineColor: C(color), height: 0 } });
    return;
  }
  const lat = latOf(a), lon = lonOf(a);
  if (lat == null || lon == null) return;
  const pos = Cesium.Cartesian3.fromDegrees(lon, lat);
  const r = num(a.radius_km, a.radius);
  const ent = { name, position: pos, label, properties: { kind: `${kind} area` },
    point: { pixelSize: 9, color: C(color), outlineColor: Cesium.Color.BLACK, outlineWidth: 1.5 } };
  if (r) ent.ellipse = { semiMajorAxis: r * 1e3, semiMinorAxis: r * 1e3, material: C(color, 0.3), outline: true, outlineColor: C(color), height: 0 };
  ds.entities.add(ent);
}

function asList(x) {
  if (!x) return [];
  if (Array.isArray(x)) return x;
  if (typeof x === "object") return Object.entries(x).map(([k, v]) => (v && typeof v === "object" && !Array.isArray(v) ? Object.assign({ name: k }, v) : { name: k, point: v }));
  return [];
}

function drawScenario(summary) {
  const ds = bmd.scenarioLayer;
  ds.entities.removeAll();
  if (!summary) return;
  for (const s of asList(summary.sites)) {
    const lat = latOf(s), lon = lonOf(s);
    if (lat == null || lon == null) continue;
    const inv = s.interceptors ? (Array.isArray(s.interceptors) ? s.interceptors.map((i) => (typeof i === "string" ? i : `${i.name || i.interceptor} x${i.rounds ?? i.inventory ?? i.n ?? "?"}`)).join(", ")
      : Object.entries(s.interceptors).map(([k, v]) => `${k} x${v}`).join(", ")) : "";
    ds.entities.add({ name: s.name, position: Cesium.Cartesian3.fromDegrees(lon, lat),
      properties: { kind: "site", interceptor: inv || null },
      point: { pixelSize: 10, color: Cesium.Color.WHITE, outlineColor: Cesium.Color.BLACK, outlineWidth: 2 },
      label: { text: s.name, font: "12px sans-serif", fillColor: Cesium.Color.WHITE, outlineColor: Cesium.Color.BLACK,
        outlineWidth: 3, style: Cesium.LabelStyle.FILL_AND_OUTLINE, pixelOffset: new Cesium.Cartesian2(8, 0),
        horizontalOrigin: Cesium.HorizontalOrigin.LEFT, distanceDisplayCondition: new Cesium.DistanceDisplayCondition(0, 1.2e7) } });
  }
  for (const r of asList(summary.radars)) {
    const lat = latOf(r), lon = lonOf(r), rng = num(r.ground_range_km, r.range_km, r.range);
    if (lat == null || lon == null) continue;
    const ent = { name: `${r.name} radar`, position: Cesium.Cartesian3.fromDegrees(lon, lat), properties: { kind: "radar", range_km: rng },
      point: { pixelSize: 6, color: C("#6fb0e8"), outlineColor: Cesium.Color.BLACK, outlineWidth: 1 } };
    if (rng) ent.ellipse = { semiMajorAxis: rng * 1e3, semiMinorAxis: rng * 1e3, material: C("#4682b4", 0.22), outline: true, outlineColor: C("#6fb0e8", 0.9), height: 0 };
    ds.entities.add(ent);
  }
  for (const a of asList(summary.launch_areas || summary.launch)) addArea(ds, a, "launch");
  for (const a of asList(summary.aim_areas || summary.aim)) addArea(ds, a, "aim");
}

function flyToLayer(ds, duration = 1.5) {
  if (!ds || ds.entities.values.length === 0) return;
  return bmd.viewer.flyTo(ds, { duration, offset: new Cesium.HeadingPitchRange(0, -Cesium.Math.PI_OVER_TWO, 0) }).catch(() => {});
}

// ---- results on the globe: CZML from the export module ----------------------------------------------

async function showResults(jobId) {
  const viewer = bmd.viewer;
  const czml = await api(`/api/jobs/${encodeURIComponent(jobId)}/result?format=czml`);
  const doc = typeof czml === "string" ? JSON.parse(czml) : czml;
  const ds = await Cesium.CzmlDataSource.load(doc);
  ds.name = "results";
  if (bmd.results) viewer.dataSources.remove(bmd.results, true);
  bmd.windowLayer.entities.removeAll();
  await viewer.dataSources.add(ds);
  bmd.results = ds;
  viewer.clockTrackedDataSource = ds;
  const t = viewer.clock.currentTime;
  let first = null;
  for (const e of ds.entities.values) {
    const p = e.properties ? e.properties.getValue(t) || {} : {};
    if (e.label && (p.kind === "threat" || p.kind === "interceptor")) e.label.show = false; // one label per track clutters
    if (e.id.startsWith("site-") || e.id.startsWith("radar-") || e.id.startsWith("coverage-")) e.show = false; // drawn from the scenario summary
    if (p.kind === "threat" && e.path) e.path.width = 1.6;
    if (p.kind === "interceptor" && e.path) e.path.width = 2.6;
    if (p.kind === "intercept" && e.point) {
      e.point.pixelSize = 10; e.point.outlineColor = Cesium.Color.WHITE; e.point.outlineWidth = 1.5;
      const ts = e.availability && e.availability.start;
      if (ts && (!first || Cesium.JulianDate.lessThan(ts, first))) first = ts;
    }
    if (p.kind === "threat" && Array.isArray(p.window) && e.availability) highlightWindow(e, p.window);
  }
  const clk = viewer.clock;
  viewer.timeline.zoomTo(clk.startTime, clk.stopTime);
  // Start where something happens: just after the first intercept, otherwise two thirds through.
  clk.currentTime = first ? Cesium.JulianDate.addSeconds(first, 60, new Cesium.JulianDate())
    : Cesium.JulianDate.addSeconds(clk.startTime, 0.66 * Cesium.JulianDate.secondsDifference(clk.stopTime, clk.startTime), new Cesium.JulianDate());
  clk.shouldAnimate = true;
  await viewer.flyTo(ds, { duration: 1.5 }).catch(() => {});
  return ds;
}

// The engagement window [first_s, last_s] (s after the threat's first sample) drawn as a bright
// segment over the trajectory and as a band on the timeline.
function highlightWindow(entity, win) {
  const [a, b] = win.map(Number);
  if (!(b >= a)) return;
  const t0 = entity.availability.start;
  const n = 24, pts = [];
  for (let i = 0; i <= n; i++) {
    const p = entity.position.getValue(Cesium.JulianDate.addSeconds(t0, a + ((b - a) * i) / n, new Cesium.JulianDate()));
    if (p) pts.push(p);
  }
  if (pts.length < 2) return;
  bmd.windowLayer.entities.add({ name: `${entity.name}: engagement window ${fmt(a)}–${fmt(b)} s`,
    properties: { kind: "engagement-window", window: [a, b] },
    polyline: { positions: pts, width: 6, material: new Cesium.PolylineGlowMaterialProperty({ glowPower: 0.25, color: C("#ffe14d") }) } });
  try {
    const hl = bmd.viewer.timeline.addHighlightRange(C("#ffe14d", 0.55), 6, 0);
    hl.setRange(Cesium.JulianDate.addSeconds(t0, a, new Cesium.JulianDate()), Cesium.JulianDate.addSeconds(t0, b, new Cesium.JulianDate()));
  } catch (e) { /* timeline hidden */ }
}

// ---- side panels ------------------------------------------------------------------------------------

function tierRows(summary) {
  // Accepts {tier: {engageable, trajectories}} or a list of summary rows with a `tier` column
  // (the results folder's _summary.parquet: trajectories, fraction_engageable, ...).
  const out = {};
  if (!summary) return out;
  if (Array.isArray(summary)) {
    for (const r of summary) {
      const k = r.tier || "all";
      const o = (out[k] ||= { engageable: 0, trajectories: 0, sites: new Set(), earliest: null });
      const n = num(r.trajectories, r.flown) || 0;
      o.trajectories += n;
      o.engageable += num(r.engageable, r.n_engageable) ?? Math.round(n * (num(r.fraction_engageable) || 0));
      if (r.sites) String(r.sites).split(",").forEach((s) => s.trim() && o.sites.add(s.trim().replace(/\s*\(\d+\)$/, "")));
      const e = num(r.earliest_intercept_s);
      if (e != null && (o.earliest == null || e < o.earliest)) o.earliest = e;
    }
    return out;
  }
  const src = summary.tiers || summary.per_tier || summary;
  for (const [k, v] of Object.entries(src)) {
    if (!v || typeof v !== "object") continue;
    const n = num(v.trajectories, v.total, v.n) || 0;
    const en = num(v.engageable, v.n_engageable) ?? Math.round(n * (num(v.fraction_engageable, v.fraction) || 0));
    out[k] = { engageable: en, trajectories: n, sites: new Set(asList(v.sites).map((s) => s.name || s)), earliest: num(v.earliest_intercept_s) };
  }
  return out;
}

function renderSummary(summary) {
  const rows = tierRows(summary);
  const keys = Object.keys(rows).sort((a, b) => TIERS.indexOf(a) - TIERS.indexOf(b));
  if (!keys.length) { $("summary").replaceChildren("No summary."); return; }
  const body = keys.map((k) => {
    const r = rows[k], f = r.trajectories ? r.engageable / r.trajectories : 0;
    return el("tr", { "data-tier": k },
      el("td", {}, el("b", {}, k)),
      el("td", { class: `num ${r.engageable ? "hit" : ""}` }, `${r.engageable} / ${r.trajectories}`,
        el("div", { class: "bar" }, el("i", { style: { width: `${Math.round(f * 100)}%` } }))),
      el("td", { class: "num" }, r.earliest == null ? "–" : `${fmt(r.earliest)} s`),
      el("td", {}, [...r.sites].join(", ") || "–"));
  });
  $("summary").classList.remove("muted");
  $("summary").replaceChildren(el("table", {},
    el("thead", {}, el("tr", {}, el("th", {}, "tier"), el("th", { class: "num" }, "engageable"), el("th", { class: "num" }, "earliest"), el("th", {}, "sites"))),
    el("tbody", {}, body)));
}

function cxOf(v) {
  const c = v.counterexample || v;
  const lat = num(c.intercept_lat, c.intercept_point && c.intercept_point.lat);
  const lon = num(c.intercept_lon, c.intercept_point && c.intercept_point.lon);
  if (lat == null || lon == null) return null;
  return Object.assign({}, c, { intercept_lat: lat, intercept_lon: lon,
    intercept_alt_km: num(c.intercept_alt_km, c.intercept_point && c.intercept_point.alt_km) || 0,
    tier: c.tier || v.tier || v.binding_tier });
}

function renderVerdicts(verdicts) {
  const box = $("verdicts");
  if (!verdicts || !verdicts.length) { box.classList.add("muted"); box.replaceChildren("No guarantees checked in this run."); return; }
  box.classList.remove("muted");
  box.replaceChildren(...verdicts.map((v, i) => {
    const verdict = String(v.verdict || v.status || v.result || "").toUpperCase();
    const why = v.binding_margin || v.reason || v.message || v.held_by || v.explanation;
    const cx = cxOf(v);
    const card = el("div", { class: "verdict", "data-verdict": verdict },
      el("div", { class: "head" },
        el("span", { class: "rule" }, v.rule || v.name || v.id || `rule ${i + 1}`),
        el("span", { class: `badge ${verdict === "PASS" || verdict === "FAIL" ? verdict : "other"}` }, verdict || "?")),
      (v.tier || v.binding_tier) ? el("div", { class: "why" }, `binding tier: ${v.binding_tier || v.tier}`) : null,
      why ? el("div", { class: "why" }, String(why)) : null);
    if (cx) {
      const b = el("button", { class: "cx", title: "fly the camera to this intercept", "data-cx": String(i), onclick: () => flyToCounterexample(cx) },
        el("b", {}, "counterexample "), `${cx.missile || "threat"}${cx.shape ? ` (${cx.shape})` : ""} vs ${cx.site || "site"}`,
        cx.interceptor ? ` ${cx.interceptor}` : "", cx.tier ? `, tier ${cx.tier}` : "", el("br"),
        `intercept ${latlon(cx.intercept_lat, cx.intercept_lon)}, ${fmt(cx.intercept_alt_km)} km`,
        cx.intercept_s != null ? ` at ${fmt(cx.intercept_s)} s` : "");
      card.append(b);
    }
    return card;
  }));
}

function flyToCounterexample(cx) {
  const v = bmd.viewer, ds = bmd.markLayer;
  ds.entities.removeAll();
  const p = Cesium.Cartesian3.fromDegrees(cx.intercept_lon, cx.intercept_lat, cx.intercept_alt_km * 1e3);
  ds.entities.add({ id: "counterexample", name: `counterexample: ${cx.missile || "threat"} vs ${cx.site || "site"}`, position: p,
    properties: { kind: "counterexample", missile: cx.missile, site: cx.site, interceptor: cx.interceptor },
    point: { pixelSize: 14, color: C("#d60000"), outlineColor: Cesium.Color.WHITE, outlineWidth: 2, disableDepthTestDistance: Number.POSITIVE_INFINITY },
    label: { text: `intercept ${fmt(cx.intercept_alt_km)} km`, font: "13px sans-serif", fillColor: Cesium.Color.WHITE, outlineColor: Cesium.Color.BLACK,
      outlineWidth: 3, style: Cesium.LabelStyle.FILL_AND_OUTLINE, pixelOffset: new Cesium.Cartesian2(0, -18), disableDepthTestDistance: Number.POSITIVE_INFINITY } });
  const slat = num(cx.site_lat), slon = num(cx.site_lon);
  if (slat != null && slon != null) {
    ds.entities.add({ name: "interceptor path (straight line)", polyline: { positions: [Cesium.Cartesian3.fromDegrees(slon, slat, 0), p], width: 2,
      material: new Cesium.PolylineDashMaterialProperty({ color: C("#ff5f56") }) } });
  }
  const range = Math.max(1.2e6, 3 * cx.intercept_alt_km * 1e3);
  bmd.lastFlight = { lat: cx.intercept_lat, lon: cx.intercept_lon, alt_km: cx.intercept_alt_km };
  v.camera.flyToBoundingSphere(new Cesium.BoundingSphere(p, 1), { duration: 1.5, offset: new Cesium.HeadingPitchRange(0, Cesium.Math.toRadians(-50), range) });
  if (cx.intercept_s != null && v.clock) {
    // Intercept times are seconds after the scenario's t = 0, the CZML clock's epoch origin.
    const epoch = bmd.results && bmd.results.epoch0;
    if (epoch) v.clock.currentTime = Cesium.JulianDate.addSeconds(epoch, +cx.intercept_s, new Cesium.JulianDate());
  }
}

function renderComparison(res) {
  const box = $("comparison");
  const a = res.a || res.first || res.left || {}, b = res.b || res.second || res.right || {};
  const sa = tierRows(a.summary || res.summary_a), sb = tierRows(b.summary || res.summary_b);
  const keys = [...new Set([...Object.keys(sa), ...Object.keys(sb)])].sort((x, y) => TIERS.indexOf(x) - TIERS.indexOf(y));
  const na = a.name || res.scenario || $("cmp-a").value, nb = b.name || res.other || $("cmp-b").value;
  const cell = (r) => (r ? `${r.engageable} / ${r.trajectories}` : "–");
  const kids = [];
  if (keys.length) {
    kids.push(el("table", {},
      el("thead", {}, el("tr", {}, el("th", {}, "tier"), el("th", { class: "num" }, na), el("th", { class: "num" }, nb), el("th", { class: "num" }, "change"))),
      el("tbody", {}, keys.map((k) => {
        const d = (sb[k] ? sb[k].engageable : 0) - (sa[k] ? sa[k].engageable : 0);
        return el("tr", { "data-tier": k }, el("td", {}, el("b", {}, k)), el("td", { class: "num" }, cell(sa[k])), el("td", { class: "num" }, cell(sb[k])),
          el("td", { class: `num ${d ? "hit" : ""}` }, d > 0 ? `+${d}` : String(d)));
      }))));
  }
  const changes = res.changes || res.diff || res.differences;
  if (Array.isArray(changes) && changes.length) {
    kids.push(el("div", { class: "why" }, `${changes.length} rows changed; first: `),
      ...changes.slice(0, 5).map((c) => el("div", { class: "why" }, typeof c === "string" ? c : Object.entries(c).slice(0, 6).map(([k, v]) => `${k}=${v}`).join(" "))));
  }
  if (!kids.length) kids.push(el("pre", { class: "why" }, JSON.stringify(res, null, 1).slice(0, 1200)));
  box.classList.remove("muted");
  box.replaceChildren(...kids);
}

async function loadLedger() {
  const box = $("ledger");
  try {
    const data = await api("/api/ledger/entries");
    const entries = Array.isArray(data) ? data : data.entries || [];
    if (!entries.length) { box.classList.add("muted"); box.replaceChildren(data.message || "No ledger entries."); return; }
    box.classList.remove("muted");
    box.replaceChildren(...entries.slice(-30).reverse().map((e) => el("div", { class: "ledger-entry" },
      el("code", {}, `#${e.seq ?? e.index ?? e.id ?? "?"}`), " ",
      e.kind || e.type || "", " ", e.scenario_name || e.name || e.subject || "", " ",
      e.party ? `by ${e.party} ` : "", e.time || e.timestamp || e.created || "",
      (e.hash || e.entry_hash) ? el("div", { class: "muted" }, String(e.hash || e.entry_hash).slice(0, 24) + "…") : null)));
  } catch (err) {
    box.classList.add("muted");
    box.replaceChildren(`Ledger unavailable (${err.message}).`);
  }
}

// ---- jobs -------------------------------------------------------------------------------------------

function selectedTiers() {
  return [...document.querySelectorAll("#tiers input:checked")].map((i) => i.value);
}

async function waitJob(id, onProgress) {
  for (;;) {
    const j = await api(`/api/jobs/${encodeURIComponent(id)}`);
    if (onProgress) onProgress(j);
    if (j.status === "done" || j.status === "failed") return j;
    await new Promise((r) => setTimeout(r, 400));
  }
}

function jobProgress(label) {
  return (j) => {
    const p = num(j.progress);
    setProgress(p == null ? 0.05 : p > 1 ? p / 100 : p);
    pill("jobstate", `${label}: ${j.status}`, j.status === "failed" ? "bad" : j.status === "done" ? "ok" : "run");
    if (j.message) setMessage(j.message);
  };
}

async function scenarioRef() {
  // An uploaded file wins over the picker; its upload id stands in for a scenario name.
  return bmd.uploadedScenario || $("scenario").value;
}

async function run() {
  const btn = $("run");
  btn.disabled = true;
  setMessage("Starting…");
  setProgress(0);
  try {
    const body = { kind: $("rules").value || bmd.uploadedRules ? "verify" : "assess", scenario: await scenarioRef() };
    const rules = bmd.uploadedRules || $("rules").value;
    if (rules) body.rules = rules;
    const tiers = selectedTiers();
    if (tiers.length && tiers.length < 3) body.tiers = tiers;
    const started = await postJSON("/api/jobs", body);
    bmd.job = started.id;
    const j = await waitJob(started.id, jobProgress(body.kind));
    if (j.status === "failed") throw new Error(j.message || j.error || "job failed");
    renderSummary(j.summary);
    renderVerdicts(j.verdicts);
    setMessage("Loading trajectories…");
    const ds = await showResults(started.id);
    bmd.results.epoch0 = j.epoch ? Cesium.JulianDate.fromIso8601(j.epoch) : null;
    const nTime = ds.entities.values.filter((e) => e.position && !(e.position instanceof Cesium.ConstantPositionProperty)).length;
    setMessage(`Done: ${ds.entities.values.length} entities (${nTime} time-dynamic).`);
    setProgress(1);
    bmd.ready = true;
    loadLedger();
  } catch (err) {
    setMessage(err.message, true);
    pill("jobstate", "failed", "bad");
    setProgress(null);
  } finally {
    btn.disabled = false;
  }
}

async function compare() {
  const btn = $("compare");
  btn.disabled = true;
  $("comparison").replaceChildren("Comparing…");
  try {
    const body = { kind: "compare", scenario: $("cmp-a").value, other: $("cmp-b").value };
    const tiers = selectedTiers();
    if (tiers.length && tiers.length < 3) body.tiers = tiers;
    const started = await postJSON("/api/jobs", body);
    const j = await waitJob(started.id, jobProgress("compare"));
    if (j.status === "failed") throw new Error(j.message || "comparison failed");
    let res = j.comparison || j.result || j;
    if (!res.a && !res.changes && !j.comparison) {
      try { res = await api(`/api/jobs/${encodeURIComponent(started.id)}/result?format=json`); } catch (e) { /* keep the status body */ }
    }
    renderComparison(res);
    setMessage("");
  } catch (err) {
    $("comparison").replaceChildren(el("span", { class: "why" }, err.message));
  } finally {
    btn.disabled = false;
  }
}

async function upload(kind, file) {
  if (!file) return null;
  const text = await file.text();
  const r = await api(`/api/uploads?kind=${kind}`, { method: "POST", headers: { "Content-Type": "application/toml" }, body: text });
  return r.id;
}

async function pickScenario() {
  bmd.uploadedScenario = null;
  $("upload-scenario").value = "";
  const name = $("scenario").value;
  if (!name) return;
  try {
    const s = await api(`/api/scenarios/${encodeURIComponent(name)}`);
    const meta = bmd.scenarios.find((x) => x.name === name) || {};
    $("scenario-desc").textContent = s.description || (s.summary && s.summary.description) || meta.title || "";
    drawScenario(s.summary);
    flyToLayer(bmd.scenarioLayer);
  } catch (err) {
    setMessage(err.message, true);
  }
}

function fillSelect(sel, items, chosen) {
  sel.replaceChildren(...items.map((s) => el("option", { value: s.name, title: s.title || "" }, s.title && s.title !== s.name ? `${s.name}` : s.name)));
  if (chosen && items.some((s) => s.name === chosen)) sel.value = chosen;
}

async function init() {
  bmd.token = tokenFromFragment();
  try {
    const h = await api("/api/health");
    pill("health", h.status === "ok" ? "server ok" : `server: ${h.status}`, h.status === "ok" ? "ok" : "bad");
  } catch (err) {
    pill("health", "server unreachable", "bad");
    setMessage(err.message, true);
  }
  try { await makeViewer(); } catch (err) { setMessage(`Globe: ${err.message}`, true); }
  try {
    const list = await api("/api/scenarios");
    bmd.scenarios = Array.isArray(list) ? list : list.scenarios || [];
    fillSelect($("scenario"), bmd.scenarios, "teaching-single-site");
    fillSelect($("cmp-a"), bmd.scenarios, "epaa-phase4-2010");
    fillSelect($("cmp-b"), bmd.scenarios, "epaa-phase4-2013");
    $("run").disabled = $("compare").disabled = bmd.scenarios.length === 0;
  } catch (err) { setMessage(err.message, true); }
  try {
    const rules = await api("/api/rules");
    bmd.rules = Array.isArray(rules) ? rules : rules.rules || [];
    for (const r of bmd.rules) $("rules").append(el("option", { value: r.name || r }, r.title ? `${r.name}` : r.name || r));
  } catch (err) { /* no shipped rules list: upload only */ }

  $("scenario").addEventListener("change", pickScenario);
  $("run").addEventListener("click", run);
  $("compare").addEventListener("click", compare);
  $("ledger-refresh").addEventListener("click", loadLedger);
  $("upload-scenario").addEventListener("change", async (ev) => {
    try {
      bmd.uploadedScenario = await upload("scenario", ev.target.files[0]);
      setMessage(bmd.uploadedScenario ? `Uploaded scenario ${ev.target.files[0].name}: valid.` : "");
    } catch (err) { bmd.uploadedScenario = null; ev.target.value = ""; setMessage(err.message, true); }
  });
  $("upload-rules").addEventListener("change", async (ev) => {
    try {
      bmd.uploadedRules = await upload("rules", ev.target.files[0]);
      setMessage(bmd.uploadedRules ? `Uploaded rules ${ev.target.files[0].name}: valid.` : "");
    } catch (err) { bmd.uploadedRules = null; ev.target.value = ""; setMessage(err.message, true); }
  });
  $("rules").addEventListener("change", () => { bmd.uploadedRules = null; $("upload-rules").value = ""; });
  await pickScenario();
  loadLedger();
  document.title = "bmdcheck control room";
  document.body.dataset.ready = "1";
}

window.addEventListener("DOMContentLoaded", init);
