"""The friendly engagement layer: interceptor + site + sensors + timeline -> intercept windows.

    >>> import bmdcheck as bc
    >>> w = bc.engage("topol-m", (54.04, 35.77), (38.90, -77.04), site="aegis-ashore-deveselu")
    >>> w.feasible, w.reason
    (False, 'out_of_reach')

Everything here checks inputs once and calls the compiled kernels in ``engagement`` (windows),
``coverage`` (radar visibility and track times) and ``flyout`` (interceptor reach).
"""

from __future__ import annotations

import math
import tomllib
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources

import numpy as np

from ..errors import BmdcheckError
from ..flight.missile import Missile
from . import coverage
from ..earth.constants import GM_M3_S2
from ..earth.frames import geodetic_to_ecef
from .engagement import (R_TRACK, REASON_NAMES, TIMELINE_REASONS, PairSpec, Threats, Windows,  # noqa: F401
                         pairs_record, prepare, solve_windows, table_reach, windows_from)
from .flyout import FlyoutTable, RotatingTable, _booster_cached, build_table, rotating_table_for, table_for
from .lambert_engage import LambertReach, lambert_kernel, sub_fields
from .windows import C_AUX, N_COLS, N_OUT
from .rcs import RcsModel

MODES = ("local", "launch-on-remote", "engage-on-remote", "early-warning-only")
TIERS = ("local", "remote", "cue")
"""Sensor architecture tiers (docs/design/engagement.md, "Sensor tiers"): ``local`` the site's own
radar tracks and sees the intercept; ``remote`` engage on remote from the best allied radar declared
(the site's own radar, or a remote radar with ``network_latency_s`` added to its track time);
``cue`` launch on the early-warning cue + decision delay, no radar constraint (the kinematic bound)."""


def check_tier(tier: str) -> str:
    """The tier name, or a one-line BmdcheckError naming the valid ones."""
    if tier not in TIERS:
        raise BmdcheckError(f"unknown sensor tier {tier!r}; expected one of: {', '.join(TIERS)}")
    return tier


@lru_cache(maxsize=1)
def timeline_defaults() -> dict:
    """Default timeline assumptions with their sources (data/timeline.toml)."""
    return tomllib.loads(resources.files("bmdcheck.data").joinpath("timeline.toml").read_text())


def _default(key: str) -> float:
    return float(timeline_defaults()[key]["value"])


@dataclass(frozen=True)
class InterceptorSpec:
    """What the engagement solver needs of an interceptor (SI units)."""

    name: str
    burnout_speed_mps: float | None
    burn_time_s: float
    min_alt_m: float
    max_alt_m: float
    min_flight_time_s: float = 0.0
    max_flight_time_s: float = 1800.0
    min_closing_mps: float = 0.0
    booster: Missile | None = None

    def __post_init__(self):
        if not (0 <= self.min_alt_m < self.max_alt_m):
            raise BmdcheckError(f"interceptor {self.name}: altitude band must have 0 <= min < max, got "
                                f"{self.min_alt_m / 1e3:g}, {self.max_alt_m / 1e3:g} km")
        if not (self.max_flight_time_s > 0 and self.min_flight_time_s >= 0
                and self.min_flight_time_s < self.max_flight_time_s):
            raise BmdcheckError(f"interceptor {self.name}: need 0 <= min flight time < max flight time")
        if not (self.min_closing_mps >= 0):
            raise BmdcheckError(f"interceptor {self.name}: minimum closing speed must be >= 0")
        if self.booster is None and not (self.burnout_speed_mps and self.burnout_speed_mps > 0):
            raise BmdcheckError(f"interceptor {self.name}: give a burnout speed or stages")
        if not (self.burn_time_s > 0 and math.isfinite(self.burn_time_s)):
            raise BmdcheckError(f"interceptor {self.name}: burn time must be a positive number of seconds")

    @classmethod
    def from_catalogue(cls, it) -> "InterceptorSpec":
        return cls(it.name, it.burnout_speed_mps, it.burn_time_s if it.burn_time_s else
                   (it.booster.burn_end_s if it.booster else 60.0),
                   it.min_intercept_alt_km * 1e3, it.max_intercept_alt_km * 1e3, it.min_flight_time_s,
                   it.max_flight_time_s, it.min_closing_speed_mps, it.booster)

    def with_burnout_speed(self, v_mps: float) -> "InterceptorSpec":
        """The same interceptor with another burnout speed (booster rebuilt from the speed)."""
        return replace(self, burnout_speed_mps=float(v_mps), booster=None)

    def table(self) -> FlyoutTable:
        if self.booster is not None:
            return _staged_table(self.booster, self.max_flight_time_s)
        return table_for(float(self.burnout_speed_mps), float(self.burn_time_s), float(self.max_flight_time_s))

    def rotating_table(self, lat_deg: float) -> RotatingTable:
        """The fly-out table on the rotating Earth for a site at ``lat_deg`` (flyout.RotatingTable)."""
        m = self.booster if self.booster is not None else _booster_cached(
            float(self.burnout_speed_mps), float(self.burn_time_s), 50.0, 270.0)
        return rotating_table_for(m, float(self.max_flight_time_s), float(lat_deg))


