"""What reports and exports draw, rebuilt from a results directory.

A results directory holds one row per (threat case, site, interceptor, draw) but no trajectory
samples. The scenario (found through the provenance's scenario path or shipped name, and checked
against its hash) is expanded again and the nominal threat flights are flown again with the
assessment's own settings (``flight.newton.aim`` steering, 1 s samples, rtol 1e-10), so every
picture shows the trajectories the verdicts were computed on. A selected pair's engagement is
recomputed with the nominal timeline (draw 0) to give the detection, track and launch times the
results do not store, and the interceptor's fly-out path (``defence.flyout_path``) is flown to the
first intercept point.

Pair ids: ``CASE:SITE`` (``CASE:SITE:INTERCEPTOR`` when a site has several interceptor types),
CASE the threat case number of the results' ``case_id`` column.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..errors import BmdcheckError

REASON_TEXT = {
    "feasible": "an intercept is possible",
    "below_min_altitude": "the threat never flies high enough for this interceptor's lowest intercept altitude",
    "above_max_altitude": ("the threat flies above this interceptor's highest intercept altitude wherever it is in "
                           "reach"),
    "out_of_reach": "the interceptor cannot reach any point of the threat's path within its altitude band",
    "beyond_max_flight_time": "the interceptor could reach the threat's path only after its maximum flight time",
    "no_track_in_time": "the sensors do not detect and track the threat early enough to launch in time",
    "tracked_too_late": "the radar track comes too late: launched then, the interceptor can no longer meet the threat",
    "launch_too_late": ("launched on the timeline's cue, the interceptor can no longer meet the threat anywhere in "
                        "reach"),
    "never_tracked": "no sensor of the timeline ever holds a track on the threat, so nothing is launched",
    "target_outruns_interceptor": ("the closing speed is below the interceptor's minimum wherever it could meet the "
                                   "threat"),
    "not_visible_to_engagement_radar": ("the engagement radar does not see the threat where the interceptor could meet "
                                        "it"),
    "threat_not_flown": "the threat trajectory could not be flown (steering found no solution)",
}
"""Every reason code in words (docs/CONVENTIONS.md lists the codes)."""


def reason_rank(code: str) -> int:
    """How far a pair got through the checks (higher = further; feasible highest; -1 unknown)."""
    from ..defence.engagement import R_TRACK, REASON_CODE, TIMELINE_REASONS

    if code in REASON_CODE:
        return REASON_CODE[code]
    return R_TRACK if code in TIMELINE_REASONS.values() else -1


def reason_words(code: str) -> str:
    """The reason code in words, for a reader without the code table."""
    return REASON_TEXT.get(code, code.replace("_", " "))


@dataclass
class Track:
    """A sampled trajectory (threat or interceptor). Arrays (M,): t_s after the threat's launch,
    lat_deg, lon_deg, alt_m (geodetic, Earth-fixed), r_ecef_m (M, 3). ``t0_s``: the threat's launch
    time on the scenario clock (t_s + t0_s is the scenario time)."""

    id: str
    label: str
    kind: str  # "threat" | "interceptor"
    t_s: np.ndarray
    lat_deg: np.ndarray
    lon_deg: np.ndarray
    alt_m: np.ndarray
    r_ecef_m: np.ndarray
    t0_s: float = 0.0
    properties: dict = field(default_factory=dict)


@dataclass
class ResultSet:
    """A results directory: provenance, rows (a pyarrow Table), summary rows, and the scenario."""

    path: Path
    provenance: dict
    table: object
    summary: list
    scenario: object

    @property
    def name(self) -> str:
        return self.provenance.get("scenario_name") or self.path.name

    def nominal_rows(self, all_tiers: bool = False) -> list[dict]:
        """Rows of the nominal draw (draw 0); with sensor tiers, those of the first tier in the table
        (``tiers()[0]``) unless ``all_tiers``."""
        rows = [r for r in self.table.to_pylist() if r.get("draw", 0) == 0]
        if self.has_tiers() and not all_tiers:
            t0 = self.tier
            rows = [r for r in rows if r.get("tier") == t0]
        return rows

    @property
    def tier(self):
        """The sensor tier the figures show: the one matching the scenario's declared timeline mode
        (local -> local, launch/engage-on-remote -> remote, early-warning-only -> cue) when the results
        carry it, else the first tier in the results; None without tiers."""
        ts = self.tiers()
        if not ts:
            return None
        want = {"local": "local", "launch-on-remote": "remote", "engage-on-remote": "remote",
                "early-warning-only": "cue"}.get(self.scenario.timeline.mode)
        return want if want in ts else ts[0]

    def has_tiers(self) -> bool:
        """True when the rows carry more than one sensor tier (a single tier reads like untiered results)."""
        return "tier" in self.table.column_names and len(set(self.table.column("tier").to_pylist())) > 1

    def tiers(self) -> list:
        """Sensor tier values in order of first appearance (empty without a ``tier`` column; a
        results folder without tier rows gives [])."""
        if not self.has_tiers():
            return []
        return list(dict.fromkeys(self.table.column("tier").to_pylist()))

    def pair_id(self, row: dict) -> str:
        multi = self._multi_interceptor_sites()
        pid = f"{row['case_id']}:{row['site']}"
        return pid + f":{row['interceptor']}" if row["site"] in multi else pid

    def _multi_interceptor_sites(self) -> set:
        seen: dict = {}
        for sp, it, _ in self.defence():
            seen.setdefault(sp.name, set()).add(it.name)
        return {k for k, v in seen.items() if len(v) > 1}

    def pair_ids(self) -> list[str]:
        return [self.pair_id(r) for r in self.nominal_rows()]

    def row_for(self, pair_id: str) -> dict:
        """The nominal row of a pair id; BmdcheckError naming valid ids when unknown."""
        parts = str(pair_id).split(":")
        rows = self.nominal_rows()
        if len(parts) in (2, 3) and parts[0].strip().isdigit():
            case, site = int(parts[0]), parts[1]
            hit = [r for r in rows if r["case_id"] == case and r["site"] == site
                   and (len(parts) == 2 or r["interceptor"] == parts[2])]
            if len(hit) == 1 or (hit and len(parts) == 3):
                return hit[0]
        example = self.pair_id(rows[0]) if rows else "0:SITE"
        raise BmdcheckError(f"unknown pair id {pair_id!r} in {self.path} (pair ids are CASE:SITE[:INTERCEPTOR], "
                            f"e.g. {example})")

    def cases(self):
        from ..scenario import expand

        return expand.threat_cases(self.scenario)

    def defence(self):
        from ..scenario import expand

        return expand.defence_specs(self.scenario)

    def timeline(self):
        """The nominal (draw 0) timeline of the shown tier, as the assessment used it (results of one
        tier read as untiered, but were run on that tier's timeline: it is used too)."""
        from ..scenario import expand

        tier = self.tier
        if tier is None and "tier" in self.table.column_names and self.table.num_rows:
            tier = self.table.column("tier")[0].as_py() or None
        tl = expand.timeline_spec(self.scenario, tier) if tier else expand.timeline_spec(self.scenario)
        d0 = expand.draws(self.scenario)[0]
        return replace(tl, decision_delay_s=float(d0["decision_delay_s"]))


def _scenario_for(prov: dict, where: Path):
    from ..scenario.load import load_scenario, scenario_hash, shipped_scenarios

    want = prov.get("scenario_hash")
    tried = []
    cands = []
    if prov.get("scenario"):  # as given to assess: absolute, or relative to where it ran
        sp = Path(prov["scenario"])
        cands += [sp] if sp.is_absolute() else [sp, where.parent / sp, where.parent.parent / sp]
    name = prov.get("scenario_name")
    if name and name in shipped_scenarios():
        cands.append(shipped_scenarios()[name])
    for c in cands:
        if not c.is_file():
            tried.append(f"{c} (missing)")
            continue
        s = load_scenario(c)
        if prov.get("draws") and s.uncertainty.draws != prov["draws"]:  # assessed with --draws N
            s = s.model_copy(update={"uncertainty": s.uncertainty.model_copy(update={"draws": int(prov["draws"])})})
        if want is None or scenario_hash(s) == want:
            return s
        tried.append(f"{c} (changed since the assessment: hash differs)")
    raise BmdcheckError(f"{where}: cannot find the assessed scenario to redraw its trajectories; tried "
                        f"{', '.join(tried) or 'nothing (provenance.json names no scenario)'}")


def load_results(path) -> ResultSet:
    """Read a results directory written by ``bmdcheck assess`` (through ``assess.read_results``);
    one-line BmdcheckError when it is missing, unfinished or corrupt, or when its scenario cannot be
    found unchanged."""
    from ..assess import read_results

    p = Path(path)
    if not p.is_dir():
        raise BmdcheckError(f"results directory not found: {p}")
    res = read_results(p)
    try:
        table = res.table
    except Exception as e:  # noqa: BLE001  (pyarrow's errors on a damaged file)
        raise BmdcheckError(f"{p}: corrupt results folder ({type(e).__name__})") from None
    need = {"case_id", "site", "interceptor", "feasible", "reason", "missile"}
    missing = need - set(table.column_names)
    if missing:
        raise BmdcheckError(f"{p}: corrupt results (missing columns {', '.join(sorted(missing))})")
    return ResultSet(p, res.provenance, table, res.summary, _scenario_for(res.provenance, p))


# ---- trajectories -------------------------------------------------------------------------------

def _fly_cases(cases: list, ids: list[int]):
    """{case id: (FlightBatch, index)} for the given threat cases, flown as the assessment does."""
    from ..flight.missile import get_missile
    from ..flight.newton import aim as aim_steering

    out = {}
    groups: dict = {}
    for ci in ids:
        c = cases[ci]
        groups.setdefault((c.missile, c.shape), []).append(ci)
    for (mname, shape), items in groups.items():
        m = get_missile(mname)
        arr = lambda k: np.array([getattr(cases[ci], k) for ci in items])  # noqa: E731
        st = aim_steering(m, arr("launch_lat"), arr("launch_lon"), arr("aim_lat"), arr("aim_lon"), shape,
                          sample_interval_s=1.0)  # the verifying flights: 1 s samples, rtol 1e-10
        ok = np.nonzero(st.ok)[0]
        if ok.size:
            b = st.flights
            for j, k in enumerate(ok):
                out[items[k]] = (b, j)
    return out


def threat_tracks(rs: ResultSet, case_ids=None) -> dict[int, Track]:
    """Nominal threat trajectories {case id: Track}, flown again as the assessment flew them."""
    from ..earth.frames import eci_to_ecef
    from ..flight.trajectory import trajectory_from_batch

    cases = rs.cases()
    ids = sorted(set(range(len(cases)) if case_ids is None else (int(c) for c in case_ids)))
    bad = [c for c in ids if not 0 <= c < len(cases)]
    if bad:
        raise BmdcheckError(f"{rs.path}: no threat case {bad[0]} (the scenario has {len(cases)})")
    eng = {}
    for r in rs.nominal_rows():
        eng[r["case_id"]] = eng.get(r["case_id"], False) or bool(r["feasible"])
    flown = _fly_cases(cases, ids)
    out = {}
    for ci, (b, j) in flown.items():
        s = trajectory_from_batch(b, j).samples
        c = cases[ci]
        out[ci] = Track(f"threat-{ci}", f"{c.missile} {c.launch_area}→{c.aim_area} #{ci}", "threat", s.t_s,
                        s.lat_deg, s.lon_deg, s.alt_km * 1e3, eci_to_ecef(s.r_eci_m, s.t_s, b.earth), c.launch_time_s,
                        {"case_id": ci, "missile": c.missile, "shape": c.shape, "launch_area": c.launch_area,
                         "aim_area": c.aim_area, "feasible": bool(eng.get(ci, False))})
    return out


@dataclass
class PairDetail:
    """One (threat, site, interceptor) pair: the results row, the recomputed engagement record
    (``bmdcheck engage --json`` fields), the threat track, the interceptor path (None when no
    intercept), the site and interceptor specs and the radar shown."""

    pair_id: str
    row: dict
    record: dict
    threat: Track
    interceptor: Track | None
    site: object
    spec: object
    note: str = ""
    radar_visible: dict = field(default_factory=dict)  # radar name -> (M,) bool over the threat's samples


def interceptor_track(spec, site, record: dict, pair_id: str, t0_s: float = 0.0) -> Track | None:
    """The interceptor's fly-out path to the first intercept point of an engagement record."""
    from ..defence.flyout_path import flyout_path

    p = record.get("intercept_first")
    if not record.get("feasible") or not p or record.get("first_s") is None:
        return None
    path = flyout_path(spec, site.lat_deg, site.lon_deg, p["lat"], p["lon"], p["alt_km"] * 1e3, record["first_s"])
    return Track(f"interceptor-{pair_id}", f"{spec.name} from {site.name}", "interceptor", path.t_s, path.lat_deg,
                 path.lon_deg, path.alt_m, path.r_ecef_m, t0_s,
                 {"interceptor": spec.name, "site": site.name, "flight_time_s": path.flight_time_s,
                  "launch_s": path.t_launch_s, "steering": path.steering, "miss_m": path.miss_m})


def pair_detail(rs: ResultSet, pair_id: str, tracks: dict | None = None) -> PairDetail:
    """Recompute one pair's nominal engagement and fly its interceptor path (module docstring)."""
    from ..defence.engage import engage_threats
    from ..defence.engagement import Threats

    row = rs.row_for(pair_id)
    ci = int(row["case_id"])
    spec = next(((sp, it) for sp, it, _ in rs.defence() if sp.name == row["site"] and it.name == row["interceptor"]),
                None)
    if spec is None:
        raise BmdcheckError(f"{rs.path}: site {row['site']} with {row['interceptor']} is not in the scenario")
    sp, it = spec
    flown = _fly_cases(rs.cases(), [ci])
    tr = (tracks or {}).get(ci) or threat_tracks(rs, [ci]).get(ci)
    if ci not in flown or tr is None:
        rec = {"feasible": False, "reason": "threat_not_flown", "first_s": None, "last_s": None,
               "timeline": {"mode": None, "detect_s": None, "track_s": None, "launch_s": None}}
        return PairDetail(pair_id, row, rec, tr, None, sp, it, "the threat could not be flown")
    b, j = flown[ci]
    k = int(b.n_samples[j])
    th = Threats(b.t_s[j:j + 1, :k].copy(), b.r_eci_m[j:j + 1, :k].copy(), b.v_eci_mps[j:j + 1, :k].copy(),
                 np.array([k]), b.earth)
    tl = rs.timeline()
    rec = engage_threats(th, [sp], [it], tl).record(0)
    vis = radar_coverage_of(tr, [r for r in (sp.radar, tl.remote_radar) if r is not None], tl.rcs_m2)
    note = ""
    if bool(rec["feasible"]) != bool(row["feasible"]) or (
            rec["first_s"] is not None and row.get("first_s") is not None and not math.isnan(row["first_s"])
            and abs(rec["first_s"] - row["first_s"]) > 1.0):
        note = "recomputed engagement differs from the results row (results from another code version?)"
    try:
        itr = interceptor_track(it, sp, rec, pair_id, tr.t0_s)
    except BmdcheckError as e:  # the picture lacks the path; the verdict stands (the table's reach)
        itr = None
        note = (note + "; " if note else "") + f"fly-out path not drawn ({e})"
    return PairDetail(pair_id, row, rec, tr, itr, sp, it, note, vis)


def radar_coverage_of(track: Track, radar_list, rcs_m2: float) -> dict:
    """{radar name: which samples of a track the radar sees} (detection range for ``rcs_m2``,
    elevation mask, azimuth sector; ``defence.coverage.radar_visibility``)."""
    from ..defence.coverage import radar_visibility
    from ..earth.frames import ecef_to_eci
    from ..earth.model import EarthModel

    out = {}
    r_eci = ecef_to_eci(track.r_ecef_m, track.t_s, EarthModel())
    for r in radar_list:
        if r.name in out:
            continue
        out[r.name] = radar_visibility(track.t_s, r_eci, None, r.lat_deg, r.lon_deg, r.alt_m,
                                       r.detection_range_m(rcs_m2), r.elevation_mask_deg, r.max_elevation_deg,
                                       r.azimuth_min_deg, r.azimuth_max_deg)
    return out


def default_pairs(rs: ResultSet, limit: int = 4) -> list[str]:
    """Pairs worth a diagram: per site the earliest feasible intercept, then the infeasible pair that
    got furthest through the checks (highest reason code), up to ``limit``."""
    rows = rs.nominal_rows()
    feas = sorted((r for r in rows if r["feasible"]), key=lambda r: (r["first_s"], r["case_id"]))
    out, sites = [], set()
    for r in feas:
        if r["site"] not in sites:
            sites.add(r["site"])
            out.append(rs.pair_id(r))
    rest = sorted((r for r in rows if not r["feasible"] and r["reason"] != "threat_not_flown"),
                  key=lambda r: (-reason_rank(r["reason"]), r["case_id"], r["site"]))
    seen_reason = set()
    for r in rest:
        if r["reason"] not in seen_reason:
            seen_reason.add(r["reason"])
            out.append(rs.pair_id(r))
    keep = out[:max(1, limit - 1)] if feas else []
    for pid in out:  # always show at least one infeasible pair when there is one
        if pid not in keep and len(keep) < limit:
            keep.append(pid)
    return keep[:limit]


# ---- footprints ---------------------------------------------------------------------------------

def reach_range_m(spec, alt_m: float) -> float:
    """Largest ground range (m) at which the interceptor reaches altitude ``alt_m`` within its
    flight-time limit, from its fly-out table (0 when it cannot reach that altitude)."""
    tab = spec.table()
    j = int(round(alt_m / tab.dh_m))
    if j < 0 or j >= tab.t_s.shape[1]:
        return 0.0
    ok = np.nonzero(np.isfinite(tab.t_s[:, j]))[0]
    return float(ok.max() * tab.dr_m) if ok.size else 0.0


def radar_ground_range_m(radar, target_alt_m: float, rcs_m2: float, radius_m: float = 6_371_000.0) -> float:
    """Ground range (m, arc on a sphere of ``radius_m``) out to which a target at ``target_alt_m``
    is inside the radar's detection range (for RCS ``rcs_m2``) and above its elevation mask.

    Slant range ρ² = a² + b² − 2ab cos θ and sin(elevation) = (b cos θ − a) / ρ for the radar at
    radius a and the target at radius b, central angle θ; the largest θ meeting both limits.
    """
    a = radius_m + radar.alt_m
    b = radius_m + target_alt_m
    th = np.linspace(0.0, math.pi / 2, 20_001)
    rho = np.sqrt(a * a + b * b - 2 * a * b * np.cos(th))
    with np.errstate(invalid="ignore", divide="ignore"):
        sin_el = np.where(rho > 0, (b * np.cos(th) - a) / rho, 1.0)
    ok = (rho <= radar.detection_range_m(rcs_m2)) & (sin_el >= math.sin(math.radians(radar.elevation_mask_deg)))
    if not ok.any():
        return 0.0
    return float(th[np.nonzero(ok)[0].max()] * radius_m)


def radars(rs: ResultSet) -> list:
    """Radars of the scenario: each site's own, then the remote radars (unique by name)."""
    from ..defence.sensors import get_radar

    out, seen = [], set()
    for sp, _, _ in rs.defence():
        if sp.radar is not None and sp.radar.name not in seen:
            seen.add(sp.radar.name)
            out.append(sp.radar)
    s = rs.scenario
    names = list(s.sensors.remote_radars) + ([s.timeline.remote_radar] if s.timeline.remote_radar else [])
    for n in names:
        if n not in seen:
            seen.add(n)
            out.append(get_radar(n))
    return out
