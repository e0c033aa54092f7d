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
const latOf = (o) => num(o.lat, o.lat_deg, Array.isArray(o.point) ? o.point[0] : null);
const lonOf = (o) => num(o.lon, o.lon_deg, Array.isArray(o.point) ? o.point[1] : null);
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
    // Render only when something changes (a running clock counts): an idle globe costs no CPU,
    // which matters with software WebGL while a job runs on the same machine.
    requestRenderMode: true, maximumRenderTimeChange: 0.0,
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
  const w = bmd.windows && bmd.windows[entity.id];
  if (w) rows.push(el("div", {}, `engagement window: ${fmt(w[0])}–${fmt(w[1])} s after launch`));
  box.replaceChildren(...rows);
  box.classList.remove("hidden");
}

const C = (css, a = 1) => Cesium.Color.fromCssColorString(css).withAlpha(a);

// Areas of a scenario summary: {kind: point|points|polygon, points: [[lat, lon], ...], polygon?}.
function addArea(ds, name, a, kind) {
  const color = kind === "launch" ? "#ff6b6b" : "#ffd25a";
  const label = { text: name, font: "12px sans-serif", fillColor: C(color), outlineColor: Cesium.Color.BLACK,
    outlineWidth: 3, style: Cesium.LabelStyle.FILL_AND_OUTLINE, pixelOffset: new Cesium.Cartesian2(0, -14),
    distanceDisplayCondition: new Cesium.DistanceDisplayCondition(0, 2.6e7) };
  const props = { kind: `${kind} area` };
  const ring = Array.isArray(a.polygon) && a.polygon.length >= 3 ? a.polygon : null;
  if (ring) {
    const pos = Cesium.Cartesian3.fromDegreesArray(ring.flatMap((p) => [p[1], p[0]]));
    ds.entities.add({ name, position: Cesium.BoundingSphere.fromPoints(pos).center, label, properties: props,
      polygon: { hierarchy: pos, material: C(color, 0.35), outline: true, outlineColor: C(color), height: 0 } });
    return;
  }
  const pts = Array.isArray(a.points) ? a.points : latOf(a) != null ? [[latOf(a), lonOf(a)]] : [];
  pts.forEach((p, i) => {
    ds.entities.add({ name: pts.length > 1 ? `${name} ${i + 1}` : name, position: Cesium.Cartesian3.fromDegrees(p[1], p[0]),
      properties: props, label: i === 0 ? label : undefined,
      point: { pixelSize: kind === "launch" ? 8 : 9, color: C(color), outlineColor: Cesium.Color.BLACK, outlineWidth: 1.5 } });
  });
}

function drawScenario(summary) {
  const ds = bmd.scenarioLayer;
  ds.entities.removeAll();
  if (!summary) return;
  for (const r of summary.radars || []) {
    const lat = latOf(r), lon = lonOf(r);
    if (lat == null || lon == null) continue;
    const ring = r.coverage_ring;
    const ent = { name: `${r.name} radar`, position: Cesium.Cartesian3.fromDegrees(lon, lat),
      properties: { kind: "radar", range_km: r.range_km, target_alt_km: r.coverage_target_alt_km },
      point: { pixelSize: 6, color: C("#6fb0e8"), outlineColor: Cesium.Color.BLACK, outlineWidth: 1 } };
    if (Array.isArray(ring) && ring.length >= 4) {
      ent.polygon = { hierarchy: Cesium.Cartesian3.fromDegreesArray(ring.slice(0, -1).flatMap((p) => [p[1], p[0]])),
        material: C("#4682b4", 0.25), outline: true, outlineColor: C("#6fb0e8", 0.9), height: 0 };
    } else if (num(r.coverage_ground_range_km, r.range_km)) {
      const m = num(r.coverage_ground_range_km, r.range_km) * 1e3;
      ent.ellipse = { semiMajorAxis: m, semiMinorAxis: m, material: C("#4682b4", 0.25), outline: true, outlineColor: C("#6fb0e8", 0.9), height: 0 };
    }
    ds.entities.add(ent);
  }
  for (const s of summary.sites || []) {
    const lat = latOf(s), lon = lonOf(s);
    if (lat == null || lon == null) continue;
    const inv = s.interceptors && typeof s.interceptors === "object"
      ? Object.entries(s.interceptors).map(([k, v]) => `${k} x${v}`).join(", ") : "";
    ds.entities.add({ name: s.name, position: Cesium.Cartesian3.fromDegrees(lon, lat),
      properties: { kind: "site", interceptor: inv || null },
      point: { pixelSize: 10, color: Cesium.Color.WHITE, outlineColor: Cesium.Color.BLACK, outlineWidth: 2 },
      label: { text: s.name, font: "12px sans-serif", fillColor: Cesium.Color.WHITE, outlineColor: Cesium.Color.BLACK,
        outlineWidth: 3, style: Cesium.LabelStyle.FILL_AND_OUTLINE, pixelOffset: new Cesium.Cartesian2(8, 0),
        horizontalOrigin: Cesium.HorizontalOrigin.LEFT, distanceDisplayCondition: new Cesium.DistanceDisplayCondition(0, 1.5e7) } });
  }
  const launch = new Set((summary.threats || []).map((t) => t.launch));
  const aim = new Set((summary.threats || []).map((t) => t.aim));
  for (const [name, a] of Object.entries(summary.areas || {})) {
    if (launch.has(name)) addArea(ds, name, a, "launch");
    else if (aim.has(name)) addArea(ds, name, a, "aim");
  }
}

