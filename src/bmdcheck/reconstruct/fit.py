"""Fit a catalogue-style missile to an observed test (``reconstruct --fit-missile``).

A template from the catalogue keeps its aerodynamics, steering, burn times and Isp; the fit chooses
one mass parameter and the **pitch-kick angle** of a full-burn flight so that the project's flight
model reproduces the observed apogee and range. The mass parameter is either the **payload mass**
(``vary="payload"``, within ``PAYLOAD_BOUNDS_KG``; the stages as the template's) or a **stage
scale** (``vary="stages"``, within ``STAGE_SCALE_BOUNDS``: every stage's propellant and dry mass x s,
so thrust scales with them and the burn times stay; the payload as the template's or given). The payload is the free parameter because it is what a test leaves
open (a light test payload lofts higher, e.g. [V] Wright, UCS, 29 Nov 2017: "it seems likely that
it carried a very light mock warhead"). The fitted missile's maximum range (full burn, best kick,
non-rotating WGS84 with J2 and USSA76 from 45 deg N, as every catalogue maximum range) is the
analyst's "range on a standard trajectory": unlike the vacuum ``standard_range_km`` of the same
burnout speed it includes the smaller gravity loss of a flatter boost.

Flights: from the launch point along the test's azimuth on the rotating Earth when they are given,
else on the non-rotating reference Earth from 45 deg N due east; range is the geodesic from the
launch point to the impact (boost included), apogee the largest geodetic altitude.

Method: for a payload, a fan of 48 kicks (0.05-60 deg, geometric) flown in one kernel call gives the
range-vs-kick curve on the lofted side (below the range-maximising kick); the kick that meets the
observed range is refined by Brent's method on single flights; the apogee there decreases with the
payload, and Brent's method on the payload meets the observed apogee (to 0.1 km).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
from scipy.optimize import brentq

from ..earth.model import EarthModel
from ..errors import BmdcheckError, InputError
from ..flight.batch import fly_missile_batch
from ..flight.missile import Missile, get_missile
from ..flight.performance import REFERENCE_EARTH, max_range_performance

PAYLOAD_BOUNDS_KG = (100.0, 5000.0)
"""Payload masses the fit may choose, kg: [C] from a light test body to twice the heaviest catalogue
payload (1,250 kg, trident-ii-d5) and then some; outside them the template is the wrong missile."""
STAGE_SCALE_BOUNDS = (0.5, 2.0)
"""Stage-mass scale factors the fit may choose: [C] half to twice the template's stage masses (beyond
that the template's aerodynamics and steering no longer describe the missile)."""
_KICKS = np.geomspace(0.05, 60.0, 48)


def _scaled(tpl: Missile, vary: str, x: float, payload_kg: float | None) -> Missile:
    """The template with the fitted mass parameter set to x."""
    if vary == "payload":
        return replace(tpl, payload_kg=float(x))
    stages = tuple(replace(st, propellant_kg=st.propellant_kg * x, dry_kg=st.dry_kg * x) for st in tpl.stages)
    return replace(tpl, stages=stages, payload_kg=float(payload_kg if payload_kg is not None else tpl.payload_kg))


def _geometry(launch, azimuth_deg):
    if launch is None:
        return 45.0, 0.0, 90.0, REFERENCE_EARTH
    return float(launch[0]), float(launch[1]), float(azimuth_deg), EarthModel()


def _fly(m: Missile, geo, kicks):
    lat, lon, az, earth = geo
    b = fly_missile_batch(m, lat, lon, az, np.atleast_1d(kicks), earth=earth)
    return b


