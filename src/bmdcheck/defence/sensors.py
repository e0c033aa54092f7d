"""Sensors as data: ground- and sea-based radars, early-warning satellite constellations.

Loaded from TOML files in ``bmdcheck/data/sensors``; a file holds ``[[radar]]`` and/or
``[[early_warning]]`` entries, every number ``{ value = X, source = "..." }`` with optional
``[radar.spread.<parameter>]`` / ``[early_warning.spread.<parameter>]`` tables (low / nominal /
high), as for interceptors (``defence/interceptor.py``; values and grades in
docs/CATALOGUE-DEFENCE.md). The compiled visibility kernels that use these fields live in
``defence/coverage.py``.

Radar fields (docs/design/engagement.md): position (geodetic degrees, ``alt_m`` = antenna height
above the WGS84 ellipsoid), ``range_km`` = detection range of a target of radar cross-section
``rcs_ref_m2``, elevation limits, azimuth field of regard (clockwise from ``azimuth_min_deg`` to
``azimuth_max_deg``; both ``None`` = all azimuths), ``min_track_s`` = continuous visibility needed
for a fire-control-quality track.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from types import MappingProxyType
from typing import Mapping, NamedTuple

import numpy as np

from ..errors import BmdcheckError
from .rcs import BANDS
from .interceptor import (_check, _parse, _text, add_unique, check_keys, check_position, check_spread, lookup,
                          read_spread, sourced, spread_triple)

_DATA = "bmdcheck.data.sensors"
_RADAR_NUMBERS = ("lat_deg", "lon_deg", "alt_m", "range_km", "rcs_ref_m2", "elevation_mask_deg",
                  "max_elevation_deg", "azimuth_min_deg", "azimuth_max_deg", "min_track_s")
MIN_ALT_M = -500.0
"""Lowest accepted antenna height, m: a little below the lowest land (Dead Sea shore, ≈ -430 m)."""


@dataclass(frozen=True)
class Radar:
    """A missile-defence or early-warning radar (see module docstring for the fields' meaning).

    Units: degrees, m (``alt_m``), km (``range_km``), m² (``rcs_ref_m2``), s (``min_track_s``).
    """

    name: str
    party: str
    lat_deg: float
    lon_deg: float
    alt_m: float
    range_km: float
    rcs_ref_m2: float
    elevation_mask_deg: float
    max_elevation_deg: float
    azimuth_min_deg: float | None
    azimuth_max_deg: float | None
    min_track_s: float
    sources: dict = field(default_factory=dict, compare=False, repr=False)
    summary: str = field(default="", compare=False, repr=False)
    spread: dict = field(default_factory=dict, compare=False, repr=False)
    band: str | None = None

    def __post_init__(self):
        w = f"radar {self.name!r}"
        if self.band is not None and self.band not in BANDS:
            raise BmdcheckError(f"{w}: band must be one of {', '.join(BANDS)}, got {self.band!r}")
        if not isinstance(self.name, str) or not self.name.strip():
            raise BmdcheckError("radar name must be a non-empty string")
        check_position(w, self, ("elevation_mask_deg", "max_elevation_deg"))
        if self.alt_m < MIN_ALT_M:
            raise BmdcheckError(f"{w}: alt_m {self.alt_m:g} is below {MIN_ALT_M:g} m (below any ground)")
        _check(w, "range_km", self.range_km, positive=True)
        _check(w, "rcs_ref_m2", self.rcs_ref_m2, positive=True)
        _check(w, "min_track_s", self.min_track_s)
        if not -5.0 <= self.elevation_mask_deg < self.max_elevation_deg <= 90.0:
            raise BmdcheckError(f"{w}: need -5 <= elevation_mask_deg < max_elevation_deg <= 90, got "
                                f"{self.elevation_mask_deg:g} and {self.max_elevation_deg:g}")
        a0, a1 = self.azimuth_min_deg, self.azimuth_max_deg
        if (a0 is None) != (a1 is None):
            raise BmdcheckError(f"{w}: give both azimuth_min_deg and azimuth_max_deg, or neither (= 360°)")
        if a0 is not None:
            for key, v in (("azimuth_min_deg", a0), ("azimuth_max_deg", a1)):
                if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0.0 <= v < 360.0:
                    raise BmdcheckError(f"{w}: {key} must be in [0, 360), got {v!r}")
            if a0 == a1:
                raise BmdcheckError(f"{w}: azimuth_min_deg equals azimuth_max_deg; omit both for 360°")
        object.__setattr__(self, "spread", check_spread(w, self.spread, self._numbers()))

    def _numbers(self) -> dict[str, float]:
        return {k: getattr(self, k) for k in _RADAR_NUMBERS if getattr(self, k) is not None}

    @property
    def azimuth_width_deg(self) -> float:
        """Width of the azimuth field of regard, degrees (360 when unrestricted)."""
        if self.azimuth_min_deg is None:
            return 360.0
        return (self.azimuth_max_deg - self.azimuth_min_deg) % 360.0

    def detection_range_m(self, rcs_m2):
        """Return the detection range for targets of radar cross-section ``rcs_m2`` (m², > 0), m.

        R(σ) = range_km · 10³ · (σ / rcs_ref_m2)^(1/4): the radar equation at fixed power,
        aperture and detection threshold (Skolnik, *Introduction to Radar Systems*, 3rd ed.,
        eq. 1.15). Scalar in, float out; array in, array of the same shape out.
        """
        s = np.asarray(rcs_m2, dtype=np.float64)
        if not np.all(np.isfinite(s) & (s > 0)):
            raise BmdcheckError(f"radar {self.name!r}: radar cross-section must be positive and finite")
        r = self.range_km * 1e3 * (s / self.rcs_ref_m2) ** 0.25
        return float(r) if r.ndim == 0 else r

    def spread_of(self, key: str) -> tuple[float, float, float]:
        """(low, nominal, high) of a parameter; (v, v, v) when the catalogue gives no spread."""
        return spread_triple(self.spread, key, self._numbers(), f"radar {self.name!r}")


@dataclass(frozen=True)
class EarlyWarning:
    """An early-warning satellite constellation: when a boosting missile is reported.

    ``detect_after_s``: time after launch at which the plume is detected, s;
    ``report_delay_s``: time from detection to the cue reaching the defence, s.
    """

    name: str
    detect_after_s: float
    report_delay_s: float
    sources: dict = field(default_factory=dict, compare=False, repr=False)
    party: str = field(default="", compare=False)
    summary: str = field(default="", compare=False, repr=False)
    spread: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self):
        w = f"early-warning system {self.name!r}"
        if not isinstance(self.name, str) or not self.name.strip():
            raise BmdcheckError("early-warning system name must be a non-empty string")
        _check(w, "detect_after_s", self.detect_after_s)
        _check(w, "report_delay_s", self.report_delay_s)
        object.__setattr__(self, "spread", check_spread(w, self.spread, self._numbers()))

    def _numbers(self) -> dict[str, float]:
        return {"detect_after_s": self.detect_after_s, "report_delay_s": self.report_delay_s}

    @property
    def cue_time_s(self) -> float:
        """Time after launch when the defence receives the cue: detect_after_s + report_delay_s, s."""
        return self.detect_after_s + self.report_delay_s

    def spread_of(self, key: str) -> tuple[float, float, float]:
        """(low, nominal, high) of a parameter; (v, v, v) when the catalogue gives no spread."""
        return spread_triple(self.spread, key, self._numbers(), f"early-warning system {self.name!r}")


class SensorCatalogue(NamedTuple):
    """The shipped sensors by (lower-case) name: ``radars`` and ``early_warning``, read-only."""

    radars: Mapping[str, Radar]
    early_warning: Mapping[str, EarlyWarning]


# ---- loading ---------------------------------------------------------------------------------

def radar_from_dict(d: dict, origin: str = "<dict>") -> Radar:
    """Build a Radar from one ``[[radar]]`` entry."""
    name = _text(d, "name", f"{origin}: radar")
    w = f"radar {name!r}"
    check_keys(d, ("name", "party", "summary", "spread", "band") + _RADAR_NUMBERS, w)
    src: dict = {}
    band = None
    if "band" in d:
        b = d["band"]
        if not isinstance(b, dict) or not isinstance(b.get("value"), str) or not str(b.get("source", "")).strip():
            raise BmdcheckError(f"{w}: 'band' must be {{ value = \"X\", source = \"...\" }}")
        band = b["value"]
        src["band"] = b["source"]
    vals = {k: sourced(d, k, w, src) for k in ("lat_deg", "lon_deg", "alt_m", "range_km", "rcs_ref_m2",
                                                "elevation_mask_deg", "min_track_s")}
    vals["max_elevation_deg"] = sourced(d, "max_elevation_deg", w, src, default=90.0)
    vals["azimuth_min_deg"] = sourced(d, "azimuth_min_deg", w, src, default=None)
    vals["azimuth_max_deg"] = sourced(d, "azimuth_max_deg", w, src, default=None)
    numbers = {k: v for k, v in vals.items() if v is not None}
    return Radar(name=name, party=str(d.get("party", "")), sources=src, summary=str(d.get("summary", "")), band=band,
                 spread=check_spread(w, read_spread(d, w), numbers, match_nominal=True), **vals)


def early_warning_from_dict(d: dict, origin: str = "<dict>") -> EarlyWarning:
    """Build an EarlyWarning from one ``[[early_warning]]`` entry."""
    name = _text(d, "name", f"{origin}: early_warning")
    w = f"early-warning system {name!r}"
    check_keys(d, ("name", "party", "summary", "spread", "detect_after_s", "report_delay_s"), w)
    src: dict = {}
    vals = {k: sourced(d, k, w, src) for k in ("detect_after_s", "report_delay_s")}
    return EarlyWarning(name=name, sources=src, party=str(d.get("party", "")), summary=str(d.get("summary", "")),
                        spread=check_spread(w, read_spread(d, w), vals, match_nominal=True), **vals)


def sensors_from_dict(d: dict, origin: str = "<dict>") -> SensorCatalogue:
    """All ``[[radar]]`` and ``[[early_warning]]`` entries of one parsed file."""
    unknown = set(d) - {"radar", "early_warning"}
    if unknown:
        raise BmdcheckError(f"{origin}: unknown top-level keys {sorted(unknown)} (expected [[radar]], [[early_warning]])")
    radars: dict = {}
    ews: dict = {}
    for r in d.get("radar", []):
        x = radar_from_dict(r, origin)
        add_unique(radars, x.name, x, "radar", origin)
    for e in d.get("early_warning", []):
        x = early_warning_from_dict(e, origin)
        add_unique(ews, x.name, x, "early-warning system", origin)
    return SensorCatalogue(radars, ews)


@lru_cache(maxsize=None)
def sensor_catalogue() -> SensorCatalogue:
    """All radars and early-warning systems shipped in the catalogue (names unique across both)."""
    radars: dict = {}
    ews: dict = {}
    for entry in sorted(resources.files(_DATA).iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            part = sensors_from_dict(_parse(entry.read_text(), entry.name), entry.name)
            for name, x in part.radars.items():
                add_unique(radars, name, x, "radar", entry.name)
            for name, x in part.early_warning.items():
                add_unique(ews, name, x, "early-warning system", entry.name)
    both = set(radars) & set(ews)
    if both:
        raise BmdcheckError(f"sensor names used for both a radar and an early-warning system: {sorted(both)}")
    return SensorCatalogue(MappingProxyType(radars), MappingProxyType(ews))


def get_radar(name_or_radar: "str | Radar") -> Radar:
    """A catalogue radar by name (case-insensitive), or the Radar itself."""
    if isinstance(name_or_radar, Radar):
        return name_or_radar
    return lookup(sensor_catalogue().radars, name_or_radar, "radar")


def get_early_warning(name_or_system: "str | EarlyWarning") -> EarlyWarning:
    """A catalogue early-warning system by name (case-insensitive), or the EarlyWarning itself."""
    if isinstance(name_or_system, EarlyWarning):
        return name_or_system
    return lookup(sensor_catalogue().early_warning, name_or_system, "early-warning system")
