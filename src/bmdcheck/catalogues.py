"""The catalogues by kind, and the name checks against them (:mod:`bmdcheck.validate` holds the
checks; this module knows where each catalogue lives).

    >>> catalogue_name(" Aegis-Ashore-Deveselu ", "site")
    'aegis-ashore-deveselu'
"""

from __future__ import annotations

from typing import Mapping

from .errors import CatalogueError
from .validate import catalogue_name as _checked


def catalogue(kind: str) -> Mapping:
    """The catalogue of ``kind`` ("missile", "interceptor", "site", "radar", "early-warning system")."""
    if kind == "missile":
        from .flight.missile import catalogue as cat

        return cat()
    if kind == "interceptor":
        from .defence.interceptor import interceptor_catalogue

        return interceptor_catalogue()
    if kind == "site":
        from .defence.sites import site_catalogue

        return site_catalogue()
    from .defence.sensors import sensor_catalogue

    if kind not in ("radar", "early-warning system"):
        raise ValueError(f"no catalogue of {kind!r}")  # a bug in the caller, not bad input
    return sensor_catalogue().radars if kind == "radar" else sensor_catalogue().early_warning


def catalogue_name(name, kind: str, extra: tuple = (), param: str | None = None) -> str:
    """``name`` lower-cased if it is in the ``kind`` catalogue (or ``extra``); else a CatalogueError."""
    return _checked(name, kind, catalogue(kind), extra, param)


def catalogue_names(names, kind: str, loc_error=None, unique: bool = True) -> list:
    """A list of catalogue names, each checked and lower-cased (with ``unique``: none twice).

    ``loc_error(index, message)`` builds the exception for entry ``index`` (a pydantic validator
    passes one that carries the list index as the error location); default: CatalogueError.
    """
    make = loc_error or (lambda k, msg: CatalogueError(f"[{k}]: {msg}"))
    out: list = []
    for k, name in enumerate(names):
        try:
            key = catalogue_name(name, kind)
        except CatalogueError as e:
            raise make(k, str(e)) from None
        if unique and key in out:
            raise make(k, f"{kind} {key!r} is listed twice")
        out.append(key)
    return out


# ---- the listings (``bmdcheck missiles|interceptors|sites|sensors --json``, the control room) ------

LISTINGS = ("missiles", "interceptors", "sites", "sensors")


def catalogue_rows(kind: str) -> list[dict]:
    """The rows of a catalogue listing (``kind`` one of :data:`LISTINGS`), as the CLI's ``--json``
    prints them (field names: docs/CONVENTIONS.md): every parameter with its sources."""
    if kind == "missiles":
        from .flight.missile import catalogue as missiles
        from .flight.performance import max_range_km

        return [{"name": m.name, "class": m.cls, "stages": len(m.stages), "max_range_km": round(max_range_km(m), 1),
                 "launch_mass_kg": round(m.launch_mass_kg, 1), "burn_time_s": round(m.burn_end_s, 1),
                 "summary": m.summary, "sources": sorted(set(m.sources.values()))} for m in missiles().values()]
    if kind == "interceptors":
        from .defence.interceptor import interceptor_catalogue

        return [{"name": i.name, "party": i.party, "burnout_speed_mps": i.burnout_speed_mps,
                 "burn_time_s": i.burn_time_s, "altitude_band_km": [i.min_intercept_alt_km, i.max_intercept_alt_km],
                 "max_flight_time_s": i.max_flight_time_s, "min_closing_speed_mps": i.min_closing_speed_mps,
                 "spread": {k: dict(v) for k, v in i.spread.items()}, "sources": dict(i.sources),
                 "summary": i.summary} for i in interceptor_catalogue().values()]
    if kind == "sites":
        from .defence.sites import site_catalogue

        return [{"name": s.name, "party": s.party, "kind": s.kind, "status": s.status, "lat": s.lat_deg,
                 "lon": s.lon_deg, "interceptors": dict(s.interceptors), "radar": s.radar, "sources": dict(s.sources)}
                for s in site_catalogue().values()]
    if kind == "sensors":
        from .defence.sensors import sensor_catalogue

        cat = sensor_catalogue()
        rows = [{"name": r.name, "kind": "radar", "lat": r.lat_deg, "lon": r.lon_deg, "range_km": r.range_km,
                 "rcs_ref_m2": r.rcs_ref_m2, "azimuth": None if r.azimuth_min_deg is None else
                 f"{r.azimuth_min_deg:g}→{r.azimuth_max_deg:g}", "elevation_mask_deg": r.elevation_mask_deg,
                 "min_track_s": r.min_track_s, "sources": dict(r.sources)} for r in cat.radars.values()]
        return rows + [{"name": e.name, "kind": "early-warning", "detect_after_s": e.detect_after_s,
                        "report_delay_s": e.report_delay_s, "sources": dict(e.sources)}
                       for e in cat.early_warning.values()]
    raise CatalogueError(f"unknown listing {kind!r}; expected one of: {', '.join(LISTINGS)}", param="kind")
