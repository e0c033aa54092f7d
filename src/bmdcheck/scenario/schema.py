"""The scenario schema: pydantic v2 models of a scenario file (docs/SCENARIOS.md).

A scenario says which defence (sites with interceptor inventories, sensors, engagement timeline)
faces which threats (missile, launch area, aim area, trajectory shapes, salvo times), over which
areas, with which Monte-Carlo uncertainty. Catalogue objects (missiles, sites, interceptors,
radars, early-warning systems) are referenced by name and checked against the catalogues;
numbers carry their unit in the key name (``_s``, ``_m``, ``_km``, ``_deg``, ``_m2``).

Every model forbids unknown keys. Validation errors that belong to a place below the model that
finds them raise :class:`LocError`, which carries that place, so the loader can name the exact
field path and TOML line (``scenario/load.py``).
"""

from __future__ import annotations

import math
import tomllib
from functools import lru_cache
from importlib import resources
from typing import Annotated, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, PrivateAttr, Tag, field_validator, model_validator

from ..catalogues import catalogue_name

MODES = ("local", "launch-on-remote", "engage-on-remote", "early-warning-only")
TIERS = ("local", "remote", "cue")
"""Sensor tiers, as ``defence.engage.TIERS``."""
RCS_MODELS = ("constant", "phase-band")
"""Cross-section models, as ``defence.rcs.MODELS``."""
"""Timeline modes, as ``defence.engage.MODES`` (a test keeps the two equal)."""
SHAPES = ("min-energy", "lofted", "depressed")
"""Trajectory shapes, as ``flight.steering.SHAPES`` (a test keeps the two equal)."""
DISTRIBUTIONS = ("uniform", "normal", "triangular")
DEFAULT_SPACING_KM = 200.0
"""Grid spacing of a polygon area when the file gives none, km."""
MAX_AREA_POINTS = 100_000
"""Upper bound on the grid points considered for one polygon area (guards against a tiny spacing)."""
EARTH_RADIUS_KM = 6371.0
"""Sphere used for area sampling distances (docs/CONVENTIONS.md, spherical Earth), km."""
MAX_SHIP_ALT_M = 100.0
"""As ``defence.sites.MAX_SHIP_ALT_M``: a ship's launcher height above the sea, m."""


class LocError(ValueError):
    """A validation error at ``loc`` relative to the model (or field) whose validator raises it."""

    def __init__(self, loc: tuple, msg: str):
        super().__init__(msg)
        self.loc = tuple(loc)
        self.msg = msg

    @classmethod
    def at(cls, index: int, msg: str) -> "LocError":
        """The error of entry ``index`` of a list."""
        return cls((index,), msg)


@lru_cache(maxsize=1)
def _timeline_defaults() -> dict:
    text = resources.files("bmdcheck.data").joinpath("timeline.toml").read_text()
    return {k: float(v["value"]) for k, v in tomllib.loads(text).items()}


def _catalogue(what: str):
    from ..catalogues import catalogue

    return catalogue(what)


def _names(v, kind: str) -> list:
    """Catalogue names of a list field, none twice; an error names the list index."""
    from ..catalogues import catalogue_names

    return catalogue_names(v, kind, LocError.at)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


Latitude = Annotated[float, Field(ge=-90.0, le=90.0, description="geodetic latitude, degrees north")]
Longitude = Annotated[float, Field(ge=-180.0, le=180.0, description="longitude, degrees east")]
LatLon = tuple[Latitude, Longitude]
Name = Annotated[str, Field(min_length=1)]


# ---- defence --------------------------------------------------------------------------------------

