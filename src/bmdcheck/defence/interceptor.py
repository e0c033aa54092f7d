"""Interceptors as data: a booster (or a burnout-speed description) and the engagement limits.

An interceptor is loaded from a TOML file in ``bmdcheck/data/interceptors`` (file stem = name).
Every numeric parameter is written as ``{ value = X, source = "..." }``; a bare number is refused,
as in the missile catalogue (``flight/missile.py``). The booster is given either

- as ``[[stage]]`` tables exactly as for a missile (plus ``payload_kg`` = kill-vehicle mass,
  ``ref_area_m2``, ``t_vertical_s``, ``t_kick_s``), built with ``missile_from_dict``; or
- as ``burnout_speed_mps`` + ``burn_time_s`` only (``booster`` is then ``None``; the fly-out
  tables of ``defence/flyout.py`` turn the description into a booster).

Engagement limits (docs/design/engagement.md): ``min_intercept_alt_km``, ``max_intercept_alt_km``,
``min_flight_time_s``, ``max_flight_time_s``, ``min_closing_speed_mps``.

Where sources disagree, or a value is an assumption, the file ships the range in a spread table
(docs/CATALOGUE-DEFENCE.md)::

    [spread.burnout_speed_mps]
    low = 6300
    nominal = 6300      # optional; must equal the parameter's value
    high = 9000
    source = "..."

The helpers at the end of this module (sourced numbers, spread tables, name lookup) are shared
with ``defence/sites.py`` and ``defence/sensors.py``.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from ..errors import BmdcheckError
from ..flight.missile import Missile, missile_from_dict

_DATA = "bmdcheck.data.interceptors"

_BOOSTER_KEYS = ("stage", "payload_kg", "ref_area_m2", "rv_beta_kgm2", "t_vertical_s", "t_kick_s", "cd_mach")
_LIMIT_KEYS = ("min_intercept_alt_km", "max_intercept_alt_km", "min_flight_time_s", "max_flight_time_s",
               "min_closing_speed_mps")
_KEYS = ("name", "party", "summary", "burnout_speed_mps", "burn_time_s", "spread") + _BOOSTER_KEYS + _LIMIT_KEYS
_BURN_MATCH_S = 0.5  # a stated burn_time_s must match the stage table's burn end to this


@dataclass(frozen=True)
class Interceptor:
    """An exo-atmospheric hit-to-kill interceptor: booster kinematics and engagement limits.

    ``booster`` is the stage model (kill vehicle = payload) or ``None`` for a burnout-speed
    description; ``burnout_speed_mps`` is the published/assumed burnout speed (m/s, inertial,
    as flown by ``defence/flyout.py``) or ``None`` when only stages are given. ``burn_time_s``
    is the powered-flight time, s. Altitudes in km above the WGS84 ellipsoid; flight times in s
    from interceptor launch to intercept; ``min_closing_speed_mps`` is the smallest relative speed
    (m/s) at which a hit-to-kill intercept is counted (0 = no floor).

    ``spread`` maps a parameter name to ``{"low", "nominal", "high", "source"}``; ``sources``
    maps every loaded parameter to its source string (grade inside, docs/CATALOGUE-DEFENCE.md).
    Change a value with ``dataclasses.replace``; the result is validated again.
    """

    name: str
    party: str
    summary: str
    booster: Missile | None
    burnout_speed_mps: float | None
    burn_time_s: float
    min_intercept_alt_km: float
    max_intercept_alt_km: float
    min_flight_time_s: float
    max_flight_time_s: float
    min_closing_speed_mps: float
    spread: dict = field(default_factory=dict, compare=False, repr=False)
    sources: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self):
        w = f"interceptor {self.name!r}"
        if not isinstance(self.name, str) or not self.name.strip():
            raise BmdcheckError("interceptor name must be a non-empty string")
        if self.booster is not None and not isinstance(self.booster, Missile):
            raise BmdcheckError(f"{w}: booster must be a Missile or None")
        if self.booster is None and self.burnout_speed_mps is None:
            raise BmdcheckError(f"{w}: give either [[stage]] tables or burnout_speed_mps")
        if self.burnout_speed_mps is not None:
            _check(w, "burnout_speed_mps", self.burnout_speed_mps, positive=True)
        _check(w, "burn_time_s", self.burn_time_s, positive=True)
        for key in _LIMIT_KEYS:
            _check(w, key, getattr(self, key))
        if not self.min_intercept_alt_km < self.max_intercept_alt_km:
            raise BmdcheckError(f"{w}: min_intercept_alt_km ({self.min_intercept_alt_km:g}) must be below "
                                f"max_intercept_alt_km ({self.max_intercept_alt_km:g})")
        if not self.min_flight_time_s < self.max_flight_time_s:
            raise BmdcheckError(f"{w}: min_flight_time_s ({self.min_flight_time_s:g}) must be below "
                                f"max_flight_time_s ({self.max_flight_time_s:g})")
        if not self.burn_time_s < self.max_flight_time_s:
            raise BmdcheckError(f"{w}: max_flight_time_s ({self.max_flight_time_s:g}) must exceed "
                                f"burn_time_s ({self.burn_time_s:g})")
        object.__setattr__(self, "spread", check_spread(w, self.spread, self._numbers()))

    def _numbers(self) -> dict[str, float]:
        out = {k: getattr(self, k) for k in ("burn_time_s",) + _LIMIT_KEYS}
        if self.burnout_speed_mps is not None:
            out["burnout_speed_mps"] = self.burnout_speed_mps
        return out

    @property
    def nominal_burnout_speed_mps(self) -> float | None:
        """The stated burnout speed, m/s; ``None`` when the interceptor is given by stages only."""
        return self.burnout_speed_mps

    def spread_of(self, key: str) -> tuple[float, float, float]:
        """(low, nominal, high) of a parameter; (v, v, v) when the catalogue gives no spread."""
        return spread_triple(self.spread, key, self._numbers(), f"interceptor {self.name!r}")

    def __repr__(self) -> str:
        speed = (f"burnout {self.burnout_speed_mps / 1e3:.2f} km/s" if self.burnout_speed_mps is not None
                 else f"{len(self.booster.stages)}-stage booster")
        return (f"Interceptor({self.name!r}, {speed}, burn {self.burn_time_s:.0f} s, "
                f"alt {self.min_intercept_alt_km:g}-{self.max_intercept_alt_km:g} km, "
                f"flight {self.min_flight_time_s:g}-{self.max_flight_time_s:g} s)")


# ---- loading ---------------------------------------------------------------------------------

def interceptor_from_dict(d: dict, origin: str = "<dict>") -> Interceptor:
    """Build an Interceptor from the catalogue's TOML structure (see module docstring)."""
    name = _text(d, "name", origin)
    w = f"interceptor {name!r}"
    check_keys(d, _KEYS, w)
    src: dict = {}
    booster = None
    if d.get("stage"):
        bd = {k: d[k] for k in _BOOSTER_KEYS if k in d}
        booster = missile_from_dict({"name": name, "class": "interceptor", **bd}, origin)
        src.update({f"booster.{k}": v for k, v in booster.sources.items()})
    speed = sourced(d, "burnout_speed_mps", w, src, default=None)
    if booster is None and speed is None:
        raise BmdcheckError(f"{w}: give either [[stage]] tables or burnout_speed_mps")
    burn = sourced(d, "burn_time_s", w, src, default=None if booster is not None else ...)
    if booster is not None:
        if burn is None:
            burn = booster.burn_end_s
            src["burn_time_s"] = "[C] burn end of the stage table (burn times plus coasts)"
        elif abs(burn - booster.burn_end_s) > _BURN_MATCH_S:
            raise BmdcheckError(f"{w}: burn_time_s ({burn:g}) disagrees with the stage table "
                                f"({booster.burn_end_s:g} s)")
    limits = {k: sourced(d, k, w, src) for k in _LIMIT_KEYS}
    values = dict(limits, burn_time_s=burn)
    if speed is not None:
        values["burnout_speed_mps"] = speed
    return Interceptor(
        name=name,
        party=str(d.get("party", "")),
        summary=str(d.get("summary", "")),
        booster=booster,
        burnout_speed_mps=speed,
        burn_time_s=burn,
        spread=check_spread(w, read_spread(d, w), values, match_nominal=True),
        sources=src,
        **limits,
    )


