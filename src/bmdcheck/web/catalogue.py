"""Catalogue listings for the control room: the rows ``bmdcheck missiles|interceptors|sites|sensors --json``
print (tests/web/test_api.py checks that both give the same rows), from the public API
(``bmdcheck.api``), computed once per process."""

from __future__ import annotations

from functools import lru_cache

KINDS = ("missiles", "interceptors", "sites", "sensors")


def _missiles() -> list[dict]:
    from .. import api

    return [{"name": m.name, "class": m.cls, "stages": len(m.stages), "max_range_km": round(api.max_range_km(m), 1),
             "launch_mass_kg": round(m.launch_mass_kg, 1), "burn_time_s": round(m.burn_end_s, 1),
             "summary": m.summary, "sources": sorted(set(m.sources.values()))} for m in api.missiles().values()]


def _interceptors() -> list[dict]:
    from .. import api

    return [{"name": i.name, "party": i.party, "burnout_speed_mps": i.burnout_speed_mps, "burn_time_s": i.burn_time_s,
             "altitude_band_km": [i.min_intercept_alt_km, i.max_intercept_alt_km],
             "max_flight_time_s": i.max_flight_time_s, "min_closing_speed_mps": i.min_closing_speed_mps,
             "spread": {k: dict(v) for k, v in i.spread.items()}, "sources": dict(i.sources), "summary": i.summary}
            for i in api.interceptors().values()]


def _sites() -> list[dict]:
    from .. import api

    return [{"name": s.name, "party": s.party, "kind": s.kind, "status": s.status, "lat": s.lat_deg, "lon": s.lon_deg,
             "interceptors": dict(s.interceptors), "radar": s.radar, "sources": dict(s.sources)}
            for s in api.sites().values()]


def _sensors() -> list[dict]:
    from .. import api

    cat = api.sensors()
    rows = [{"name": r.name, "kind": "radar", "lat": r.lat_deg, "lon": r.lon_deg, "range_km": r.range_km,
             "rcs_ref_m2": r.rcs_ref_m2, "azimuth": None if r.azimuth_min_deg is None else
             f"{r.azimuth_min_deg:g}→{r.azimuth_max_deg:g}", "elevation_mask_deg": r.elevation_mask_deg,
             "min_track_s": r.min_track_s, "sources": dict(r.sources)} for r in cat.radars.values()]
    rows += [{"name": e.name, "kind": "early-warning", "detect_after_s": e.detect_after_s,
              "report_delay_s": e.report_delay_s, "sources": dict(e.sources)} for e in cat.early_warning.values()]
    return rows


@lru_cache(maxsize=None)
def rows(kind: str) -> tuple:
    """The catalogue rows of ``kind`` (one of KINDS), as the CLI's ``--json`` gives them."""
    return tuple({"missiles": _missiles, "interceptors": _interceptors, "sites": _sites, "sensors": _sensors}[kind]())