@lru_cache(maxsize=32)
def _staged_table(booster: Missile, max_tof: float) -> FlyoutTable:
    return build_table(booster, max_tof, booster.name)


@dataclass(frozen=True)
class SiteSpec:
    """An interceptor launch point and (optionally) its own radar."""

    name: str
    lat_deg: float
    lon_deg: float
    alt_m: float = 0.0
    radar: object | None = None  # a sensors.Radar

    def __post_init__(self):
        if not (math.isfinite(self.lat_deg) and abs(self.lat_deg) <= 90):
            raise BmdcheckError(f"site {self.name}: latitude must be within [-90, 90] degrees")
        if not (math.isfinite(self.lon_deg) and abs(self.lon_deg) <= 360):
            raise BmdcheckError(f"site {self.name}: longitude must be within [-180, 360] degrees")
        if not (math.isfinite(self.alt_m) and self.alt_m >= 0):
            raise BmdcheckError(f"site {self.name}: a site below the ground (altitude {self.alt_m / 1e3:g} km) "
                                f"is not valid")


@dataclass(frozen=True)
class TimelineSpec:
    """Detection -> track -> decision -> launch. Every delay is a parameter (seconds).

    mode: "local" (the site's own radar tracks and sees the intercept), "launch-on-remote" (a remote
    radar's track launches, the site's radar sees the intercept), "engage-on-remote" (the remote
    radar does both), "early-warning-only" (launch on satellite detection + decision delay: no radar).
    launch_at_s fixes the launch time instead of the sensor timeline.
    """

    mode: str = "local"
    early_warning: object | None = None  # sensors.EarlyWarning
    remote_radar: object | None = None  # sensors.Radar
    decision_delay_s: float = field(default_factory=lambda: _default("decision_delay_s"))
    rcs_m2: float = field(default_factory=lambda: _default("rcs_m2"))
    kill_assessment_s: float = field(default_factory=lambda: _default("kill_assessment_s"))
    launch_at_s: float | None = None
    tier: str | None = None
    remote_radars: tuple = ()  # sensors.Radar candidates of the remote tier (besides the site's own)
    network_latency_s: float = field(default_factory=lambda: _default("network_latency_s"))
    rcs_model: RcsModel | None = None
    rcs_scale: float = 1.0

    def __post_init__(self):
        if self.mode not in MODES:
            raise BmdcheckError(f"timeline mode must be one of {', '.join(MODES)}, got {self.mode!r}")
        if self.tier is not None:
            check_tier(self.tier)
        object.__setattr__(self, "remote_radars", tuple(self.remote_radars))
        if not (math.isfinite(self.rcs_scale) and self.rcs_scale > 0):
            raise BmdcheckError(f"radar cross-section scale must be positive, got {self.rcs_scale}")
        for k in ("decision_delay_s", "kill_assessment_s", "network_latency_s"):
            v = getattr(self, k)
            if not (math.isfinite(v) and v >= 0):
                raise BmdcheckError(f"{k.replace('_', ' ')} must be >= 0 seconds, got {v}")
        if not (self.rcs_m2 > 0 and math.isfinite(self.rcs_m2)):
            raise BmdcheckError(f"radar cross-section must be positive, got {self.rcs_m2}")
        if self.launch_at_s is not None and not (math.isfinite(self.launch_at_s) and self.launch_at_s >= 0):
            raise BmdcheckError(f"launch time must be a non-negative number of seconds, got {self.launch_at_s}")
        if self.mode in ("launch-on-remote", "engage-on-remote") and self.remote_radar is None and self.tier is None:
            raise BmdcheckError(f"timeline mode {self.mode} needs a remote radar")
        _sensor_objects(self)
        if self.mode == "early-warning-only" and self.tier is None and self.early_warning is None and self.launch_at_s is None:
            raise BmdcheckError("timeline mode early-warning-only needs an early-warning system", param="early_warning")

    @property
    def remote_candidates(self) -> tuple:
        """The remote radars of the ``remote`` tier: ``remote_radars``, else ``remote_radar``."""
        if self.remote_radars:
            return self.remote_radars
        return (self.remote_radar,) if self.remote_radar is not None else ()

    def warnings(self) -> list[str]:
        """Inconsistent inputs that are not errors (docs/CONVENTIONS.md, ``warnings``)."""
        out = []
        if self.tier is None and self.remote_radar is not None and self.mode not in ("launch-on-remote",
                                                                                    "engage-on-remote"):
            out.append(f"remote radar {self.remote_radar.name} is given but the timeline mode is {self.mode}: "
                       f"it is not used (use mode launch-on-remote / engage-on-remote, or tier remote)")
        if self.tier is not None and self.tier != "remote" and (self.remote_radars or self.remote_radar is not None):
            out.append(f"remote radars are given but the tier is {self.tier}: they are not used")
        if self.tier == "cue" and self.early_warning is None:
            out.append("tier cue without an early-warning system: no cue, so no launch")
        return out