def load_interceptor_file(path: str | Path) -> Interceptor:
    """Load one interceptor TOML file."""
    return interceptor_from_dict(read_toml(path, "interceptor"), str(path))


@lru_cache(maxsize=None)
def interceptor_catalogue() -> Mapping[str, Interceptor]:
    """All interceptors shipped in the catalogue, by (lower-case) name; read-only."""
    out = {}
    for entry in sorted(resources.files(_DATA).iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            i = interceptor_from_dict(_parse(entry.read_text(), entry.name), entry.name)
            if i.name != entry.name[:-5]:
                raise BmdcheckError(f"{entry.name}: interceptor name {i.name!r} must equal the file stem")
            add_unique(out, i.name, i, "interceptor", entry.name)
    return MappingProxyType(out)


def get_interceptor(name_or_interceptor: "str | Interceptor") -> Interceptor:
    """A catalogue interceptor by name (case-insensitive), a ``.toml`` path, or the Interceptor itself."""
    if isinstance(name_or_interceptor, Interceptor):
        return name_or_interceptor
    key = str(name_or_interceptor).strip()
    if key.lower().endswith(".toml") and Path(key).exists():
        return load_interceptor_file(key)
    return lookup(interceptor_catalogue(), key, "interceptor")


# ---- shared catalogue helpers (also used by sites.py and sensors.py) ---------------------------

def read_toml(path: str | Path, what: str) -> dict:
    """Parse a TOML file; one-line BmdcheckError when it is missing or invalid."""
    p = Path(path)
    try:
        text = p.read_text()
    except FileNotFoundError:
        raise BmdcheckError(f"{what} file not found: {p}") from None
    return _parse(text, str(p))


def _parse(text: str, origin: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise BmdcheckError(f"{origin}: invalid TOML: {e}") from None


def _text(d: dict, key: str, where: str) -> str:
    v = d.get(key)
    if not isinstance(v, str) or not v.strip():
        raise BmdcheckError(f"{where}: missing '{key}' (a non-empty string)")
    return v.strip()


def check_keys(d: dict, allowed, where: str) -> None:
    """Refuse keys outside ``allowed`` (catches misspelt optional parameters)."""
    unknown = set(d) - set(allowed)
    if unknown:
        raise BmdcheckError(f"{where}: unknown keys {sorted(unknown)}")


def sourced(d: dict, key: str, where: str, sources: dict, default: Any = ...) -> Any:
    """The number ``d[key]`` written as ``{ value = X, source = "..." }``; records its source.

    A missing key returns ``default`` (``...`` = required). Booleans, lists and non-finite values
    are refused; so is an empty source.
    """
    if key not in d:
        if default is ...:
            raise BmdcheckError(f"{where}: missing '{key}'")
        return default
    v = d[key]
    if not isinstance(v, dict) or "value" not in v or "source" not in v:
        raise BmdcheckError(f"{where}: '{key}' must be {{ value = ..., source = \"...\" }}")
    if not isinstance(v["source"], str) or not v["source"].strip():
        raise BmdcheckError(f"{where}: '{key}' has an empty source")
    val = v["value"]
    if isinstance(val, bool) or not isinstance(val, (int, float)):
        raise BmdcheckError(f"{where}: '{key}' value must be a number, got {val!r}")
    if not math.isfinite(val):
        raise BmdcheckError(f"{where}: '{key}' value must be finite, got {val!r}")
    sources[key] = v["source"]
    return float(val)


def _check(where: str, key: str, v, positive: bool = False) -> None:
    ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and (v > 0 if positive else v >= 0)
    if not ok:
        raise BmdcheckError(f"{where}: {key} must be {'positive' if positive else 'zero or positive'}, got {v!r}")


def check_position(where: str, obj, more: tuple = ()) -> None:
    """lat_deg, lon_deg, alt_m (and the ``more`` attributes) finite numbers; latitude within ±90°,
    longitude within ±180°. One-line BmdcheckError naming the object and the field."""
    for key in ("lat_deg", "lon_deg", "alt_m") + tuple(more):
        v = getattr(obj, key)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise BmdcheckError(f"{where}: {key} must be a finite number, got {v!r}")
    if not -90.0 <= obj.lat_deg <= 90.0:
        raise BmdcheckError(f"{where}: lat_deg must be within ±90, got {obj.lat_deg:g}")
    if not -180.0 <= obj.lon_deg <= 180.0:
        raise BmdcheckError(f"{where}: lon_deg must be within ±180, got {obj.lon_deg:g}")


def read_spread(d: dict, where: str) -> dict:
    """The ``[spread.KEY]`` tables of an entry as ``{key: {low, nominal, high, source}}`` (nominal may be absent)."""
    raw = d.get("spread", {})
    if not isinstance(raw, dict):
        raise BmdcheckError(f"{where}: 'spread' must be a table of [spread.<parameter>] tables")
    out = {}
    for key, s in raw.items():
        if not isinstance(s, dict):
            raise BmdcheckError(f"{where}: spread.{key} must be a table with low, high and source")
        entry = {}
        for part in ("low", "nominal", "high"):
            if part in s:
                x = s[part]
                if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
                    raise BmdcheckError(f"{where}: spread.{key}.{part} must be a finite number, got {x!r}")
                entry[part] = float(x)
        if "low" not in entry or "high" not in entry:
            raise BmdcheckError(f"{where}: spread.{key} needs 'low' and 'high'")
        if not isinstance(s.get("source"), str) or not s["source"].strip():
            raise BmdcheckError(f"{where}: spread.{key} needs a non-empty 'source'")
        unknown = set(s) - {"low", "nominal", "high", "source"}
        if unknown:
            raise BmdcheckError(f"{where}: spread.{key} has unknown keys {sorted(unknown)}")
        entry["source"] = s["source"]
        out[key] = entry
    return out


def check_spread(where: str, spread: Mapping, values: Mapping[str, float], match_nominal: bool = False) -> dict:
    """Return a checked copy of ``spread``: keys must be numeric parameters, low <= nominal <= high.

    A missing nominal is the parameter's value. With ``match_nominal`` (catalogue loading) a given
    nominal must equal the value; afterwards a value may be swept away from it
    (``dataclasses.replace``) without touching the spread.
    """
    if not isinstance(spread, Mapping):
        raise BmdcheckError(f"{where}: spread must be a mapping")
    out = {}
    for key, s in spread.items():
        if key not in values:
            raise BmdcheckError(f"{where}: spread for unknown or non-numeric parameter {key!r}; "
                                f"known: {', '.join(sorted(values))}")
        if not isinstance(s, Mapping):
            raise BmdcheckError(f"{where}: spread.{key} must be a mapping with low, high and source")
        v = values[key]
        lo, nom, hi = s.get("low"), s.get("nominal", v), s.get("high")
        if not all(isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in (lo, nom, hi)):
            raise BmdcheckError(f"{where}: spread.{key} needs finite low, nominal and high")
        if not lo <= nom <= hi:
            raise BmdcheckError(f"{where}: spread.{key} must have low <= nominal <= high, got {lo:g}, {nom:g}, {hi:g}")
        if match_nominal and not math.isclose(nom, v, rel_tol=1e-9, abs_tol=1e-12):
            raise BmdcheckError(f"{where}: spread.{key}.nominal ({nom:g}) must equal the value of {key} ({v:g})")
        out[key] = {"low": float(lo), "nominal": float(nom), "high": float(hi), "source": str(s.get("source", ""))}
    return out


def spread_triple(spread: Mapping, key: str, values: Mapping[str, float], where: str) -> tuple[float, float, float]:
    """(low, nominal, high) for ``key``; (v, v, v) without a spread."""
    if key not in values:
        raise BmdcheckError(f"{where}: no numeric parameter {key!r}; known: {', '.join(sorted(values))}")
    s = spread.get(key)
    if s is None:
        v = float(values[key])
        return v, v, v
    return float(s["low"]), float(s["nominal"]), float(s["high"])


def add_unique(out: dict, name: str, obj, what: str, origin: str) -> None:
    key = name.lower()
    if key in out:
        raise BmdcheckError(f"{origin}: duplicate {what} name {name!r}")
    out[key] = obj


def lookup(cat: Mapping, name: str, what: str):
    """``cat[name]`` case-insensitively, or a one-line 'unknown X' error listing the known names."""
    from ..validate import lookup as checked

    return checked(cat, name, what)
