"""What the globe shows: CZML scenes of results and verdicts, and the summary of a scenario.

Scenes come from ``bmdcheck.export`` (the CZML writer the ``export`` command uses). A browser
animates a few hundred time-dynamic entities smoothly, not tens of thousands, so a scene holds at
most ``MAX_TRACKS`` threat trajectories and ``MAX_INTERCEPTS`` intercept points (sampled evenly
over the threat cases: :func:`bmdcheck.export.model.scene_from_results`) and ``INTERCEPTOR_PATHS``
fly-outs: at most 810 time-dynamic entities, and ``MAX_SAMPLES`` track samples (:func:`thin`).
What was left out is counted in the result (``summary.czml``: shown and total, ``sample_step``).

The CZML clock starts at ``EPOCH`` (a fixed label: positions are Earth-fixed, so the date changes
nothing but the clock text, and the same inputs give the same file).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

MAX_TRACKS = 400
MAX_INTERCEPTS = 400
INTERCEPTOR_PATHS = 10
MAX_SAMPLES = 50_000
"""Track samples in one scene at most (1 s samples thinned evenly, ends kept): a few MB of CZML."""
EPOCH = "2026-01-01T00:00:00Z"


def thin(scene, max_samples: int = MAX_SAMPLES) -> int:
    """Keep every k-th sample of each track (first and last kept) so that the scene holds at most
    about ``max_samples``; returns k. Cesium interpolates between samples (Lagrange, degree 5), so a
    ballistic arc drawn from 10 s samples looks as drawn from 1 s; the intercept points keep their
    exact times and places."""
    total = sum(len(t.t_s) for t in scene.tracks)
    k = max(1, -(-total // max(max_samples, 1)))
    if k == 1:
        return 1
    for t in scene.tracks:
        n = len(t.t_s)
        idx = np.unique(np.append(np.arange(0, n, k), n - 1))
        for name in ("t_s", "lat_deg", "lon_deg", "alt_m", "r_ecef_m"):
            setattr(t, name, np.asarray(getattr(t, name))[idx])
    return k


def _write(scene, path: Path) -> int:
    from ..export import parse_epoch, write_czml

    k = thin(scene)
    write_czml(scene, path, parse_epoch(EPOCH))
    return k


def _counts(scene, n_cases: int, n_intercepts: int, step: int) -> dict:
    return {"tracks_shown": sum(t.kind == "threat" for t in scene.tracks), "tracks_total": n_cases,
            "intercepts_shown": len(scene.intercepts), "intercepts_total": n_intercepts,
            "interceptor_paths": sum(t.kind == "interceptor" for t in scene.tracks), "sample_step": step}


def result_set(scenario, res, tier: str | None = None):
    """The report layer's view of an assessment result; with ``tier``, drawn for that sensor tier
    (default: the tier the scenario's timeline mode names, ``report.data.ResultSet.tier``)."""
    from ..report.data import ResultSet

    rs = ResultSet(Path(res.out_dir), res.provenance, res.table, res.summary, scenario)
    if tier is None or not rs.has_tiers():
        return rs

    class _Tier(ResultSet):
        @property
        def tier(self):
            return tier

    return _Tier(rs.path, rs.provenance, rs.table, rs.summary, rs.scenario)


def results_czml(scenario, res, path: Path, tier: str | None = None) -> dict:
    """Write the CZML scene of an assessment (``assess`` result, its validated scenario), for the
    default tier or ``tier``; the counts (and the tier drawn)."""
    from ..export.model import scene_from_results

    rs = result_set(scenario, res, tier)
    n_int = sum(1 for r in rs.nominal_rows() if r["feasible"])
    scene = scene_from_results(rs, interceptor_paths=INTERCEPTOR_PATHS, max_tracks=MAX_TRACKS,
                               max_intercepts=MAX_INTERCEPTS)
    return {**_counts(scene, len(rs.cases()), n_int, _write(scene, path)), "tier": rs.tier}


def _empty_results(scenario, where: Path):
    """A ResultSet with no rows: lets the report helpers draw a scenario that was not assessed."""
    import pyarrow as pa

    from ..assess.engine import _schema
    from ..report.data import ResultSet

    return ResultSet(where, {"scenario_name": scenario.name}, pa.Table.from_pylist([], schema=_schema()), [],
                     scenario)


def _sites_and_coverage(scene, rs) -> None:
    from ..export.model import SitePoint, coverage_ring
    from ..report.data import radars

    inv: dict = {}
    for sp, it, n in rs.defence():
        inv.setdefault(sp.name, (sp, {}))[1][it.name] = n
    scene.sites = [SitePoint(sp.name, sp.lat_deg, sp.lon_deg, sp.alt_m,
                             {"interceptors": d, "radar": None if sp.radar is None else sp.radar.name})
                   for sp, d in inv.values()]
    scene.coverage = [coverage_ring(r, rcs_m2=rs.timeline().rcs_m2) for r in radars(rs)]


def verdicts_czml(scenario, verdicts: list, path: Path) -> dict:
    """Write the CZML scene of a verification: sites, radar coverage, threat trajectories (the
    counterexamples' first, then sampled up to MAX_TRACKS) and each counterexample's intercept point."""
    from ..export.model import Intercept, Scene
    from ..report.data import threat_tracks

    rs = _empty_results(scenario, path.parent)
    n = len(rs.cases())
    ce = [v for v in verdicts if v.get("counterexample")]
    cases = []
    for v in ce:
        c = ((v["counterexample"].get("threat") or {}).get("case"))
        if isinstance(c, int) and 0 <= c < n and c not in cases:
            cases.append(c)
    rest = max(MAX_TRACKS - len(cases), 0)
    sample = np.linspace(0, n - 1, min(rest, n)).round().astype(int).tolist() if n and rest else []
    ids = sorted(set(cases) | set(sample))
    tracks = threat_tracks(rs, ids)
    for ci, tr in tracks.items():
        tr.properties.update(feasible=None, reason=None, window=None, counterexample=ci in cases)
    scene = Scene(scenario.name, list(tracks.values()))
    _sites_and_coverage(scene, rs)
    for v in ce[:MAX_INTERCEPTS]:
        c = v["counterexample"]
        if v.get("intercept_lat") is None or c.get("intercept_s") is None:
            continue
        scene.intercepts.append(Intercept(
            v["id"], v["intercept_lat"], v["intercept_lon"], (v.get("intercept_alt_km") or 0.0) * 1e3,
            c["intercept_s"], {"rule": v["id"], "verdict": v["verdict"], "site": c.get("site"),
                               "interceptor": c.get("interceptor"), "missile": c.get("missile"),
                               "tier": v.get("tier"), "feasible": True, "reason": "counterexample"}))
    return _counts(scene, n, len(ce), _write(scene, path))


def _area(a) -> dict:
    from ..scenario.expand import area_points

    kind = "point" if a.point is not None else "points" if a.points is not None else "polygon"
    pts = area_points(a)
    out = {"kind": kind, "points": [[float(p[0]), float(p[1])] for p in pts[:2000]], "n_points": int(len(pts))}
    if a.polygon is not None:
        out["polygon"] = [[float(p[0]), float(p[1])] for p in a.polygon]
    return out


def scenario_summary(s) -> dict:
    """What the globe draws of a scenario before any run: sites, radars with range and coverage ring
    (targets at 300 km, ``export.model.coverage_ring``), early warning, launch and aim areas, threats."""
    from ..export.model import coverage_ring
    from ..report.data import radars
    from ..scenario import expand

    rs = _empty_results(s, Path("."))
    sites: dict = {}
    for sp, it, n in rs.defence():
        d = sites.setdefault(sp.name, {"name": sp.name, "lat": sp.lat_deg, "lon": sp.lon_deg, "alt_m": sp.alt_m,
                                       "radar": None if sp.radar is None else sp.radar.name, "interceptors": {}})
        d["interceptors"][it.name] = n
    rads = []
    for r in radars(rs):
        c = coverage_ring(r, rcs_m2=rs.timeline().rcs_m2)
        rads.append({"name": r.name, "lat": r.lat_deg, "lon": r.lon_deg, "alt_m": r.alt_m, "range_km": r.range_km,
                     "coverage_target_alt_km": c.target_alt_km, "coverage_ground_range_km": c.ground_range_km,
                     "coverage_ring": [[round(float(a), 5), round(float(b), 5)] for a, b in c.ring_latlon]})
    return {"name": s.name, "description": s.description, "sites": list(sites.values()), "radars": rads,
            "early_warning": s.sensors.early_warning, "timeline_mode": s.timeline.mode,
            "tiers": expand.tiers(s), "areas": {k: _area(a) for k, a in s.areas.items()},
            "threats": [{"missile": t.missile, "launch": t.launch, "aim": t.aim, "shapes": list(t.shapes),
                         "launch_times_s": list(t.launch_times_s)} for t in s.threats],
            "threat_cases": len(expand.threat_cases(s)), "draws": s.uncertainty.draws}