def _sensor_objects(tl: "TimelineSpec") -> None:
    """Radar and early-warning names (catalogue) replaced by the objects; anything else refused."""
    from .sensors import EarlyWarning, Radar, get_early_warning, get_radar

    def radar(x):
        return get_radar(x) if isinstance(x, str) else x

    if isinstance(tl.early_warning, str):
        object.__setattr__(tl, "early_warning", get_early_warning(tl.early_warning))
    object.__setattr__(tl, "remote_radar", radar(tl.remote_radar))
    object.__setattr__(tl, "remote_radars", tuple(radar(r) for r in tl.remote_radars))
    for k, v, cls in (("early_warning", tl.early_warning, EarlyWarning), ("remote_radar", tl.remote_radar, Radar)):
        if v is not None and not isinstance(v, cls):
            raise BmdcheckError(f"expected a catalogue name or a {cls.__name__}, got {type(v).__name__}", param=k)
    if any(not isinstance(r, Radar) for r in tl.remote_radars):
        raise BmdcheckError("expected catalogue names or Radar objects", param="remote_radars")


def as_specs(sites, interceptors) -> tuple[list, list]:
    """Sites and interceptors as specs: catalogue ``Site`` / ``Interceptor`` objects (or names)
    accepted beside ``SiteSpec`` / ``InterceptorSpec``."""
    from .interceptor import Interceptor, get_interceptor
    from .sensors import get_radar
    from .sites import Site, get_site

    def site(s):
        s = get_site(s) if isinstance(s, str) else s
        if isinstance(s, Site):
            return SiteSpec(s.name, s.lat_deg, s.lon_deg, s.alt_m, get_radar(s.radar) if s.radar else None)
        if not isinstance(s, SiteSpec):
            raise BmdcheckError(f"expected a site name, Site or SiteSpec, got {type(s).__name__}", param="sites")
        return s

    def interceptor(i):
        i = get_interceptor(i) if isinstance(i, str) else i
        if isinstance(i, Interceptor):
            return InterceptorSpec.from_catalogue(i)
        if not isinstance(i, InterceptorSpec):
            raise BmdcheckError(f"expected an interceptor name, Interceptor or InterceptorSpec, got "
                                f"{type(i).__name__}", param="interceptors")
        return i

    return [site(s) for s in sites], [interceptor(i) for i in interceptors]