function flyToLayer(ds, duration = 1.5) {
  if (!ds || ds.entities.values.length === 0) return;
  return bmd.viewer.flyTo(ds, { duration, offset: new Cesium.HeadingPitchRange(0, -Cesium.Math.PI_OVER_TWO, 0) }).catch(() => {});
}

// ---- results on the globe: CZML from the export module ----------------------------------------------

async function showResults(jobId, opts = {}) {
  const viewer = bmd.viewer;
  if (opts.scenario && opts.scenario !== bmd.drawnScenario) await drawScenarioByName(opts.scenario);
  const q = (opts.which ? `&which=${opts.which}` : "") + (opts.tier ? `&tier=${opts.tier}` : "");
  const czml = await api(`/api/jobs/${encodeURIComponent(jobId)}/result?format=czml${q}`);
  const doc = typeof czml === "string" ? JSON.parse(czml) : czml;
  // Cesium's CZML reader fails on a null property value ("no window"): leave those out.
  const windows = {};                       // packet id -> engagement window [first_s, last_s]
  for (const pk of doc) {
    if (!pk.properties) continue;
    if (Array.isArray(pk.properties.window)) windows[pk.id] = pk.properties.window;
    for (const k of Object.keys(pk.properties)) if (pk.properties[k] === null || Array.isArray(pk.properties[k])) delete pk.properties[k];
  }
  bmd.windows = windows;
  const ds = await Cesium.CzmlDataSource.load(doc);
  if (bmd.results) viewer.dataSources.remove(bmd.results, true);
  bmd.windowLayer.entities.removeAll();
  // The timeline has no public way to drop highlight bands: clear the previous scene's.
  if (viewer.timeline && Array.isArray(viewer.timeline._highlightRanges)) viewer.timeline._highlightRanges.length = 0;
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
    if (p.kind === "threat" && windows[e.id] && e.availability) highlightWindow(e, windows[e.id]);
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

const tierOrder = (a, b) => TIERS.indexOf(a) - TIERS.indexOf(b);

// An assess job's summary.tiers: {tier: {trajectories, flown, engageable, fraction_engageable}}.
// Earliest intercept and engaging sites come from summary.rows (the results folder's _summary rows).
function tierRows(summary) {
  const out = {};
  if (!summary || !summary.tiers) return out;
  for (const [k, v] of Object.entries(summary.tiers)) {
    out[k] = { engageable: num(v.engageable) || 0, flown: num(v.flown, v.trajectories) || 0, sites: new Set(), earliest: null };
  }
  for (const r of summary.rows || []) {
    const o = out[r.tier];
    if (!o) continue;
    if (r.sites) String(r.sites).split(",").forEach((x) => x.trim() && o.sites.add(x.trim().replace(/\s*\(\d+\)$/, "")));
    const e = num(r.earliest_intercept_s);
    if (e != null && (o.earliest == null || e < o.earliest)) o.earliest = e;
  }
  return out;
}

// The tier the globe draws for a run over several tiers: the scenario's declared timeline mode
// (report.data.ResultSet.tier); a run over one tier draws that one.
const MODE_TIER = { local: "local", "launch-on-remote": "remote", "engage-on-remote": "remote", "early-warning-only": "cue" };

function drawnTier(summary) {
  if (summary && summary.czml && summary.czml.tier) return summary.czml.tier;
  const ts = Object.keys((summary && summary.tiers) || {});
  if (ts.length === 1) return ts[0];
  const t = MODE_TIER[bmd.scenarioMode];
  return ts.includes(t) ? t : ts.sort(tierOrder)[0];
}

function renderSummary(summary) {
  const rows = tierRows(summary);
  const keys = Object.keys(rows).sort(tierOrder);
  const box = $("summary");
  if (!keys.length) { box.classList.add("muted"); box.replaceChildren("No summary."); return; }
  const body = keys.map((k) => {
    const r = rows[k], f = r.flown ? r.engageable / r.flown : 0;
    return el("tr", { "data-tier": k, class: `tier-row ${k === bmd.globeTier ? "on-globe" : ""}`, title: `draw the ${k} tier on the globe`,
      onclick: () => drawTier(k) },
      el("td", {}, el("b", {}, k), el("span", { class: "globe-mark" }, " ◉")),
      el("td", { class: `num ${r.engageable ? "hit" : ""}` }, `${r.engageable} / ${r.flown}`,
        el("div", { class: "bar" }, el("i", { style: { width: `${Math.round(f * 100)}%` } }))),
      el("td", { class: "num" }, r.earliest == null ? "–" : `${fmt(r.earliest)} s`),
      el("td", {}, [...r.sites].join(", ") || "–"));
  });
  const cz = summary.czml || {};
  const note = cz.tracks_total > cz.tracks_shown ? ` The globe shows ${cz.tracks_shown} of ${cz.tracks_total} trajectories (sampled evenly).` : "";
  box.classList.remove("muted");
  box.replaceChildren(el("table", {},
    el("thead", {}, el("tr", {}, el("th", {}, "tier"), el("th", { class: "num" }, "engageable"), el("th", { class: "num" }, "earliest"), el("th", {}, "engaging sites"))),
    el("tbody", {}, body)),
  el("div", { class: "why" }, `Nominal draw. ◉ tier on the globe: click a row for another.${note}`));
}

// Draw another tier's windows, intercepts and fly-outs: the assess job's scene of that tier
// (result?format=czml&tier=...); a server without per-tier scenes gets an assessment of that tier
// alone (cached by content hash).
async function drawTier(tier) {
  if (!bmd.lastRun || tier === bmd.globeTier || bmd.busy) return;
  bmd.busy = true;
  try {
    if (bmd.czmlTiers && bmd.czmlTiers[tier]) {
      setMessage(`Globe: loading the ${tier} tier…`);
      await showResults(bmd.job.assess, { tier, scenario: bmd.lastRun.scenario });
    } else {
      const id = await startJob(Object.assign({}, bmd.lastRun, { kind: "assess", tiers: [tier] }));
      const j = await waitJob(id, jobProgress(`globe: ${tier}`));
      if (j.status === "failed") throw new Error(j.message || "failed");
      await showResults(id, { scenario: bmd.lastRun.scenario });
    }
    bmd.globeTier = tier;
    for (const tr of document.querySelectorAll("#summary tr.tier-row")) tr.classList.toggle("on-globe", tr.dataset.tier === tier);
    setMessage(`Globe: the ${tier} tier.`);
    setProgress(null);
  } catch (err) {
    setMessage(`globe ${tier}: ${err.message}`, true);
  } finally {
    bmd.busy = false;
  }
}

function cxOf(v) {
  const c = v.counterexample || {};
  const lat = num(v.intercept_lat, c.intercept_lat), lon = num(v.intercept_lon, c.intercept_lon);
  if (lat == null || lon == null) return null;
  return Object.assign({}, c, { intercept_lat: lat, intercept_lon: lon,
    intercept_alt_km: num(v.intercept_alt_km, c.intercept_alt_km) || 0, intercept_s: num(v.intercept_s, c.intercept_s),
    site: v.site || c.site, site_lat: num(v.site_lat, c.site_lat), site_lon: num(v.site_lon, c.site_lon),
    interceptor: v.interceptor || c.interceptor, missile: v.missile || c.missile, tier: v.tier || c.tier, rule: v.id });
}

function renderVerdicts(verdicts, summary) {
  const box = $("verdicts");
  bmd.markLayer.entities.removeAll();
  if (!verdicts || !verdicts.length) { box.classList.add("muted"); box.replaceChildren("No guarantees checked in this run."); return; }
  box.classList.remove("muted");
  const kids = [];
  if (summary && summary.verdict) {
    const c = summary.counts || {};
    kids.push(el("div", { class: "verdict-total" }, el("span", { class: `badge ${summary.verdict}` }, summary.verdict), " ",
      Object.entries(c).map(([k, n]) => `${n} ${k}`).join(", ")));
  }
  verdicts.forEach((v, i) => {
    const verdict = String(v.verdict || "").toUpperCase();
    const cx = cxOf(v);
    const tiers = v.tiers ? Object.keys(v.tiers).sort(tierOrder).map((t) => `${t} ${v.tiers[t]}`).join(", ") : null;
    const card = el("div", { class: "verdict", "data-verdict": verdict, title: v.statement || "" },
      el("div", { class: "head" },
        el("span", { class: "rule" }, v.id || `rule ${i + 1}`),
        el("span", { class: `badge ${verdict === "PASS" || verdict === "FAIL" ? verdict : "other"}` }, verdict || "?")),
      verdict === "FAIL" && v.binding_text ? el("div", { class: "why" }, `fails at: ${v.binding_text}${v.tier ? `; tier ${v.tier}` : ""}`) : null,
      v.held_by ? el("div", { class: "why" }, `held by: ${v.held_by}`) : null,
      tiers ? el("div", { class: "why" }, tiers) : null);
    if (cx) {
      card.append(el("button", { class: "cx", title: "fly the camera to this intercept", "data-cx": String(i), onclick: () => flyToCounterexample(cx) },
        el("b", {}, "counterexample "), `${cx.missile || "threat"} vs ${cx.site || "site"}${cx.interceptor ? ` (${cx.interceptor})` : ""}`, el("br"),
        `intercept ${latlon(cx.intercept_lat, cx.intercept_lon)}, ${fmt(cx.intercept_alt_km)} km`,
        cx.intercept_s != null ? ` at t = ${fmt(cx.intercept_s)} s` : ""));
      markCounterexample(cx, false);
    }
    kids.push(card);
  });
  box.replaceChildren(...kids);
}

function markCounterexample(cx, selected) {
  const id = `cx-${cx.rule}`;
  const ds = bmd.markLayer;
  const p = Cesium.Cartesian3.fromDegrees(cx.intercept_lon, cx.intercept_lat, cx.intercept_alt_km * 1e3);
  if (!ds.entities.getById(id)) {
    ds.entities.add({ id, name: `counterexample to ${cx.rule}: ${cx.missile || "threat"} vs ${cx.site || "site"}`, position: p,
      properties: { kind: "counterexample", missile: cx.missile, site: cx.site, interceptor: cx.interceptor },
      point: { pixelSize: 11, color: C("#d60000"), outlineColor: Cesium.Color.WHITE, outlineWidth: 2, disableDepthTestDistance: Number.POSITIVE_INFINITY } });
    if (cx.site_lat != null && cx.site_lon != null) {
      ds.entities.add({ id: `${id}-line`, name: "site to intercept (straight line)", polyline: {
        positions: [Cesium.Cartesian3.fromDegrees(cx.site_lon, cx.site_lat, 0), p], width: 2,
        material: new Cesium.PolylineDashMaterialProperty({ color: C("#ff5f56") }) } });
    }
  }
  const e = ds.entities.getById(id);
  e.point.pixelSize = selected ? 15 : 11;
  e.label = selected ? new Cesium.LabelGraphics({ text: `intercept ${fmt(cx.intercept_alt_km)} km`, font: "13px sans-serif",
    fillColor: Cesium.Color.WHITE, outlineColor: Cesium.Color.BLACK, outlineWidth: 3, style: Cesium.LabelStyle.FILL_AND_OUTLINE,
    pixelOffset: new Cesium.Cartesian2(0, -18), disableDepthTestDistance: Number.POSITIVE_INFINITY }) : undefined;
  return p;
}

function flyToCounterexample(cx) {
  const v = bmd.viewer;
  for (const e of bmd.markLayer.entities.values) if (e.label) e.label = undefined;
  const p = markCounterexample(cx, true);
  bmd.lastFlight = { rule: cx.rule, lat: cx.intercept_lat, lon: cx.intercept_lon, alt_km: cx.intercept_alt_km };
  const range = Math.max(1.5e6, 4 * cx.intercept_alt_km * 1e3);
  const flight = bmd.lastFlight;
  v.camera.flyToBoundingSphere(new Cesium.BoundingSphere(p, 1), { duration: 1.5, offset: new Cesium.HeadingPitchRange(0, Cesium.Math.toRadians(-55), range),
    complete: () => { flight.done = true; }, cancel: () => { flight.cancelled = true; } });
  if (cx.intercept_s != null && bmd.epoch) {
    v.clock.shouldAnimate = false;
    v.clock.currentTime = Cesium.JulianDate.addSeconds(bmd.epoch, cx.intercept_s, new Cesium.JulianDate());
  }
  v.selectedEntity = bmd.markLayer.entities.getById(`cx-${cx.rule}`);
}

function renderComparison(j) {
  const box = $("comparison");
  const sum = j.summary || {};
  const req = j.request || {};
  const na = req.scenario || "A", nb = req.other || "B";
  const cell = (r) => (r ? `${num(r.engageable) || 0} / ${num(r.flown, r.trajectories) || 0}` : "–");
  const keys = Object.keys(sum.tiers || {}).sort(tierOrder);
  const kids = [el("table", {},
    el("thead", {}, el("tr", {}, el("th", {}, "tier"), el("th", { class: "num", title: na }, short(na)), el("th", { class: "num", title: nb }, short(nb)), el("th", { class: "num" }, "change"))),
    el("tbody", {}, keys.map((k) => {
      const { a, b } = sum.tiers[k];
      const d = (b ? num(b.engageable) || 0 : 0) - (a ? num(a.engageable) || 0 : 0);
      return el("tr", { "data-tier": k }, el("td", {}, el("b", {}, k)), el("td", { class: "num" }, cell(a)), el("td", { class: "num" }, cell(b)),
        el("td", { class: `num ${d ? "hit" : ""}` }, d > 0 ? `+${d}` : String(d)));
    })))];
  const rows = sum.rows || [];
  const changed = rows.filter((r) => r.change != null && Math.abs(r.change) > 1e-9);
  const onlyA = rows.filter((r) => r.a_fraction != null && r.b_fraction == null).length;
  const onlyB = rows.filter((r) => r.b_fraction != null && r.a_fraction == null).length;
  if (changed.length) {
    kids.push(el("div", { class: "why" }, `Engageable fraction changed in ${changed.length} threat group(s) (missile, launch → aim, tier):`));
    for (const r of changed.slice(0, 6)) {
      kids.push(el("div", { class: "why" }, `${r.missile} ${r.launch_area} → ${r.aim_area}, ${r.tier}: ${fmt(100 * (r.a_fraction || 0))} % → ${fmt(100 * (r.b_fraction || 0))} %`));
    }
  } else if (rows.length && !onlyA && !onlyB) {
    kids.push(el("div", { class: "why" }, "No threat group changed."));
  }
  if (onlyA || onlyB) kids.push(el("div", { class: "why" }, `Threat groups only in ${short(na)}: ${onlyA}; only in ${short(nb)}: ${onlyB}.`));
  kids.push(el("div", { class: "row" },
    el("button", { class: "small", onclick: () => showResults(j.id, { which: "a", scenario: req.scenario }) }, `globe: ${short(na)}`),
    el("button", { class: "small", onclick: () => showResults(j.id, { which: "b", scenario: req.other }) }, `globe: ${short(nb)}`)));
  box.classList.remove("muted");
  box.replaceChildren(...kids);
}

const short = (name) => (name && name.length > 20 ? `${name.slice(0, 10)}…` : name);

async function loadLedger() {
  const box = $("ledger");
  try {
    const entries = await api("/api/ledger/entries");
    if (!entries.length) { box.classList.add("muted"); box.replaceChildren("No ledger entries (start the server with --ledger FILE)."); return; }
    box.classList.remove("muted");
    box.replaceChildren(...entries.slice(-30).reverse().map((e) => {
      const doc = e.document || {};
      const what = doc.name || doc.scenario_name || (doc.scenario && doc.scenario.name) || "";
      const when = String(e.timestamp || e.time || "").slice(0, 16).replace("T", " ");
      return el("div", { class: "ledger-entry", "data-seq": String(e.seq) },
        el("code", {}, `#${e.seq ?? "?"}`), ` ${e.kind || ""} `, el("b", {}, what), e.party ? ` by ${e.party}` : "",
        e.verdict ? `, verdict ${e.verdict}` : "", when ? `, ${when} UTC` : "",
        e.entry_hash ? el("div", { class: "muted" }, `entry ${String(e.entry_hash).slice(0, 24)}…`) : null);
    }));
  } catch (err) {
    box.classList.add("muted");
    box.replaceChildren(`Ledger unavailable (${err.message}).`);
  }
}

// ---- jobs -------------------------------------------------------------------------------------------

function jobOptions() {
  const o = {};
  const tiers = [...document.querySelectorAll("#tiers input:checked")].map((i) => i.value);
  if (tiers.length && tiers.length < 3) o.tiers = tiers;
  const d = parseInt($("draws").value, 10);
  if (Number.isFinite(d) && d >= 1) o.draws = d;
  return o;
}

async function waitJob(id, onProgress) {
  for (;;) {
    const j = await api(`/api/jobs/${encodeURIComponent(id)}`);
    if (onProgress) onProgress(j);
    if (j.status === "done" || j.status === "failed") return j;
    await new Promise((r) => setTimeout(r, 500));
  }
}

function jobProgress(label, lo = 0, hi = 1) {
  return (j) => {
    setProgress(lo + (hi - lo) * (num(j.progress) || 0));
    pill("jobstate", `${label}: ${j.status}`, j.status === "failed" ? "bad" : j.status === "done" ? "ok" : "run");
    if (j.message) setMessage(`${label}: ${j.message}`);
  };
}

async function startJob(body) {
  const r = await postJSON("/api/jobs", body);
  return r.id;
}

async function run() {
  const btn = $("run");
  btn.disabled = true;
  bmd.ready = false;
  setMessage("Starting…");
  setProgress(0);
  try {
    const scenario = $("scenario").value;
    const rules = $("rules").value;
    const opts = jobOptions();
    // Both are queued at once (the server runs one job at a time); the assessment draws the globe.
    const aId = await startJob(Object.assign({ kind: "assess", scenario }, opts));
    const vId = rules ? await startJob(Object.assign({ kind: "verify", scenario, rules }, opts)) : null;
    bmd.job = { assess: aId, verify: vId };
    const a = await waitJob(aId, jobProgress("assess", 0, rules ? 0.5 : 1));
    if (a.status === "failed") throw new Error(`assess: ${a.message || "failed"}`);
    bmd.epoch = a.epoch ? Cesium.JulianDate.fromIso8601(a.epoch) : null;
    bmd.lastRun = Object.assign({ scenario }, opts);
    bmd.globeTier = drawnTier(a.summary);
    bmd.czmlTiers = a.summary.czml_tiers || null;
    renderSummary(a.summary);
    setMessage("Loading trajectories…");
    await showResults(aId, { scenario });
    if (vId) {
      const v = await waitJob(vId, jobProgress("verify", 0.5, 1));
      if (v.status === "failed") throw new Error(`verify: ${v.message || "failed"}`);
      renderVerdicts(v.verdicts, v.summary);
    } else {
      renderVerdicts([], null);
    }
    const ds = bmd.results;
    const nTime = ds.entities.values.filter((e) => e.availability).length;
    setMessage(`Done: ${ds.entities.values.length} entities on the globe (${nTime} time-dynamic).`);
    setProgress(null);
    pill("jobstate", "done", "ok");
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
  $("comparison").classList.add("muted");
  $("comparison").replaceChildren("Comparing… (two assessments, queued after any running job)");
  try {
    const id = await startJob(Object.assign({ kind: "compare", scenario: $("cmp-a").value, other: $("cmp-b").value }, jobOptions()));
    const j = await waitJob(id, (x) => {
      pill("jobstate", `compare: ${x.status}`, x.status === "failed" ? "bad" : x.status === "done" ? "ok" : "run");
      $("comparison").replaceChildren(`Comparing… ${fmt(100 * (num(x.progress) || 0))} % ${x.message || ""}`);
    });
    if (j.status === "failed") throw new Error(j.message || "comparison failed");
    renderComparison(j);
  } catch (err) {
    $("comparison").replaceChildren(el("span", { class: "why" }, err.message));
  } finally {
    btn.disabled = false;
  }
}

async function upload(kind, input, select) {
  const file = input.files[0];
  if (!file) return;
  try {
    const r = await api(`/api/uploads?kind=${kind}`, { method: "POST", headers: { "Content-Type": "application/toml" }, body: await file.text() });
    if (![...select.options].some((o) => o.value === r.id)) select.append(el("option", { value: r.id }, `upload: ${r.name || file.name}`));
    select.value = r.id;
    setMessage(`Uploaded ${kind} ${file.name}: valid (id ${r.id.slice(0, 12)}…).`);
    if (kind === "scenario") await pickScenario();
  } catch (err) {
    setMessage(`${file.name}: ${err.message}`, true);
  } finally {
    input.value = "";
  }
}

// The scenario layer (sites, radar coverage, launch and aim areas) of a shipped name or upload id.
async function drawScenarioByName(name) {
  const s = await api(`/api/scenarios/${encodeURIComponent(name)}`);
  drawScenario(s.summary || {});
  bmd.drawnScenario = name;
  return s.summary || {};
}

async function pickScenario() {
  const name = $("scenario").value;
  if (!name) return;
  try {
    const sum = await drawScenarioByName(name);
    $("scenario-desc").textContent = sum.description || "";
    bmd.scenarioMode = sum.timeline_mode;
    $("draws").placeholder = sum.draws != null ? `${sum.draws} (scenario)` : "scenario's";
    for (const box of document.querySelectorAll("#tiers input")) box.disabled = sum.tiers ? !sum.tiers.includes(box.value) : false;
    flyToLayer(bmd.scenarioLayer);
  } catch (err) {
    setMessage(err.message, true);
  }
}

function fillSelect(sel, items, chosen) {
  sel.replaceChildren(...items.map((s) => el("option", { value: s.name, title: s.title || "" },
    s.path_kind === "upload" ? `upload: ${s.title}` : s.name)));
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
    bmd.scenarios = await api("/api/scenarios");
    fillSelect($("scenario"), bmd.scenarios, "teaching-single-site");
    fillSelect($("cmp-a"), bmd.scenarios, "epaa-phase4-2010");
    fillSelect($("cmp-b"), bmd.scenarios, "epaa-phase4-2013");
    $("run").disabled = $("compare").disabled = bmd.scenarios.length === 0;
  } catch (err) { setMessage(err.message, true); }
  try {
    bmd.rules = await api("/api/rules");
    for (const r of bmd.rules) $("rules").append(el("option", { value: r.name, title: r.title || "" }, r.path_kind === "upload" ? `upload: ${r.title}` : r.name));
  } catch (err) { setMessage(err.message, true); }

  $("scenario").addEventListener("change", pickScenario);
  $("run").addEventListener("click", run);
  $("compare").addEventListener("click", compare);
  $("ledger-refresh").addEventListener("click", loadLedger);
  $("upload-scenario").addEventListener("change", (ev) => upload("scenario", ev.target, $("scenario")));
  $("upload-rules").addEventListener("change", (ev) => upload("rules", ev.target, $("rules")));
  await pickScenario();
  loadLedger();
  document.body.dataset.ready = "1";
}

window.addEventListener("DOMContentLoaded", init);
