"""One engagement question in one call: this threat, this site, this interceptor, these sensors.

:func:`engage` accepts catalogue names or objects for everything, builds the solver's specs
(``SiteSpec``, ``InterceptorSpec``, ``TimelineSpec`` of :mod:`.engage`), solves, and returns an
:class:`EngageResult` that carries its inputs (threat trajectory, specs) and the JSON record of
``bmdcheck engage --json`` (docs/CONVENTIONS.md). The defaults of an ad-hoc interceptor live here
(:data:`AD_HOC`), not in a front end.

    >>> import bmdcheck as bc
    >>> r = bc.engage("topol-m", (54.04, 35.77), (38.90, -77.04), site="gbi-fort-greely", flyout="lambert")
    >>> r.feasible, r.site.name
    (True, 'gbi-fort-greely')
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from ..errors import InputError
from ..validate import check_position, check_positive

AD_HOC = {
    "altitude_band_km": (0.0, 10_000.0),  # no altitude limit unless given
    "max_flight_time_s": {"table": 3600.0, "bound": 3600.0, "lambert": 1e9},
    # the table model flies its fan for 3,600 s (longer than any ICBM flight), which bounds what it
    # can tabulate; the Lambert model takes no limit
}
"""Ad-hoc interceptor (a burnout speed, no catalogue entry): what is assumed when not given."""

THRESHOLD_RANGE_MPS = (1000.0, 11_000.0)
"""The burnout speeds searched by ``threshold=True`` (m/s): below 1 km/s no interceptor; 11 km/s is
about Earth escape speed."""

THRESHOLD_BASE_MPS = 5000.0
"""Burnout speed of the interceptor a staged booster without one is rebuilt at before its burnout
speed is varied (the threshold search replaces it)."""

FLYOUTS = ("table", "lambert", "bound")


def site_spec(site, *, param: str = "site"):
    """A ``SiteSpec`` from a catalogue name, a catalogue ``Site``, a ``SiteSpec``, or a position
    ``(lat, lon[, alt_km])`` (an ad-hoc site without radar)."""
    from .engage import SiteSpec
    from .sensors import get_radar
    from .sites import Site, get_site

    if isinstance(site, SiteSpec):
        return site
    if isinstance(site, str):
        site = get_site(site)
    if isinstance(site, Site):
        return SiteSpec(site.name, site.lat_deg, site.lon_deg, site.alt_m, get_radar(site.radar) if site.radar else None)
    lla = check_position(site, param)
    return SiteSpec("ad-hoc", lla[0], lla[1], (lla[2] if len(lla) == 3 else 0.0) * 1e3, None)


def interceptor_spec(interceptor=None, *, site=None, flyout: str = "table", burnout_speed_mps=None, burn_time_s=None,
                     altitude_band_km=None, min_closing_speed_mps=None, max_flight_time_s=None):
    """An ``InterceptorSpec``: a catalogue name, ``Interceptor`` or ``InterceptorSpec`` (the
    keyword limits override its values), else the first interceptor of the catalogue ``site``,
    else an ad-hoc interceptor from ``burnout_speed_mps`` (+ ``burn_time_s``; :data:`AD_HOC`).

    ``burn_time_s = 0`` is the impulsive Lambert model (``flyout="lambert"`` only).
    """
    from .engage import IMPULSIVE_BURN_S, InterceptorSpec
    from .interceptor import get_interceptor
    from .sites import Site, get_site

    if burn_time_s is not None and burn_time_s == 0.0:
        if flyout != "lambert":
            raise InputError("0 s is the impulsive Lambert model: use flyout='lambert' (the table fly-out needs a "
                             "positive burn time)", param="burn_time_s")
        burn_time_s = IMPULSIVE_BURN_S
    for v, name in ((burnout_speed_mps, "burnout_speed_mps"), (burn_time_s, "burn_time_s"),
                    (max_flight_time_s, "max_flight_time_s")):
        if v is not None:
            check_positive(v, name)
    if burnout_speed_mps is not None and burnout_speed_mps > THRESHOLD_RANGE_MPS[1]:
        raise InputError(f"burnout speed must be at most {THRESHOLD_RANGE_MPS[1]:,.0f} m/s (about Earth escape "
                         f"speed), got {burnout_speed_mps:g}", param="burnout_speed_mps")
    if min_closing_speed_mps is not None:
        check_positive(min_closing_speed_mps, "min_closing_speed_mps", allow_zero=True)
    band = None if altitude_band_km is None else _band(altitude_band_km)
    if interceptor is None and site is not None and burnout_speed_mps is None and not _is_position(site):
        cat_site = get_site(site) if isinstance(site, (str, Site)) else None
        if cat_site is not None:
            if not cat_site.interceptors:
                raise InputError(f"site {cat_site.name} has no interceptors; give one", param="interceptor")
            interceptor = next(iter(cat_site.interceptors))
    if interceptor is None:
        if burnout_speed_mps is None:
            raise InputError("give an interceptor (catalogue name or object) or an ad-hoc burnout_speed_mps",
                             param="interceptor")
        if burn_time_s is None and flyout in ("table", "bound"):
            raise InputError("an ad-hoc interceptor with the table fly-out needs a burn time", param="burn_time_s")
        lo, hi = band or AD_HOC["altitude_band_km"]
        return InterceptorSpec("ad-hoc", float(burnout_speed_mps), burn_time_s if burn_time_s is not None else
                               IMPULSIVE_BURN_S, lo * 1e3, hi * 1e3, 0.0,
                               max_flight_time_s or AD_HOC["max_flight_time_s"].get(flyout, 3600.0),
                               min_closing_speed_mps or 0.0)
    spec = interceptor if isinstance(interceptor, InterceptorSpec) else \
        InterceptorSpec.from_catalogue(get_interceptor(interceptor))
    over: dict = {}
    if burnout_speed_mps is not None:
        over.update(burnout_speed_mps=float(burnout_speed_mps), booster=None)
    if burn_time_s is not None:
        over.update(burn_time_s=float(burn_time_s))
    if band:
        over.update(min_alt_m=band[0] * 1e3, max_alt_m=band[1] * 1e3)
    if min_closing_speed_mps is not None:
        over.update(min_closing_mps=float(min_closing_speed_mps))
    if max_flight_time_s is not None:
        over.update(max_flight_time_s=float(max_flight_time_s))
    return replace(spec, **over) if over else spec


def _is_position(x) -> bool:
    return isinstance(x, (tuple, list)) and all(isinstance(v, (int, float)) for v in x)


def _band(band) -> tuple:
    try:
        lo, hi = (float(x) for x in band)
    except (TypeError, ValueError):
        raise InputError(f"expected (MIN_KM, MAX_KM), got {band!r}", param="altitude_band_km") from None
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo < 0 or hi <= lo:
        raise InputError(f"expected 0 <= MIN < MAX km, got {lo:g}, {hi:g}", param="altitude_band_km")
    return lo, hi


def timeline_spec(mode: str = "local", *, tier=None, early_warning="default", remote_radar=None, rcs_model=None,
                  **assumptions):
    """A ``TimelineSpec`` from names or objects.

    ``early_warning``: "default" (the catalogue's first system), "none"/None, a name or an
    ``EarlyWarning``. ``remote_radar``: a radar name or ``Radar`` (needs ``mode`` launch-on-remote /
    engage-on-remote or ``tier="remote"``). ``rcs_model``: None/"constant" or "phase-band"
    (data/rcs.toml). ``assumptions``: decision_delay_s, rcs_m2, kill_assessment_s,
    network_latency_s, launch_at_s (None values are left at their defaults).
    """
    from .engage import TimelineSpec
    from .sensors import get_early_warning, get_radar, sensor_catalogue

    if isinstance(early_warning, str) and early_warning.lower() == "none":
        early_warning = None
    if isinstance(early_warning, str) and early_warning == "default":
        ews = sensor_catalogue().early_warning
        early_warning = next(iter(ews.values())) if ews else None
    ew = None if early_warning is None else get_early_warning(early_warning)
    rr = None if remote_radar is None else get_radar(remote_radar)
    if rr is not None and tier is None and mode not in ("launch-on-remote", "engage-on-remote"):
        raise InputError(f"remote radar {rr.name} needs tier='remote' or mode 'launch-on-remote' / "
                         f"'engage-on-remote' (mode {mode!r} would not use it)", param="remote_radar")
    kw = {k: v for k, v in assumptions.items() if v is not None}
    if rcs_model not in (None, "constant"):
        if rcs_model != "phase-band":
            raise InputError(f"expected 'constant' or 'phase-band', got {rcs_model!r}", param="rcs_model")
        from .rcs import catalogue_rcs

        kw["rcs_model"] = catalogue_rcs()
    return TimelineSpec(mode=mode, early_warning=ew, remote_radar=rr, tier=tier,
                        remote_radars=(rr,) if rr is not None and tier else (), **kw)


def threats_of(threat, earth=None):
    """``Threats`` from a ``Threats``, a sampled ``Trajectory`` or a threat file path (CSV / OEM)."""
    from ..flight.trajectory import Trajectory
    from .engagement import Threats
    from .threat_file import read_threat_file

    if isinstance(threat, Threats):
        return threat
    if isinstance(threat, Trajectory):
        if threat.samples is None:
            raise InputError("the trajectory has no samples: fly it with sample_interval_s", param="threat")
        s = threat.samples
        return Threats.from_arrays(s.t_s, s.r_eci_m, s.v_eci_mps, threat.earth)
    if isinstance(threat, str) or hasattr(threat, "__fspath__"):
        return read_threat_file(threat, earth)
    raise InputError(f"expected a Trajectory, Threats or a file path, got {type(threat).__name__}", param="threat")


@dataclass
class EngageResult:
    """One engagement answer and everything it rests on.

    ``record``: the document of ``bmdcheck engage --json`` (docs/CONVENTIONS.md); ``trajectory``:
    the threat's :class:`~bmdcheck.flight.trajectory.Trajectory` (None for a threat file);
    ``threats``, ``site``, ``interceptor``, ``timeline``: the solver's inputs; ``engagement``: the
    solver's output (arrays over the pairs).
    """

    record: dict
    threats: object
    site: object
    interceptor: object
    timeline: object
    engagement: object
    trajectory: object = None
    flyout: str = "table"
    warnings: list = field(default_factory=list)

    @property
    def feasible(self) -> bool:
        return self.record["feasible"]

    @property
    def reason(self) -> str:
        """"feasible" or the first failing check (docs/CONVENTIONS.md, ``reason``)."""
        return self.record["reason"]

    @property
    def first_s(self):
        """Earliest intercept, s after threat launch (None when infeasible)."""
        return self.record["first_s"]

    @property
    def last_s(self):
        """Latest intercept, s after threat launch (None when infeasible)."""
        return self.record["last_s"]

    @property
    def threshold_mps(self):
        """Lowest feasible burnout speed, m/s (``threshold=True``; None: none up to 11 km/s)."""
        return self.record.get("threshold_mps")

    def to_dict(self) -> dict:
        """The JSON document (a copy)."""
        import copy

        return copy.deepcopy(self.record)

    def to_dataframe(self):
        """One row: the record flattened (nested keys joined with '.', e.g. ``timeline.launch_s``)."""
        import pandas as pd

        return pd.json_normalize(self.record)

    def __repr__(self) -> str:
        r = self.record
        when = f"{r['first_s']:.1f}-{r['last_s']:.1f} s" if r["feasible"] else r["reason"]
        return f"EngageResult({r['interceptor']} from {r['site']}, {self.flyout}: {when})"


def engage(missile=None, launch=None, aim=None, *, threat=None, site, interceptor=None, shape: str = "min-energy",
           apogee_km=None, flyout: str = "table", mode: str = "local", tier=None, remote_radar=None,
           early_warning="default", decision_delay_s=None, rcs_m2=None, rcs_model=None, kill_assessment_s=None,
           network_latency_s=None, launch_at_s=None, burnout_speed_mps=None, burn_time_s=None,
           altitude_band_km=None, min_closing_speed_mps=None, max_flight_time_s=None, threshold: bool = False,
           earth=None) -> EngageResult:
    """When (if ever) can an interceptor from ``site`` meet the threat?

    Threat: ``missile`` (catalogue name, ``Missile`` or ``.toml``) flown from ``launch`` to
    ``aim`` ((lat, lon) degrees) on ``shape`` (min-energy, lofted, depressed; ``apogee_km`` for
    the last two) with 1 s samples; or ``threat`` (a sampled ``Trajectory``, ``Threats``, or a
    CSV/OEM file path). Site: a catalogue name or ``Site``, a ``SiteSpec``, or (lat, lon[, alt_km]).
    Interceptor: a catalogue name or object (default: the site's first), or an ad-hoc
    ``burnout_speed_mps`` (+ ``burn_time_s``); the limits override. Sensors: ``mode`` (local,
    launch-on-remote, engage-on-remote, early-warning-only) or ``tier`` (local, remote, cue),
    ``remote_radar``, ``early_warning``. ``flyout``: "table" (booster fly-out tables), "lambert"
    (impulsive reach) or "bound" (the more capable of both). ``threshold``: also find the lowest
    feasible burnout speed (m/s, :data:`THRESHOLD_RANGE_MPS`).
    """
    from ..earth.model import EarthModel
    from ..flight.trajectory import fly
    from .engage import burnout_speed_threshold, engage_threats

    if flyout not in FLYOUTS:
        raise InputError(f"expected one of {', '.join(FLYOUTS)}, got {flyout!r}", param="flyout")
    earth = earth or EarthModel()
    # the site, interceptor and timeline first: a bad one is an input error before any flight is flown
    # (a cold first run compiles the flight kernels)
    sspec = site_spec(site)
    ispec = interceptor_spec(interceptor, site=site, flyout=flyout, burnout_speed_mps=burnout_speed_mps,
                             burn_time_s=burn_time_s, altitude_band_km=altitude_band_km,
                             min_closing_speed_mps=min_closing_speed_mps, max_flight_time_s=max_flight_time_s)
    tl = timeline_spec(mode, tier=tier, early_warning=early_warning, remote_radar=remote_radar, rcs_model=rcs_model,
                       decision_delay_s=decision_delay_s, rcs_m2=rcs_m2, kill_assessment_s=kill_assessment_s,
                       network_latency_s=network_latency_s, launch_at_s=launch_at_s)
    trajectory = None
    if threat is not None:
        if missile is not None:
            raise InputError("give a missile (with launch and aim) or a threat, not both", param="threat")
        threats = threats_of(threat, earth)
        trajectory = threat if hasattr(threat, "samples") else None
        desc = {"file": str(threat)} if isinstance(threat, str) or hasattr(threat, "__fspath__") else {}
    else:
        if missile is None or launch is None or aim is None:
            raise InputError("give a missile, launch and aim, or a threat", param="missile")
        trajectory = fly(missile, launch, aim, shape, apogee_km=apogee_km, earth=earth, sample_interval_s=1.0)
        threats = threats_of(trajectory)
    if trajectory is not None:
        desc = {"missile": trajectory.missile, "range_km": trajectory.range_km,
                "flight_time_s": trajectory.flight_time_s, "apogee_km": trajectory.apogee_km}
    eng = engage_threats(threats, [sspec], [ispec], tl, flyout)
    rec = eng.record(0)
    rec["threat"] = desc
    from .engage import IMPULSIVE_BURN_S

    rec["interceptor_params"] = {"burnout_speed_mps": ispec.burnout_speed_mps,
                                 "burn_time_s": 0.0 if ispec.burn_time_s == IMPULSIVE_BURN_S else ispec.burn_time_s,
                                 "altitude_band_km": [ispec.min_alt_m / 1e3, ispec.max_alt_m / 1e3],
                                 "max_flight_time_s": ispec.max_flight_time_s,
                                 "min_closing_speed_mps": ispec.min_closing_mps}
    rec["assumptions"] = {"decision_delay_s": tl.decision_delay_s, "rcs_m2": tl.rcs_m2,
                          "rcs_model": "constant" if rcs_model in (None, "constant") else rcs_model,
                          "network_latency_s": tl.network_latency_s, "kill_assessment_s": tl.kill_assessment_s,
                          "early_warning": None if tl.early_warning is None else tl.early_warning.name}
    if threshold:
        base = ispec if ispec.burnout_speed_mps else ispec.with_burnout_speed(THRESHOLD_BASE_MPS)
        lo, hi = THRESHOLD_RANGE_MPS
        th = burnout_speed_threshold(threats, sspec, base, tl, flyout, lo_mps=lo, hi_mps=hi)
        rec["threshold_mps"] = None if th is None else float(th)
    return EngageResult(rec, threats, sspec, ispec, tl, eng, trajectory, flyout, list(eng.warnings))


def describe_threshold(threshold_mps) -> str:
    """Text for a threshold result: 'feasible from 7,430 m/s burnout speed' or 'not feasible below 11 km/s'."""
    if threshold_mps is None:
        return f"not feasible below {THRESHOLD_RANGE_MPS[1] / 1e3:g} km/s"
    return f"feasible from {threshold_mps:,.0f} m/s burnout speed"