@dataclass
class Engagement:
    """Windows for every (threat, site) pair, with the timeline that produced them."""

    windows: Windows
    pairs: list  # (threat index, site name, interceptor name)
    t_detect_s: np.ndarray
    t_track_s: np.ndarray
    t_launch_s: np.ndarray
    mode: list
    flyout: str
    basis: list = None  # per pair: "track" | "cue" | "fixed" | "none" (TIMELINE_REASONS)
    sensor: list = None  # per pair: the radar (or early-warning system) that launches, "" if none
    tier: str | None = None
    warnings: list = field(default_factory=list)

    def diagnosis(self, p: int) -> dict:
        """Launch slack and binding constraint of pair p (docs/CONVENTIONS.md, ``diagnostics``).

        ``latest_launch_s``: the latest interceptor launch at which some intercept passes every
        check but the timeline (sample resolution); ``launch_s``: the launch the timeline allows;
        ``launch_slack_s`` = latest − launch (>= 0 for a feasible pair: how much later it could have
        launched; < 0: how much too late the launch came); ``binding``: the constraint that decides.
        """
        w = self.windows
        num = lambda x: None if x is None or not np.isfinite(x) else float(x)  # noqa: E731
        latest, tl = num(w.latest_launch_s[p]), num(self.t_launch_s[p])
        slack = None if latest is None or tl is None else latest - tl
        r = w.reason[p]
        basis = self.basis[p] if self.basis else "track"
        if r == "feasible":
            binding = "timeline" if slack is not None else "none"
            text = (f"feasible; the interceptor could launch {slack:,.0f} s later and still intercept"
                    if slack is not None else "feasible")
        elif r == "never_tracked":
            binding = "track"
            text = ("no sensor of the timeline ever holds a track, so no launch; the latest launch that would "
                    f"still have worked is {latest:,.0f} s after threat launch" if latest is not None else
                    "no sensor of the timeline ever holds a track")
        elif r in ("tracked_too_late", "launch_too_late"):
            binding = "track" if r == "tracked_too_late" else ("cue" if basis == "cue" else "fixed launch")
            what = {"track": "the track", "cue": "the cue", "fixed launch": "the fixed launch"}[binding]
            text = (f"{what} comes {-slack:,.0f} s too late: launch at {tl:,.0f} s, the latest that would "
                    f"still have worked is {latest:,.0f} s" if slack is not None else f"{what} comes too late")
        else:
            binding = {"below_min_altitude": "altitude", "above_max_altitude": "altitude",
                       "out_of_reach": "reach", "beyond_max_flight_time": "flight time",
                       "target_outruns_interceptor": "closing speed",
                       "not_visible_to_engagement_radar": "engagement radar"}.get(r, r)
            text = f"no intercept passes the {binding} check"
        return {"latest_launch_s": latest, "launch_s": tl, "launch_slack_s": slack, "binding": binding,
                "text": text}

    def record(self, p: int) -> dict:
        """Pair p as the JSON document of ``bmdcheck engage --json``."""
        w = self.windows
        num = lambda x: None if x is None or not np.isfinite(x) else float(x)  # noqa: E731
        pt = lambda a: None if not np.all(np.isfinite(a)) else {"lat": float(a[0]), "lon": float(a[1]),  # noqa: E731
                                                                  "alt_km": float(a[2])}
        ti, site, itc = self.pairs[p]
        return {
            "feasible": bool(w.feasible[p]), "reason": w.reason[p], "first_s": num(w.first_s[p]),
            "last_s": num(w.last_s[p]), "intercept_first": pt(w.point_first[p]), "intercept_last": pt(w.point_last[p]),
            "flight_time_first_s": num(w.tof_first_s[p]), "flight_time_last_s": num(w.tof_last_s[p]),
            "closing_speed_first_mps": num(w.closing_first_mps[p]), "closing_speed_last_mps": num(w.closing_last_mps[p]),
            "shots": int(w.shots[p]), "feasible_duration_s": num(w.duration_s[p]),
            "timeline": {"mode": self.mode[p], "detect_s": num(self.t_detect_s[p]), "track_s": num(self.t_track_s[p]),
                         "launch_s": num(self.t_launch_s[p])},
            "site": site, "interceptor": itc, "threat": int(ti), "flyout": self.flyout,
            "tier": self.tier, "sensor": (self.sensor[p] or None) if self.sensor else None,
            "diagnostics": self.diagnosis(p), "warnings": list(self.warnings),
            **({"model": self.model[p]} if hasattr(self, "model") else {}),
        }

    @staticmethod
    def pick(engs: list["Engagement"], choice: np.ndarray, tier: str | None) -> "Engagement":
        """Per pair p the result of ``engs[choice[p]]`` (all over the same pairs)."""
        P = len(choice)
        ar = np.arange(P)
        W = [e.windows for e in engs]

        def stack(attr):
            return np.stack([getattr(w, attr) for w in W])[choice, ar]

        w = Windows(stack("feasible"), [W[c].reason[p] for p, c in enumerate(choice)], stack("first_s"),
                    stack("last_s"), stack("tof_first_s"), stack("tof_last_s"), stack("closing_first_mps"),
                    stack("closing_last_mps"), stack("shots"), stack("duration_s"), stack("point_first"),
                    stack("point_last"), stack("raw"))
        sel = lambda attr: np.stack([getattr(e, attr) for e in engs])[choice, ar]  # noqa: E731
        lst = lambda attr: [getattr(engs[c], attr)[p] for p, c in enumerate(choice)]  # noqa: E731
        out = Engagement(w, engs[0].pairs, sel("t_detect_s"), sel("t_track_s"), sel("t_launch_s"), lst("mode"),
                         engs[0].flyout, lst("basis"), lst("sensor"), tier,
                         list(dict.fromkeys(x for e in engs for x in e.warnings)))
        if all(hasattr(e, "min_dv_mps") for e in engs):
            out.min_dv_mps = sel("min_dv_mps")
        if all(hasattr(e, "model") for e in engs):
            out.model = lst("model")
        return out


def _radar_vis(threats: Threats, radar, tl: TimelineSpec) -> np.ndarray:
    """(N, M) visibility of the threat samples to ``radar``; detection range from the radar
    equation with the timeline's cross-section (``rcs_model`` by flight phase and the radar's band,
    else the constant ``rcs_m2``), times ``rcs_scale``."""
    def vis(max_range_m):
        return coverage.radar_visibility(threats.t_s, threats.r_eci_m, threats.n_samples, radar.lat_deg,
                                         radar.lon_deg, radar.alt_m, max_range_m, radar.elevation_mask_deg,
                                         radar.max_elevation_deg, radar.azimuth_min_deg, radar.azimuth_max_deg,
                                         threats.earth)

    if tl.rcs_model is None:
        return vis(radar.detection_range_m(tl.rcs_m2 * tl.rcs_scale))
    phase = tl.rcs_model.phase_of(threats.t_s, threats.burnout_s)
    out = np.zeros(threats.t_s.shape, dtype=np.bool_)
    done: dict = {}
    for k, ph in enumerate(tl.rcs_model.PHASES):
        m = phase == k
        if not m.any():
            continue
        rng = radar.detection_range_m(tl.rcs_model.rcs_m2(ph, radar.band) * tl.rcs_scale)
        if rng not in done:
            done[rng] = vis(rng)
        out |= done[rng] & m
    return out