def _at_range(m: Missile, geo, range_km: float):
    """(kick_deg, batch of the one flight) of the lofted full-burn flight with this range."""
    b = _fly(m, geo, _KICKS)
    r = np.where(b.ok, b.range_m() / 1e3, np.nan)
    j = int(np.nanargmax(r)) if np.any(np.isfinite(r)) else -1
    if j < 1:
        raise BmdcheckError(f"{m.name}: no full-burn flight of the template comes down (fan of kicks)")
    lofted = r[:j + 1]
    if not np.all(np.isfinite(lofted)) or range_km < lofted[0] or range_km > lofted[-1]:
        raise BmdcheckError(f"a range of {range_km:,.0f} km is outside the lofted full-burn flights of the template "
                            f"with payload {m.payload_kg:,.0f} kg ({np.nanmin(lofted):,.0f}-{np.nanmax(lofted):,.0f} km)")
    i = int(np.searchsorted(lofted, range_km))
    i = min(max(i, 1), j)

    def f(k):
        bb = _fly(m, geo, [k])
        return float(bb.range_m()[0] / 1e3) - range_km

    k = brentq(f, _KICKS[i - 1], _KICKS[i], xtol=1e-7, rtol=1e-12)
    return k, _fly(m, geo, [k])


DEFAULT_TEMPLATE = "minuteman-iii"
"""The template when none is given: a three-stage ICBM with a 188 s boost whose stage data are
published [S] (docs/CATALOGUE.md); docs/validation/reconstruct.md shows how the fitted ranges depend
on the template (a 240 s liquid boost gives longer ones)."""


def fit_missile(apogee_km: float, range_km: float, *, launch=None, azimuth_deg=None, template=DEFAULT_TEMPLATE,
                name: str | None = None, vary: str = "payload", payload_kg: float | None = None
                ) -> tuple[Missile, dict]:
    """Fit one mass parameter of the template (``vary``: "payload" or "stages") and the kick to an
    observed apogee and range (km); returns the fitted Missile and a summary dict (payload_kg,
    stage_scale, kick_deg, apogee_km, range_km, flight_time_s, burnout, max_range_km, ...)."""
    if vary not in ("payload", "stages"):
        raise BmdcheckError(f"the fitted parameter must be 'payload' or 'stages', got {vary!r}")
    if payload_kg is not None and (vary == "payload" or not (float(payload_kg) > 0)):
        raise InputError("sets the payload when the stages are fitted (vary='stages'), and must be positive, "
                         f"got {payload_kg}", param="payload_kg")
    tpl = get_missile(template)
    geo = _geometry(launch, azimuth_deg)
    cache = {}

    def apogee_at(x):
        k, b = _at_range(_scaled(tpl, vary, x, payload_kg), geo, range_km)
        cache[x] = (k, b)
        return float(b.apogee_alt_m()[0] / 1e3)

    # "weak" end: the heaviest payload or the smallest stages; "strong" end: the opposite
    weak, strong = (PAYLOAD_BOUNDS_KG[1], PAYLOAD_BOUNDS_KG[0]) if vary == "payload" else STAGE_SCALE_BOUNDS
    what = "payload" if vary == "payload" else "stage scale"
    a_strong = None
    while a_strong is None:  # the strongest end may leave the template with no flight that comes down
        try:
            a_strong = apogee_at(strong)
        except BmdcheckError:
            strong = strong * 1.5 if vary == "payload" else strong / 1.1
            if (strong >= weak) if vary == "payload" else (strong <= weak):
                raise
    a_weak = apogee_at(weak)
    if apogee_km > a_strong:
        raise BmdcheckError(f"template {tpl.name} reaches at most {a_strong:,.0f} km apogee at {range_km:,.0f} km range "
                            f"({what} {strong:g}): the observed {apogee_km:,.0f} km needs a larger missile "
                            f"(--template)")
    if apogee_km < a_weak:
        raise BmdcheckError(f"template {tpl.name} reaches {a_weak:,.0f} km apogee even at {what} {weak:g}: the "
                            f"observed {apogee_km:,.0f} km needs a smaller missile (--template)")
    lo, hi = sorted((weak, strong))
    xtol = 0.01 if vary == "payload" else 1e-6
    x = brentq(lambda v: apogee_at(v) - apogee_km, lo, hi, xtol=xtol, rtol=1e-10)
    k, b = cache.get(x) or _at_range(_scaled(tpl, vary, x, payload_kg), geo, range_km)
    nm = name or f"fit-{tpl.name}-a{apogee_km:.0f}-r{range_km:.0f}"
    nm = re.sub(r"[^a-z0-9._-]+", "-", nm.strip().lower()).strip("-") or "fitted-missile"
    m = replace(_scaled(tpl, vary, x, payload_kg), name=nm)
    spd, fpa, _ = b.burnout_local()
    perf = max_range_performance(m)
    info = {"name": nm, "template": tpl.name, "vary": vary, "payload_kg": float(m.payload_kg),
            "stage_scale": float(x) if vary == "stages" else 1.0, "payload_given": payload_kg is not None,
            "kick_deg": float(k),
            "apogee_km": float(b.apogee_alt_m()[0] / 1e3), "range_km": float(b.range_m()[0] / 1e3),
            "flight_time_s": float(b.impact_time_s[0]), "burnout_speed_mps": float(spd[0]),
            "burnout_angle_deg": float(fpa[0]), "burnout_altitude_km": float(b.burnout_geodetic()[2][0] / 1e3),
            "burnout_time_s": float(b.burnout_time_s[0]), "max_range_km": _finite(perf.get("max_range_km")),
            "max_range_burnout_speed_mps": _finite(perf.get("burnout_speed_mps")),
            "earth": "rotating WGS84 from the launch point" if launch is not None else
                     "non-rotating WGS84 (J2, USSA76) from 45 deg N due east"}
    return m, info