class InlineSite(_Model):
    """A site not in the catalogue: position, kind and (optionally) a catalogue radar placed at it."""

    name: Name = Field(description="site name, unique in the scenario and not a catalogue site name")
    kind: Literal["land", "ship"] = Field("land", description="'land' or 'ship' (a ship's alt_m is 0-100 m)")
    lat_deg: Latitude
    lon_deg: Longitude
    alt_m: float = Field(0.0, ge=0.0, le=9000.0, description="height above the WGS84 ellipsoid, m")
    radar: Optional[str] = Field(None, description="a catalogue radar whose performance is used, placed at this "
                                                   "site (RADAR_MAST_M above it)")

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        key = v.strip().lower()
        if not key:
            raise ValueError("a site name must not be blank")
        if key in _catalogue("site"):
            raise ValueError(f"{v!r} is a catalogue site; write site = {key!r} to use it, or choose another name")
        return key

    @field_validator("radar")
    @classmethod
    def _radar(cls, v):
        return None if v is None else catalogue_name(v, "radar")

    @model_validator(mode="after")
    def _ship_height(self):
        if self.kind == "ship" and self.alt_m > MAX_SHIP_ALT_M:
            raise LocError(("alt_m",), f"a ship's alt_m must be within 0-{MAX_SHIP_ALT_M:g} m, got {self.alt_m:g}")
        return self


def _site_tag(v) -> str:
    return "catalogue" if isinstance(v, str) else "inline"


SiteRef = Annotated[Union[Annotated[str, Tag("catalogue")], Annotated[InlineSite, Tag("inline")]],
                    Discriminator(_site_tag)]
Inventory = dict[str, Annotated[int, Field(ge=0, le=2**31 - 1, description="rounds")]]


class SeaBox(_Model):
    """Where a ship may be: a latitude/longitude box (degrees). Guarantee checks take the worst ship
    position in it as a joint margin (docs/GUARANTEES.md, "Joint margins")."""

    lat_min_deg: Latitude
    lat_max_deg: Latitude
    lon_min_deg: Longitude
    lon_max_deg: Longitude

    @model_validator(mode="after")
    def _area(self):
        if not (self.lat_min_deg < self.lat_max_deg and self.lon_min_deg < self.lon_max_deg):
            raise ValueError(f"a sea box without area: need lat_min_deg < lat_max_deg and lon_min_deg < lon_max_deg, "
                             f"got latitudes {self.lat_min_deg:g}..{self.lat_max_deg:g}, longitudes "
                             f"{self.lon_min_deg:g}..{self.lon_max_deg:g}")
        return self

    def contains(self, lat_deg: float, lon_deg: float) -> bool:
        return self.lat_min_deg <= lat_deg <= self.lat_max_deg and self.lon_min_deg <= lon_deg <= self.lon_max_deg


class SiteEntry(_Model):
    """One site of the defence: a catalogue site name or an inline site, with its inventory."""

    site: SiteRef = Field(description="catalogue site name (`bmdcheck sites`) or an inline "
                                      "{name, kind, lat_deg, lon_deg, alt_m, radar} table")
    interceptors: Optional[Inventory] = Field(
        None, description="interceptor type (`bmdcheck interceptors`) -> rounds; replaces the catalogue inventory; "
                          "required for an inline site")
    sea_box: Optional[SeaBox] = Field(None, description="ships only: {lat_min_deg, lat_max_deg, lon_min_deg, "
                                                        "lon_max_deg}, where the ship may be (it must contain the "
                                                        "site's position); a joint margin of the guarantee checks")

    @field_validator("site")
    @classmethod
    def _site(cls, v):
        return catalogue_name(v, "site") if isinstance(v, str) else v

    @field_validator("interceptors")
    @classmethod
    def _inventory(cls, v):
        if v is None:
            return None
        out = {}
        for k, n in v.items():
            try:
                key = catalogue_name(k, "interceptor")
            except ValueError as e:
                raise LocError((k,), str(e)) from None
            if key in out:
                raise LocError((k,), f"interceptor {key!r} is listed twice")
            out[key] = n
        return dict(sorted(out.items()))

    @model_validator(mode="after")
    def _inline_needs_inventory(self):
        if isinstance(self.site, InlineSite) and self.interceptors is None:
            raise LocError(("interceptors",), "an inline site needs an interceptors table, e.g. "
                                              "interceptors = { \"sm-3-iia\" = 8 }")
        return self

    @model_validator(mode="after")
    def _sea_box_for_ships(self):
        if self.sea_box is None:
            return self
        if isinstance(self.site, InlineSite):
            kind, lat, lon = self.site.kind, self.site.lat_deg, self.site.lon_deg
        else:
            c = _catalogue("site")[self.site]
            kind, lat, lon = c.kind, c.lat_deg, c.lon_deg
        if kind != "ship":
            raise LocError(("sea_box",), f"site {self.name!r} is a {kind} site: only a ship has a sea box")
        if not self.sea_box.contains(lat, lon):
            raise LocError(("sea_box",), f"the sea box of site {self.name!r} does not contain its position "
                                         f"({lat:g}, {lon:g})")
        return self

    @property
    def name(self) -> str:
        """The site's name (catalogue name or the inline name)."""
        return self.site if isinstance(self.site, str) else self.site.name