def timeline_for(threats: Threats, site: SiteSpec, tl: TimelineSpec, fc_radar=None, latency_s: float = 0.0):
    """Per trajectory: (t_detect, t_track, t_launch, engagement-radar visibility or None, mode, basis).

    ``basis`` says what the launch rests on: "track" (a radar track), "cue" (the early-warning cue),
    "fixed" (``launch_at_s``) or "none" (no sensor of the timeline ever tracks: no launch). With a
    tier, ``fc_radar`` / ``latency_s`` give the remote tier's radar and its network latency.
    """
    n = len(threats)
    mode = tl.mode
    if tl.tier == "local":
        mode = "local"
    elif tl.tier == "cue":
        mode = "early-warning-only"
    elif tl.tier == "remote":
        mode = "engage-on-remote"
    elif mode == "local" and site.radar is None:
        mode = "early-warning-only"
    ew = np.inf
    if tl.early_warning is not None:
        ew = tl.early_warning.detect_after_s + tl.early_warning.report_delay_s
    t_detect = np.full(n, ew)
    vis_fc = vis_eng = None
    if tl.tier is None and mode in ("launch-on-remote", "engage-on-remote"):
        fc_radar = tl.remote_radar
    elif mode == "local":
        fc_radar = site.radar
    if mode == "local" and fc_radar is not None:
        vis_fc = vis_eng = _radar_vis(threats, fc_radar, tl)
    elif mode in ("launch-on-remote", "engage-on-remote") and fc_radar is not None:
        vis_fc = _radar_vis(threats, fc_radar, tl)
        if mode == "engage-on-remote":
            vis_eng = vis_fc
        elif site.radar is not None:
            vis_eng = _radar_vis(threats, site.radar, tl)
    if vis_fc is not None:
        first = coverage.first_visible_s(vis_fc, threats.t_s, threats.n_samples)
        t_detect = np.fmin(t_detect, first)
        t_track = coverage.track_time_s(vis_fc, threats.t_s, threats.n_samples, fc_radar.min_track_s)
        t_launch = np.maximum(t_detect, t_track) + latency_s + tl.decision_delay_s
        basis = "track"
    elif mode == "early-warning-only":
        t_track = np.full(n, np.nan)
        t_launch = t_detect + tl.decision_delay_s
        basis = "cue"
    else:  # a radar mode with no radar to track: never launched
        t_track = np.full(n, np.nan)
        t_launch = np.full(n, np.nan)
        basis = "track"
    t_launch = np.where(np.isfinite(t_launch), t_launch, np.nan)
    bases = np.where(np.isfinite(t_launch), basis, "none").astype(object)
    if tl.launch_at_s is not None:
        t_launch = np.full(n, float(tl.launch_at_s))
        bases = np.full(n, "fixed", dtype=object)
        mode = "fixed-launch" if vis_eng is None else mode
    return t_detect, t_track, t_launch, vis_eng, mode, list(bases)


@dataclass
class PairPlan:
    """Every (threat i, site k) pair, site-major (p = k·n + i), with the timeline that launches it.

    Per pair (P,): traj, site, t_launch_s, vis (index into vis_stack, -1 = no radar constraint),
    t_detect_s, t_track_s, and the (threat, site, interceptor) labels and timeline modes.
    """

    n: int
    traj: np.ndarray
    site: np.ndarray
    t_launch_s: np.ndarray
    vis: np.ndarray
    vis_stack: np.ndarray | None
    t_detect_s: np.ndarray
    t_track_s: np.ndarray
    pairs: list
    modes: list
    bases: list = None
    sensors: list = None
    tier: str | None = None
    warnings: list = field(default_factory=list)

    def per_site(self, values) -> np.ndarray:
        """Broadcast one value per site to every pair."""
        return np.repeat(np.asarray(values), self.n)

    def engagement(self, windows: Windows, flyout: str) -> Engagement:
        """The Engagement of these pairs: kernel code R_TRACK named after each pair's launch basis."""
        if self.bases is not None:
            for p, r in enumerate(windows.reason):
                if r == "tracked_too_late":
                    windows.reason[p] = TIMELINE_REASONS[self.bases[p]]
        return Engagement(windows, self.pairs, self.t_detect_s, self.t_track_s, self.t_launch_s, self.modes, flyout,
                          self.bases, self.sensors, self.tier, list(self.warnings))