def _finite(x):
    return float(x) if x is not None and math.isfinite(x) else None


# ---- the TOML catalogue entry -----------------------------------------------------------------------

def _q(s: str) -> str:
    return json.dumps(str(s), ensure_ascii=False)


def _num(x: float) -> str:
    return repr(float(x))


def missile_toml(m: Missile, info: dict, observation: dict) -> str:
    """The fitted missile as a catalogue TOML file (docs/CATALOGUE.md format) with its provenance."""
    t = info["template"]
    src = m.sources

    def s(key: str) -> str:
        return _q(f"template {t}: {src.get(key, '(catalogue default)')}")

    mr = info["max_range_km"]
    mr_txt = "none found" if mr is None else f"{mr:,.0f} km"
    stages_fit = info.get("vary") == "stages"
    summary = (f"Fitted to apogee {info['apogee_km']:,.0f} km, range {info['range_km']:,.0f} km on template {t}; "
               f"payload {m.payload_kg:,.0f} kg" + (f", stage masses x{info['stage_scale']:.4f}" if stages_fit else "")
               + f"; maximum range {mr_txt}.")
    kick = info["kick_deg"]
    fit_how = (f"[C] fitted by bmdcheck reconstruct --fit-missile so that a full-burn lofted flight of template {t} "
               f"(kick {kick:.4f} deg) has the observed apogee and range")
    if not stages_fit:
        payload_src = f"{fit_how}; bounds {PAYLOAD_BOUNDS_KG[0]:g}-{PAYLOAD_BOUNDS_KG[1]:g} kg"
    elif info.get("payload_given"):
        payload_src = "[A] assumption given with --payload-kg when the stage masses were fitted"
    else:
        payload_src = f"template {t}: {src.get('missile.payload_kg', '')}"

    def stage_src(key: str) -> str:
        if stages_fit and key.split(".")[-1] in ("propellant_kg", "dry_kg"):
            return _q(f"{fit_how}: template {t} value x {info['stage_scale']:.6f} (stage scale bounds "
                      f"{STAGE_SCALE_BOUNDS[0]:g}-{STAGE_SCALE_BOUNDS[1]:g}); template source: {src.get(key, '')}")
        return s(key)
    lines = [f"# Fitted by `bmdcheck reconstruct --fit-missile` to an observed test; template {t}.",
             ("# Stage masses scaled by the fit; aerodynamics, steering, burn times and Isp are the template's "
              "(see [provenance])." if stages_fit else
              "# Stages, aerodynamics and steering are the template's; the payload is fitted (see [provenance])."),
             "", f"name = {_q(m.name)}", f"class = {_q(m.cls)}",
             f"summary = {_q(summary)}",
             "",
             f"payload_kg = {{ value = {_num(m.payload_kg)}, source = {_q(payload_src)} }}",
             f"ref_area_m2 = {{ value = {_num(m.ref_area_m2)}, source = {s('missile.ref_area_m2')} }}"]
    if math.isfinite(m.rv_beta_kgm2):
        lines.append(f"rv_beta_kgm2 = {{ value = {_num(m.rv_beta_kgm2)}, source = {s('missile.rv_beta_kgm2')} }}")
    lines += [f"t_vertical_s = {{ value = {_num(m.t_vertical_s)}, source = {s('missile.t_vertical_s')} }}",
              f"t_kick_s = {{ value = {_num(m.t_kick_s)}, source = {s('missile.t_kick_s')} }}",
              "cd_mach = { value = [" + ", ".join(f"[{_num(a)}, {_num(b)}]" for a, b in m.cd_mach)
              + f"], source = {s('missile.cd_mach')} }}"]
    for i, st in enumerate(m.stages, start=1):
        w = f"stage[{i}]"
        lines += ["", "[[stage]]"]
        for key in ("propellant_kg", "dry_kg", "burn_time_s", "isp_vac_s", "exit_area_m2", "coast_s"):
            val = getattr(st, key)
            if key in ("exit_area_m2", "coast_s") and val == 0.0 and f"{w}.{key}" not in src:
                continue
            lines.append(f"{key} = {{ value = {_num(val)}, source = {stage_src(f'{w}.{key}')} }}")
    lines += ["", "[provenance]", f"method = {_q('bmdcheck reconstruct --fit-missile (docs/validation/reconstruct.md)')}",
              f"template = {_q(t)}"]
    from ..version import __version__

    lines.append(f"bmdcheck_version = {_q(__version__)}")
    lines.append("observation = " + _q(json.dumps(observation, sort_keys=True)))
    lines += ["", "[provenance.fit]"]
    lines.append(f"vary = {_q(info.get('vary', 'payload'))}")
    for k in ("payload_kg", "stage_scale", "kick_deg", "apogee_km", "range_km", "flight_time_s", "burnout_speed_mps",
              "burnout_angle_deg", "burnout_altitude_km", "burnout_time_s", "max_range_km"):
        if info.get(k) is not None:
            lines.append(f"{k} = {_num(info[k])}")
    lines.append(f"earth = {_q(info['earth'])}")
    return "\n".join(lines) + "\n"


