"""Interceptor sites as data: land bases and ship stations with their inventories.

Loaded from TOML files in ``bmdcheck/data/sites``: one site per file (top-level keys) or several
as ``[[site]]`` entries. Every number is ``{ value = X, source = "..." }``, the inventory too::

    [[site]]
    name = "aegis-ashore-deveselu"
    kind = "land"                   # "land" | "ship"
    status = "operational"          # "operational" | "historic" | "notional"
    party = "US (NATO)"
    radar = "spy-1-deveselu"        # on-site radar (sensor catalogue), or absent
    lat_deg = { value = 44.067, source = "..." }
    lon_deg = { value = 24.383, source = "..." }
    alt_m = { value = 150, source = "..." }
    [site.interceptors]
    "sm-3-ib" = { value = 24, source = "..." }

``alt_m`` is the height above the WGS84 ellipsoid, m. A land site below the ellipsoid is refused
(the catalogue's land sites are all well above it); a ship's is its launcher height above the
sea, 0-100 m. The shipped catalogue is checked against the interceptor and sensor catalogues
(``Site.validate_against``). Values and grades: docs/CATALOGUE-DEFENCE.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from types import MappingProxyType
from typing import Iterable, Mapping

from ..errors import BmdcheckError
from .interceptor import _parse, _text, add_unique, check_keys, check_position, lookup, sourced

_DATA = "bmdcheck.data.sites"
KINDS = ("land", "ship")
STATUSES = ("operational", "historic", "notional")
MAX_SHIP_ALT_M = 100.0


@dataclass(frozen=True)
class Site:
    """An interceptor site: position (geodetic degrees, ``alt_m`` above the WGS84 ellipsoid),
    inventory ``interceptors`` (catalogue interceptor name -> number of rounds) and on-site
    ``radar`` (sensor-catalogue name or ``None``).

    ``status``: "operational", "historic" (e.g. the 2007 Polish GBI site, never built) or
    "notional" (an assumed ship patrol point).
    """

    name: str
    party: str
    kind: str
    lat_deg: float
    lon_deg: float
    alt_m: float
    interceptors: Mapping[str, int] = field(hash=False)
    radar: str | None
    sources: dict = field(default_factory=dict, compare=False, repr=False)
    summary: str = field(default="", compare=False, repr=False)
    status: str = "operational"

    def __post_init__(self):
        w = f"site {self.name!r}"
        if not isinstance(self.name, str) or not self.name.strip():
            raise BmdcheckError("site name must be a non-empty string")
        if self.kind not in KINDS:
            raise BmdcheckError(f"{w}: kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        if self.status not in STATUSES:
            raise BmdcheckError(f"{w}: status must be one of {', '.join(STATUSES)}, got {self.status!r}")
        check_position(w, self)
        if self.kind == "land" and self.alt_m < 0:
            raise BmdcheckError(f"{w}: alt_m {self.alt_m:g} m is below ground (land sites need alt_m >= 0)")
        if self.kind == "ship" and not 0.0 <= self.alt_m <= MAX_SHIP_ALT_M:
            raise BmdcheckError(f"{w}: a ship's alt_m must be within 0-{MAX_SHIP_ALT_M:g} m, got {self.alt_m:g}")
        if self.radar is not None and (not isinstance(self.radar, str) or not self.radar.strip()):
            raise BmdcheckError(f"{w}: radar must be a sensor name or absent")
        if not isinstance(self.interceptors, Mapping):
            raise BmdcheckError(f"{w}: interceptors must map interceptor names to counts")
        inv = {}
        for k, n in self.interceptors.items():
            if isinstance(n, bool) or not isinstance(n, (int, float)) or n != int(n) or n < 0:
                raise BmdcheckError(f"{w}: inventory of {k!r} must be a whole number >= 0, got {n!r}")
            inv[str(k).strip().lower()] = int(n)
        object.__setattr__(self, "interceptors", MappingProxyType(inv))

    @property
    def total_rounds(self) -> int:
        """Interceptors of all types at the site."""
        return sum(self.interceptors.values())

    def validate_against(self, interceptors: Iterable[str], radars: Iterable[str] | None = None) -> "Site":
        """Check the inventory (and, given ``radars``, the on-site radar) names; return the site.

        ``interceptors`` / ``radars``: catalogues (mappings by name) or any iterable of names.
        """
        known = {str(n).lower() for n in interceptors}
        for k in self.interceptors:
            if k not in known:
                raise BmdcheckError(f"site {self.name!r}: unknown interceptor {k!r}; known: {', '.join(sorted(known))}")
        if radars is not None and self.radar is not None:
            rk = {str(n).lower() for n in radars}
            if self.radar.lower() not in rk:
                raise BmdcheckError(f"site {self.name!r}: unknown radar {self.radar!r}; known: {', '.join(sorted(rk))}")
        return self


# ---- loading ---------------------------------------------------------------------------------

def site_from_dict(d: dict, origin: str = "<dict>") -> Site:
    """Build a Site from one site entry (see module docstring)."""
    name = _text(d, "name", f"{origin}: site")
    w = f"site {name!r}"
    check_keys(d, ("name", "party", "kind", "status", "summary", "radar", "lat_deg", "lon_deg", "alt_m",
                   "interceptors"), w)
    src: dict = {}
    pos = {k: sourced(d, k, w, src) for k in ("lat_deg", "lon_deg", "alt_m")}
    raw = d.get("interceptors", {})
    if not isinstance(raw, dict):
        raise BmdcheckError(f"{w}: 'interceptors' must be a table of name = {{ value = N, source = \"...\" }}")
    inv = {}
    for k, v in raw.items():
        s: dict = {}
        n = sourced(raw, k, f"{w} inventory", s)
        if n != int(n):
            raise BmdcheckError(f"{w}: inventory of {k!r} must be a whole number, got {n:g}")
        inv[k] = int(n)
        src[f"interceptors.{k}"] = s[k]
    radar = d.get("radar")
    if radar is not None and not isinstance(radar, str):
        raise BmdcheckError(f"{w}: radar must be a sensor name (string)")
    for key in ("kind", "status"):
        if key in d and not isinstance(d[key], str):
            raise BmdcheckError(f"{w}: {key} must be a string")
    return Site(name=name, party=str(d.get("party", "")), kind=d.get("kind", ""), interceptors=inv,
                radar=radar, sources=src, summary=str(d.get("summary", "")),
                status=d.get("status", "operational"), **pos)


def sites_from_dict(d: dict, origin: str = "<dict>") -> list[Site]:
    """The sites of one parsed file: ``[[site]]`` entries, or a single site at top level."""
    if "site" in d:
        extra = set(d) - {"site"}
        if extra:
            raise BmdcheckError(f"{origin}: keys {sorted(extra)} outside [[site]] entries")
        if not isinstance(d["site"], list):
            raise BmdcheckError(f"{origin}: 'site' must be an array of tables ([[site]])")
        return [site_from_dict(s, origin) for s in d["site"]]
    return [site_from_dict(d, origin)]


@lru_cache(maxsize=None)
def site_catalogue() -> Mapping[str, Site]:
    """All sites shipped in the catalogue by (lower-case) name, checked against the interceptor
    and sensor catalogues; read-only."""
    from .interceptor import interceptor_catalogue
    from .sensors import sensor_catalogue

    out: dict = {}
    icat, radars = interceptor_catalogue(), sensor_catalogue().radars
    for entry in sorted(resources.files(_DATA).iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            for s in sites_from_dict(_parse(entry.read_text(), entry.name), entry.name):
                add_unique(out, s.name, s.validate_against(icat, radars), "site", entry.name)
    return MappingProxyType(out)


def get_site(name_or_site: "str | Site") -> Site:
    """A catalogue site by name (case-insensitive), or the Site itself."""
    if isinstance(name_or_site, Site):
        return name_or_site
    return lookup(site_catalogue(), name_or_site, "site")