def plan_pairs(threats: Threats, sites: list[SiteSpec], interceptors: list[InterceptorSpec],
               timeline: TimelineSpec, candidate: int = 0) -> PairPlan:
    """Run the sensor timeline of every site over the threats and lay out the pairs.

    Tier ``remote``: ``candidate`` 0 is each site's own radar (no latency), k >= 1 the remote radar
    ``timeline.remote_candidates[k - 1]`` (with ``network_latency_s``).
    """
    n = len(threats)
    tL, vis_i, td, tt, pairs, modes, vis_stack, bases, sensors = [], [], [], [], [], [], [], [], []
    for s, it in zip(sites, interceptors):
        fc, lat = None, 0.0
        if timeline.tier == "remote":
            fc, lat = ((s.radar, 0.0) if candidate == 0 else
                       (timeline.remote_candidates[candidate - 1], timeline.network_latency_s))
        d, trk, L, vis, mode, basis = timeline_for(threats, s, timeline, fc, lat)
        bases += basis
        if mode == "early-warning-only":
            name = timeline.early_warning.name if timeline.early_warning is not None else ""
        elif timeline.tier == "remote":
            name = fc.name if fc is not None else ""
        elif mode in ("launch-on-remote", "engage-on-remote"):
            name = timeline.remote_radar.name
        else:
            name = s.radar.name if s.radar is not None else ""
        sensors += [name] * n
        if vis is not None:
            vis_stack.append(vis)
        vis_i.append(np.full(n, len(vis_stack) - 1 if vis is not None else -1))
        tL.append(L)
        td.append(d)
        tt.append(trk)
        pairs += [(i, s.name, it.name) for i in range(n)]
        modes += [mode] * n
    k = len(sites)
    warnings = timeline.warnings()
    if timeline.launch_at_s is not None:
        td = np.concatenate(td)
        early = ~(td <= timeline.launch_at_s)
        if early.any():
            first = float(np.nanmin(np.where(np.isfinite(td), td, np.nan))) if np.isfinite(td).any() else math.inf
            when = "no sensor of the timeline ever detects it" if not math.isfinite(first) else \
                f"the earliest detection is at {first:,.0f} s"
            warnings.append(f"fixed launch at {timeline.launch_at_s:g} s comes before detection for "
                            f"{int(early.sum())} of {early.size} pairs ({when})")
        td = [td]
    return PairPlan(n, np.tile(np.arange(n), k), np.repeat(np.arange(k), n), np.concatenate(tL),
                    np.concatenate(vis_i), np.stack(vis_stack) if vis_stack else None, np.concatenate(td),
                    np.concatenate(tt), pairs, modes, bases, sensors, timeline.tier, warnings)


_RANK = {r: k for k, r in enumerate(REASON_NAMES)}


def best_of(engs: list[Engagement], tier: str | None) -> Engagement:
    """Per pair the best of several engagements of the same pairs: feasible first, then the earliest
    window, else the reason that got furthest (REASON_NAMES order), then the smallest lateness."""
    if len(engs) == 1:
        return engs[0]
    P = len(engs[0].windows.reason)
    key = np.empty((len(engs), P))
    for k, e in enumerate(engs):
        w = e.windows
        rank = np.array([_RANK[r] for r in w.reason], dtype=float)
        late = np.nan_to_num(e.t_launch_s - w.latest_launch_s, nan=1e12)
        first = np.nan_to_num(w.first_s, nan=1e12)
        # lexicographic: rank (higher better), then earlier first_s / smaller lateness (lower better)
        key[k] = rank * 1e14 - np.where(w.feasible, first, late).clip(-1e12, 1e12)
    return Engagement.pick(engs, np.argmax(key, axis=0), tier)


FLYOUTS = ("table", "lambert", "bound")
"""Reach models: the fly-out table, the Lambert (vacuum, impulsive) model, and ``bound``: per pair the
more capable of the table and the Lambert model with zero burn time (feasible if either is;
docs/design/engagement.md, "Which reach model to quote"): the model to quote for a verdict that a
defence cannot engage."""

IMPULSIVE_BURN_S = 1e-9
"""Burn time of the impulsive Lambert variant used by ``bound``, s (departure at the launch time)."""


def impulsive(it: InterceptorSpec) -> InterceptorSpec:
    """The interceptor with its burnout speed given at launch (zero burn time; a burnout speed is
    required: a staged booster without one uses its fly-out table's burnout speed)."""
    v = it.burnout_speed_mps or it.table().burnout_speed_mps
    return replace(it, burnout_speed_mps=float(v), burn_time_s=IMPULSIVE_BURN_S, booster=None)


ROTATING = True
"""Default of ``engage_threats(rotating=...)``: fly-out tables on the rotating Earth (per site latitude,
``flyout.RotatingTable``); False: the non-rotating table (the model ``defence.reference`` checks)."""