def plan_site_ops(inherited: list[str], remove: list[str], replace: list[str], add: list[str]) -> list[tuple[str, int]]:
    """The site list after ``sites_remove``, ``sites_replace`` and ``sites_add``, in that order.

    Returns entries ("sites", i), ("sites_replace", j) or ("sites_add", j). A replaced site keeps its
    place; added sites go to the end. Raises LocError (relative to [defence]) when a removed or
    replaced site is not in the list, or an added site already is.
    """
    plan: list = [("sites", i) for i in range(len(inherited))]
    names = list(inherited)
    for k, name in enumerate(remove):
        if name not in names:
            raise LocError(("sites_remove", k), f"site {name!r} is not in the inherited site list "
                                                 f"({', '.join(map(str, names)) or 'empty'})")
        i = names.index(name)
        del names[i], plan[i]
    for j, name in enumerate(replace):
        if name not in names:
            raise LocError(("sites_replace", j, "site"), f"site {name!r} is not in the inherited site list "
                                                          f"({', '.join(map(str, names)) or 'empty'}); use sites_add")
        i = names.index(name)
        if plan[i][0] == "sites_replace":
            raise LocError(("sites_replace", j, "site"), f"site {name!r} is replaced twice")
        plan[i] = ("sites_replace", j)
    for j, name in enumerate(add):
        if name in names:
            raise LocError(("sites_add", j, "site"), f"site {name!r} is already in the site list; "
                                                      f"use sites_replace to change it")
        names.append(name)
        plan.append(("sites_add", j))
    return plan


class Defence(_Model):
    """The interceptor sites. ``sites_remove``, ``sites_replace`` and ``sites_add`` edit an inherited
    list (include), applied in that order (docs/SCENARIOS.md)."""

    sites: list[SiteEntry] = Field(default_factory=list, description="the sites (replaces an inherited list)")
    sites_remove: list[str] = Field(default_factory=list, description="names of inherited sites to drop")
    sites_replace: list[SiteEntry] = Field(default_factory=list,
                                           description="entries replacing the inherited sites of the same name, "
                                                       "in place")
    sites_add: list[SiteEntry] = Field(default_factory=list,
                                       description="sites appended to the inherited list (after sites_remove and "
                                                   "sites_replace)")

    @model_validator(mode="after")
    def _apply_ops(self):
        remove = [n.strip().lower() for n in self.sites_remove]
        if self.sites_add or self.sites_replace or remove:
            plan = plan_site_ops([e.name for e in self.sites], remove, [e.name for e in self.sites_replace],
                                 [e.name for e in self.sites_add])
            self.sites = [getattr(self, part)[i] for part, i in plan]
            self.sites_add, self.sites_replace, self.sites_remove = [], [], []
        seen: dict = {}
        for j, e in enumerate(self.sites):
            if e.name in seen:
                raise LocError(("sites", j, "site"), f"site {e.name!r} appears twice (also sites[{seen[e.name]}])")
            seen[e.name] = j
        return self


# ---- sensors and timeline -------------------------------------------------------------------------

class Sensors(_Model):
    """Early warning and the remote radars available to the defence."""

    early_warning: str = Field(description="early-warning system (`bmdcheck sensors`) or \"none\"")
    remote_radars: list[str] = Field(default_factory=list,
                                     description="catalogue radars that can cue or guide the defence")

    @field_validator("early_warning")
    @classmethod
    def _ew(cls, v: str) -> str:
        return catalogue_name(v, "early-warning system", extra=("none",))

    @field_validator("remote_radars")
    @classmethod
    def _radars(cls, v: list) -> list:
        return _names(v, "radar")