def fit_and_write(doc: dict, *, template: str = DEFAULT_TEMPLATE, name: str | None = None,
                  out_path: str | None = None, vary: str = "payload", payload_kg: float | None = None,
                  overwrite: bool = False) -> dict:
    """Fit to the observation of a ``reconstruct`` document, write the TOML atomically (refusing to
    replace an existing file unless ``overwrite``), return the summary."""
    from ..flight.missile import catalogue, load_missile_file
    from ..ledger.files import write_atomic

    if out_path is not None and Path(out_path).suffix != ".toml":
        raise InputError(f"must name a .toml file, got {out_path!r}", param="out_path")
    if out_path is not None and Path(out_path).exists() and not overwrite:
        raise InputError(f"{out_path} already exists; refusing to overwrite it (overwrite=True replaces it)",
                         param="out_path")
    if name is not None and name.strip().lower() in catalogue():
        raise InputError(f"{name!r} is a catalogue missile; choose another name", param="name")

    o = doc["observation"]
    launch = None if o.get("from") is None else (o["from"]["lat"], o["from"]["lon"])
    m, info = fit_missile(o["apogee_km"]["value"], o["range_km"]["value"], launch=launch,
                          azimuth_deg=o.get("azimuth_deg"), template=template, name=name, vary=vary,
                          payload_kg=payload_kg)
    path = Path(out_path) if out_path else Path(f"{m.name}.toml")
    if path.suffix != ".toml":
        raise InputError(f"must name a .toml file, got {str(path)!r}", param="out_path")
    text = missile_toml(m, info, o)
    write_atomic(path, text.encode("utf-8"), overwrite=overwrite)
    back = load_missile_file(path)  # the written file must load as the fitted missile
    if replace(back, sources={}) != replace(m, sources={}, summary=back.summary):
        raise BmdcheckError(f"{path}: the written missile does not read back as fitted")
    info["path"] = str(path)
    return info