def engage_threats(threats: Threats, sites: list[SiteSpec], interceptors: list[InterceptorSpec],
                   timeline: TimelineSpec = None, flyout: str = "table", rotating: bool | None = None) -> Engagement:
    """Windows for every (threat, site) pair; sites[k] fires interceptors[k].

    ``flyout``: "table", "lambert", or "bound" (both; per pair the more capable result, with
    ``Engagement.model`` naming the model that gave it). ``rotating`` (default ``ROTATING``): the
    table model's fly-outs on the rotating Earth (the Lambert model always has the rotation).

    With ``timeline.tier == "remote"`` every candidate fire-control radar (each site's own, then
    each remote radar) is solved and each pair keeps its best (:func:`best_of`).
    """
    if timeline is None:
        timeline = TimelineSpec()
    sites, interceptors = as_specs(sites, interceptors)
    if len(sites) != len(interceptors):
        raise BmdcheckError("give one interceptor per site")
    if flyout not in FLYOUTS:
        raise BmdcheckError(f"flyout must be one of {', '.join(FLYOUTS)}, got {flyout!r}")
    rotating = ROTATING if rotating is None else bool(rotating)
    if flyout == "bound":
        engs = [engage_threats(threats, sites, interceptors, timeline, "table", rotating),
                engage_threats(threats, sites, [impulsive(it) for it in interceptors], timeline, "lambert")]
        for e, name in zip(engs, ("table", "lambert-impulsive")):
            e.model = [name] * len(e.windows.reason)
        out = best_of(engs, timeline.tier)
        out.flyout = "bound"
        return out
    if timeline.tier == "remote":
        cands = range(1 + len(timeline.remote_candidates))
        return best_of([_engage_one(threats, sites, interceptors, timeline, flyout, c, rotating) for c in cands],
                       "remote")
    return _engage_one(threats, sites, interceptors, timeline, flyout, 0, rotating)


def _pair_spec(plan: PairPlan, interceptors, timeline, table_of=None) -> PairSpec:
    """The per-pair limits of the interceptors and timeline, laid out as the plan's pairs."""
    ps = plan.per_site
    P = plan.traj.size
    return PairSpec(plan.traj, plan.site, ps(table_of) if table_of is not None else np.zeros(P, dtype=np.int64),
                    plan.t_launch_s, ps([it.min_alt_m for it in interceptors]), ps([it.max_alt_m for it in interceptors]),
                    ps([it.min_flight_time_s for it in interceptors]), ps([it.max_flight_time_s for it in interceptors]),
                    ps([it.min_closing_mps for it in interceptors]), np.full(P, timeline.kill_assessment_s), plan.vis)


def engage_lambert(threats, sites, interceptors, timeline, candidate: int = 0, pruned: bool = True) -> Engagement:
    """Engagement windows with the Lambert reach model (same inputs as :func:`engage_threats`);
    ``Engagement.min_dv_mps`` the smallest speed change per pair (exact wherever it is at most the
    burnout speed). ``pruned=False`` classifies every sample (the pruning's reference)."""
    for it in interceptors:
        if it.burnout_speed_mps is None:
            raise BmdcheckError(f"interceptor {it.name}: the Lambert model needs a burnout speed")
    geo = _geometry(threats)
    e = threats.earth
    plan = plan_pairs(threats, sites, interceptors, timeline, candidate)
    lla = np.array([[s.lat_deg, s.lon_deg, s.alt_m] for s in sites])
    lam = LambertReach(np.ascontiguousarray(geodetic_to_ecef(lla[:, 0], lla[:, 1], lla[:, 2], e)),
                       np.ascontiguousarray(plan.per_site([it.burnout_speed_mps for it in interceptors]), dtype=float),
                       np.ascontiguousarray(plan.per_site([it.burn_time_s for it in interceptors]), dtype=float),
                       float(e.omega_rad_s), float(GM_M3_S2), timeline.launch_at_s is not None, *sub_fields(geo.sub_chunks))
    prs = pairs_record(_pair_spec(plan, interceptors, timeline), plan.vis_stack)
    out = np.full((plan.traj.size, N_OUT), np.nan)
    lambert_kernel(lam, geo.samples(), prs, out, pruned)
    eng = plan.engagement(windows_from(out[:, :N_COLS], geo, plan.traj), "lambert")
    eng.min_dv_mps = out[:, C_AUX]
    return eng


def _engage_one(threats, sites, interceptors, timeline, flyout, candidate, rotating=True) -> Engagement:
    if flyout == "lambert":
        return engage_lambert(threats, sites, interceptors, timeline, candidate)
    tables, table_of = [], []
    seen: dict = {}
    for s, it in zip(sites, interceptors):  # one table per distinct interceptor (and site latitude)
        tb = it.rotating_table(s.lat_deg) if rotating else it.table()
        if id(tb) not in seen:
            seen[id(tb)] = len(tables)
            tables.append(tb)
        table_of.append(seen[id(tb)])
    plan = plan_pairs(threats, sites, interceptors, timeline, candidate)
    spec = _pair_spec(plan, interceptors, timeline, table_of)
    lla = np.array([[s.lat_deg, s.lon_deg, s.alt_m] for s in sites])
    geo = _geometry(threats)
    w = solve_windows(geo, lla, tables, spec, plan.vis_stack, reach=_table_record(tables, spec, lla, geo))
    return plan.engagement(w, flyout)