class Timeline(_Model):
    """Detection -> track -> decision -> launch (docs/design/engagement.md, ``TimelineSpec``).

    Defaults are the catalogue's assumptions in ``data/timeline.toml``.
    """

    mode: Literal[MODES] = Field("local", description="sensor timeline: " + ", ".join(MODES))
    decision_delay_s: float = Field(_timeline_defaults()["decision_delay_s"], ge=0.0,
                                    description="track to interceptor launch, s")
    rcs_m2: float = Field(_timeline_defaults()["rcs_m2"], gt=0.0,
                          description="threat radar cross-section, m² (radar ranges scale as rcs^(1/4))")
    kill_assessment_s: float = Field(_timeline_defaults()["kill_assessment_s"], ge=0.0,
                                     description="shoot-look-shoot delay, s")
    remote_radar: Optional[str] = Field(None, description="the remote radar of launch-on-remote / engage-on-remote; "
                                                          "one of sensors.remote_radars")
    tiers: list[Literal[TIERS]] = Field(default_factory=lambda: list(TIERS), min_length=1,
                                        description="sensor tiers assessed (docs/design/engagement.md): "
                                                    + ", ".join(TIERS) + " (default: all three)")
    network_latency_s: float = Field(_timeline_defaults()["network_latency_s"], ge=0.0,
                                     description="remote tier: remote track to the site's fire control, s")
    rcs_model: Literal[RCS_MODELS] = Field("constant", description="threat cross-section: 'constant' (rcs_m2 "
                                                                   "throughout) or 'phase-band' (data/rcs.toml)")

    @field_validator("tiers")
    @classmethod
    def _tiers(cls, v: list) -> list:
        for k, t in enumerate(v):
            if t in v[:k]:
                raise LocError((k,), f"tier {t!r} is listed twice")
        return v

    @field_validator("remote_radar")
    @classmethod
    def _radar(cls, v):
        return None if v is None else catalogue_name(v, "radar")


# ---- threats and areas ----------------------------------------------------------------------------

class Threat(_Model):
    """Missiles of one type flown from every point of one area to every point of another."""

    missile: str = Field(description="catalogue missile (`bmdcheck missiles`)")
    launch: Name = Field(description="name of the launch area in [areas]")
    aim: Name = Field(description="name of the aim area in [areas]")
    shapes: list[Literal[SHAPES]] = Field(default_factory=lambda: ["min-energy"], min_length=1,
                                          description="trajectory shapes: " + ", ".join(SHAPES))
    launch_times_s: list[Annotated[float, Field(ge=0.0)]] = Field(
        default_factory=lambda: [0.0], min_length=1,
        description="launch times of a salvo, s after the scenario's t = 0; one missile per time per "
                    "(launch, aim) point")

    @field_validator("missile")
    @classmethod
    def _missile(cls, v: str) -> str:
        return catalogue_name(v, "missile")

    @field_validator("shapes")
    @classmethod
    def _unique(cls, v: list) -> list:
        for k, s in enumerate(v):
            if s in v[:k]:
                raise LocError((k,), f"shape {s!r} is listed twice")
        return v


def polygon_area_deg2(poly) -> float:
    """Signed shoelace area of a (lat, lon) polygon in the lon-lat plane, deg²."""
    a = 0.0
    n = len(poly)
    for i in range(n):
        (y0, x0), (y1, x1) = poly[i], poly[(i + 1) % n]
        a += x0 * y1 - x1 * y0
    return 0.5 * a


class Area(_Model):
    """A launch or aim area: one ``point``, a list of ``points``, or a ``polygon`` sampled on a grid.

    Points are [lat, lon] in degrees. A polygon is sampled every ``spacing_km`` (default 200 km;
    docs/SCENARIOS.md) and must not cross the antimeridian.
    """

    point: Optional[LatLon] = Field(None, description="[lat, lon], degrees")
    points: Optional[list[LatLon]] = Field(None, min_length=1, description="[[lat, lon], ...], degrees")
    polygon: Optional[list[LatLon]] = Field(None, min_length=3,
                                            description="vertices [[lat, lon], ...], degrees, not crossing the "
                                                        "antimeridian; closing vertex optional")
    spacing_km: Optional[float] = Field(None, gt=0.0, description="grid spacing for a polygon, km (default 200)")

    @model_validator(mode="after")
    def _one_kind(self):
        given = [k for k in ("point", "points", "polygon") if getattr(self, k) is not None]
        if len(given) != 1:
            raise LocError((given[1],) if len(given) > 1 else (),
                           "an area needs exactly one of point = [lat, lon], points = [[lat, lon], ...] or "
                           "polygon = [[lat, lon], ...]" + (f"; got {', '.join(given)}" if given else ""))
        if self.polygon is None:
            if self.spacing_km is not None:
                raise LocError(("spacing_km",), "spacing_km applies to a polygon area only")
            return self
        poly = [tuple(p) for p in self.polygon]
        if len(poly) > 3 and poly[0] == poly[-1]:
            poly = poly[:-1]
        if len(set(poly)) < 3:
            raise LocError(("polygon",), "a polygon needs at least 3 distinct vertices")
        lons = [p[1] for p in poly]
        if max(lons) - min(lons) >= 180.0:
            raise LocError(("polygon",), "a polygon spanning 180° or more of longitude (or crossing the "
                                         "antimeridian) is not supported; split it into two areas")
        if abs(polygon_area_deg2(poly)) < 1e-12:
            raise LocError(("polygon",), "the polygon has zero area (collinear vertices)")
        if self.spacing_km is None:
            self.spacing_km = DEFAULT_SPACING_KM
        lats = [p[0] for p in poly]
        dlat = math.degrees(self.spacing_km / EARTH_RADIUS_KM)
        cos_min = max(math.cos(math.radians(max(abs(min(lats)), abs(max(lats))))), 1e-3)
        n_est = ((max(lats) - min(lats)) / dlat + 1) * ((max(lons) - min(lons)) * cos_min / dlat + 1)
        if n_est > MAX_AREA_POINTS:
            raise LocError(("spacing_km",), f"spacing {self.spacing_km:g} km is too fine for this polygon "
                                            f"(~{n_est:,.0f} grid points; at most {MAX_AREA_POINTS:,})")
        return self


# ---- uncertainty ----------------------------------------------------------------------------------

class Dist(_Model):
    """A distribution: uniform (low, high), normal (mean, sd; truncated to the valid domain) or
    triangular (low, mode, high)."""

    dist: Literal[DISTRIBUTIONS] = Field(description="uniform | normal | triangular")
    low: Optional[float] = None
    high: Optional[float] = None
    mean: Optional[float] = None
    sd: Optional[float] = None
    mode: Optional[float] = None

    @model_validator(mode="after")
    def _params(self):
        need = {"uniform": ("low", "high"), "normal": ("mean", "sd"), "triangular": ("low", "mode", "high")}[self.dist]
        for k in ("low", "high", "mean", "sd", "mode"):
            if k in need and getattr(self, k) is None:
                raise LocError((), f"a {self.dist} distribution needs {', '.join(need)}; {k!r} is missing")
            if k not in need and getattr(self, k) is not None:
                raise LocError((k,), f"{k!r} is not used by a {self.dist} distribution (give {', '.join(need)})")
        if self.dist == "normal" and not self.sd > 0:
            raise LocError(("sd",), f"sd must be > 0, got {self.sd:g}")
        if self.dist in ("uniform", "triangular") and not self.low < self.high:
            raise LocError(("high",), f"need low < high, got low = {self.low:g}, high = {self.high:g}")
        if self.dist == "triangular" and not self.low <= self.mode <= self.high:
            raise LocError(("mode",), f"need low <= mode <= high, got {self.low:g}, {self.mode:g}, {self.high:g}")
        return self



UNCERTAIN = {"burnout_speed_scale": (0.0, False, "a scale factor on every interceptor's burnout speed"),
             "decision_delay_s": (0.0, True, "the decision delay, s (replaces timeline.decision_delay_s)"),
             "detection_range_scale": (0.0, False, "a scale factor on every radar's detection range")}