_SETUP: ContextVar = ContextVar("bmdcheck_engage_setup", default=None)
SETUP_KEEP = 2
"""Threat geometries and table-model records a :func:`reuse_setup` block keeps (the most recent)."""


@contextmanager
def reuse_setup():
    """Within the block, engagements of one threats object reuse its geometry (``prepare``) and, for
    the same tables, sites and pair layout, the table model's record (``table_reach``: the tables
    stacked and interleaved with their bounds) instead of building them again: the assessment engine
    engages a chunk's threats once per Monte-Carlo draw, sensor tier and candidate radar, where this
    setup took ~15 times the window kernel's own time. Results are the same (the same pure functions
    of the same inputs). The SETUP_KEEP most recent of each are kept; inputs are recognised by
    identity and held until they leave, so they must not be modified inside the block. Nested blocks
    share the outer one."""
    tok = _SETUP.set({"geo": [], "reach": []}) if _SETUP.get() is None else None
    try:
        yield
    finally:
        if tok is not None:
            _SETUP.reset(tok)


def _recall(kind: str, key: tuple, held: tuple, make):
    """The memo's entry for key (built by make() and kept with the objects ``held`` alive), or make()
    outside a :func:`reuse_setup` block."""
    memo = _SETUP.get()
    if memo is None:
        return make()
    entries = memo[kind]
    for k, _, value in entries:
        if k == key:
            return value
    value = make()
    entries.append((key, held, value))
    del entries[:-SETUP_KEEP]
    return value


def _geometry(threats: Threats):
    """``prepare(threats)``, once per threats object inside :func:`reuse_setup`."""
    return _recall("geo", (id(threats),), (threats,), lambda: prepare(threats))


def _table_record(tables: list, spec: PairSpec, lla: np.ndarray, geo):
    """The table model's record (``table_reach``) for these tables, sites and pairs, once inside
    :func:`reuse_setup`."""
    site = np.asarray(spec.site, dtype=np.int64)
    key = (tuple(id(t) for t in tables), np.asarray(spec.table).tobytes(), site.tobytes(), lla.tobytes(), id(geo))
    return _recall("reach", key, (tuple(tables), geo),
                   lambda: table_reach(tables, spec.table, site, lla, geo.threats.earth, geo.sub_chunks))


def burnout_speed_threshold(threats: Threats, site: SiteSpec, interceptor: InterceptorSpec,
                            timeline: TimelineSpec = None, flyout: str = "table", lo_mps: float = 1000.0,
                            hi_mps: float = 11_000.0, tol_mps: float = 10.0) -> float | None:
    """Lowest burnout speed (m/s) at which the engagement of threat 0 becomes feasible, bracketed to tol.

    Everything else (burn time, altitude band, flight-time and closing limits, timeline) is held as
    given. None when infeasible at every speed up to ``hi_mps``. Method: a 500 m/s upward scan
    for the first feasible speed, then bisection inside that bracket (the fly-out model's reach is
    not strictly monotonic in burnout speed, so no single bisection over the whole range).
    """

    if flyout == "bound":
        vs = [burnout_speed_threshold(threats, site, interceptor, timeline, "table", lo_mps, hi_mps, tol_mps),
              burnout_speed_threshold(threats, site, impulsive(interceptor), timeline, "lambert", lo_mps, hi_mps,
                                      tol_mps)]
        vs = [v for v in vs if v is not None]
        return min(vs) if vs else None
    if flyout == "lambert":
        # the Lambert model gives the threshold directly: the smallest speed change needed
        e = engage_threats(threats, [site], [interceptor.with_burnout_speed(hi_mps)], timeline, flyout)
        dv = float(e.min_dv_mps[0])
        if not np.isfinite(dv) or dv > hi_mps:
            return None
        return math.ceil(dv / tol_mps) * tol_mps

    def feasible(v):
        try:
            e = engage_threats(threats, [site], [interceptor.with_burnout_speed(v)], timeline, flyout)
        except BmdcheckError:  # no booster of this model flies that speed over that burn
            return False
        return bool(e.windows.feasible[0])

    # Reach is not strictly monotonic in burnout speed (a faster booster flies different
    # trajectories), so scan upward on a coarse grid for the first feasible speed, then bisect
    # inside the bracket below it.
    step = 500.0
    grid = np.arange(lo_mps, hi_mps + step / 2, step)
    first = next((v for v in grid if feasible(float(v))), None)
    if first is None:
        return None
    if first <= lo_mps:
        return lo_mps
    return bisect_threshold(feasible, first - step, float(first), tol_mps)


def bisect_threshold(pred, lo: float, hi: float, tol: float) -> float:
    """The edge of a threshold by bisection: with ``pred(lo)`` false and ``pred(hi)`` true, halve
    [lo, hi] until it is shorter than ``tol``; returns the true side (an upper bound within tol)."""
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        if pred(mid):
            hi = mid
        else:
            lo = mid
    return hi