"""Uncertain inputs: name -> (domain bound, bound allowed, meaning). The order is the draw order."""


class Uncertainty(_Model):
    """Monte-Carlo draws. Draw 0 is the nominal case; draws 1.. sample the distributions given."""

    seed: int = Field(0, ge=0, description="seed of numpy.random.default_rng")
    draws: int = Field(1, ge=1, le=100_000, description="number of draws, the nominal draw 0 included")
    burnout_speed_scale: Optional[Dist] = Field(None, description=UNCERTAIN["burnout_speed_scale"][2])
    decision_delay_s: Optional[Dist] = Field(None, description=UNCERTAIN["decision_delay_s"][2])
    detection_range_scale: Optional[Dist] = Field(None, description=UNCERTAIN["detection_range_scale"][2])

    @model_validator(mode="after")
    def _domains(self):
        for key, (bound, closed, _) in UNCERTAIN.items():
            d = getattr(self, key)
            if d is None:
                continue
            lo, what = (d.mean, "mean") if d.dist == "normal" else (d.low, "low")
            ok = lo >= bound if closed else lo > bound
            if not ok:
                raise LocError((key, what), f"{key} must be {'>=' if closed else '>'} {bound:g}, "
                                            f"so {what} must be too; got {lo:g}")
        return self


# ---- the scenario ---------------------------------------------------------------------------------

class Scenario(_Model):
    """A complete scenario (after include resolution). See docs/SCENARIOS.md for the file format."""

    name: Name = Field(description="scenario name")
    description: str = Field("", description="what the scenario represents, with its date")
    include: list[str] = Field(default_factory=list,
                               description="files merged under this one, paths relative to this file "
                                           "(resolved and emptied by load_scenario)")
    defence: Defence
    sensors: Sensors
    timeline: Timeline = Field(default_factory=Timeline)
    threats: list[Threat] = Field(min_length=1)
    areas: dict[str, Area] = Field(description="named launch and aim areas")
    uncertainty: Uncertainty = Field(default_factory=Uncertainty)

    _files: tuple = PrivateAttr(default=())

    @property
    def source_files(self) -> tuple[str, ...]:
        """The files this scenario was loaded from, included files first (empty if built in Python)."""
        return self._files

    @model_validator(mode="after")
    def _references(self):
        if not self.defence.sites:
            raise LocError(("defence", "sites"), "the defence has no sites; expected at least one "
                                                 "[[defence.sites]] entry")
        for i, t in enumerate(self.threats):
            for key in ("launch", "aim"):
                area = getattr(t, key)
                if area not in self.areas:
                    raise LocError(("threats", i, key), f"unknown area {area!r}; expected one of the [areas] "
                                                        f"names: {', '.join(sorted(self.areas)) or '(none defined)'}")
        tl, sn = self.timeline, self.sensors
        if tl.mode in ("launch-on-remote", "engage-on-remote"):
            if tl.remote_radar is None:
                raise LocError(("timeline", "mode"), f"mode {tl.mode!r} needs timeline.remote_radar "
                                                     f"(one of sensors.remote_radars)")
        if tl.remote_radar is not None and tl.remote_radar not in sn.remote_radars:
            listed = ", ".join(sn.remote_radars) or "empty"
            raise LocError(("timeline", "remote_radar"), f"remote radar {tl.remote_radar!r} is not in "
                                                         f"sensors.remote_radars ({listed})")
        if sn.early_warning == "none":
            if tl.mode == "early-warning-only":
                raise LocError(("sensors", "early_warning"), "timeline mode 'early-warning-only' needs an "
                                                             "early-warning system, not \"none\"")
            if tl.mode == "local":
                for j, e in enumerate(self.defence.sites):
                    if _site_radar(e) is None:
                        raise LocError(("sensors", "early_warning"),
                                       f"site {e.name!r} has no radar, so in 'local' mode only early warning can "
                                       f"cue it; give an early-warning system or a remote-radar mode")
        return self


def _site_radar(e: SiteEntry):
    if isinstance(e.site, InlineSite):
        return e.site.radar
    return _catalogue("site")[e.site].radar
