"""The rules file: guarantees stated in the scenario vocabulary, as pydantic models (docs/GUARANTEES.md).

A rules file is TOML::

    name = "epaa-no-russian-icbm"
    [margins]                            # file-wide robustness margins (a rule may override keys)
    burnout_speed_increase_pct = 15.0
    [parties.epaa]                       # who the guarantee binds: catalogue party tokens, named sites/radars
    catalogue_party = ["US", "NATO"]
    [[rule]]
    id = "no-icbm-engagement"
    kind = "engagement"                  # engagement | burnout-speed | inventory | site-count |
    party = "epaa"                       # site-exclusion | radar-coverage | declared-speed-consistent
    missile_class = "icbm"
    launch = ["rvsn-west", "ss18-fields"]
    aim = "*"

Every table rejects unknown keys. Names that the catalogues know (interceptors, missiles, missile
classes, radars) are checked when the file is loaded; names that only a scenario knows (areas,
inline sites) when it is checked against one (:mod:`.scope`). Every problem is one line,
``FILE:LINE: rule[i] 'id'.field: what is wrong; what is expected``.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, PrivateAttr, Tag, ValidationError, field_validator
from pydantic import model_validator

from ..errors import BmdcheckError
from ..scenario.locate import key_lines, line_of, parse_toml, read_input_text
from ..scenario.schema import TIERS, Area, LatLon, LocError
from ..catalogues import catalogue_names
from ..validate import more_problems, pydantic_message

ANY_PARTY = "any"
"""The reserved party that every site and radar of a scenario belongs to."""
ANY_AREA = "*"
"""In ``launch`` / ``aim``: every area of the scenario."""
KINDS = ("engagement", "burnout-speed", "inventory", "site-count", "site-exclusion", "radar-coverage",
         "declared-speed-consistent")
MARGIN_KEYS = ("burnout_speed_increase_pct", "decision_delay_reduction_s", "detection_delay_reduction_s",
               "radar_range_scale", "salvo_window")
"""The robustness margins, in the order they are reported."""
RULE_TIERS = (*TIERS, "worst")
"""An engagement rule's ``tier``: one sensor tier, or the worst case over the scenario's tiers."""
_ID = re.compile(r"[a-z0-9][a-z0-9._-]*")


def _catalogue_names(names, kind: str) -> list:
    """Catalogue names checked and normalised; an unknown one is located by its list index."""
    return catalogue_names(names, kind, LocError.at, unique=False)


_UNITS = ("pct", "s", "km", "m", "mps", "m2", "deg")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


def _missile_classes() -> set[str]:
    from ..flight.missile import catalogue

    return {m.cls for m in catalogue().values()}


# ---- margins and parties --------------------------------------------------------------------------

class Margins(_Model):
    """Robustness margins: how much stronger than declared the defence might be.

    Each margin moves the defence in its strong direction; a rule is checked at the declared values
    and at the corner where every margin applies at once (docs/GUARANTEES.md, "Margins").
    """

    burnout_speed_increase_pct: float = Field(0.0, ge=0.0, le=100.0,
                                              description="interceptor burnout speed + this many per cent")
    decision_delay_reduction_s: float = Field(0.0, ge=0.0, description="decision delay shortened by this, s "
                                                                       "(not below 0)")
    detection_delay_reduction_s: float = Field(0.0, ge=0.0,
                                               description="early-warning cue (detection + report) earlier by "
                                                           "this, s (not below 0)")
    radar_range_scale: float = Field(1.0, ge=1.0, le=10.0, description="every radar's detection range x this")
    salvo_window: bool = Field(False, description="any launch time within each salvo's window, not only the "
                                                  "listed ones")


class Party(_Model):
    """Who a guarantee binds: sites and radars by catalogue party and by name."""

    catalogue_party: list[str] = Field(default_factory=list,
                                       description="tokens of the catalogue's party field, e.g. 'US', 'NATO' "
                                                   "(a site of party 'US (NATO)' has tokens us, nato)")
    sites: list[str] = Field(default_factory=list, description="site names (catalogue or inline) added by name")
    radars: list[str] = Field(default_factory=list, description="catalogue radars added by name (remote radars)")

    @field_validator("catalogue_party")
    @classmethod
    def _tokens(cls, v):
        out = []
        for k, t in enumerate(v):
            toks = party_tokens(t)
            if len(toks) != 1:
                raise LocError((k,), f"expected one word such as 'US' or 'NATO', got {t!r}")
            out.append(next(iter(toks)))
        return out

    @field_validator("sites")
    @classmethod
    def _sites(cls, v):
        return [s.strip().lower() for s in v]

    @field_validator("radars")
    @classmethod
    def _radars(cls, v):
        return _catalogue_names(v, "radar")

    @model_validator(mode="after")
    def _something(self):
        if not (self.catalogue_party or self.sites or self.radars):
            raise LocError((), "a party needs catalogue_party, sites or radars")
        return self


def party_tokens(text: str) -> set[str]:
    """The lower-case words of a catalogue party field: 'US (NATO)' -> {'us', 'nato'}."""
    return {t for t in re.split(r"[^0-9a-z]+", str(text).lower()) if t}


# ---- rules ----------------------------------------------------------------------------------------

def _interceptor_list(v):
    return None if v is None else catalogue_names(v, "interceptor", LocError.at)


class _Rule(_Model):
    id: str = Field(description="unique rule name: lower-case letters, digits, '.', '_', '-'")
    statement: str = Field("", description="the guarantee in words")
    source: str = Field("", description="where the guarantee comes from")
    party: str = Field(ANY_PARTY, description="a party of [parties], or 'any'")
    interceptors: Optional[list[str]] = Field(None, min_length=1,
                                              description="only these catalogue interceptor types (default: all)")
    site_kind: Optional[Literal["land", "ship"]] = Field(None, description="only land sites or only ships "
                                                                          "(default: both)")
    margins: Optional[Margins] = Field(None, description="margins for this rule; keys given here replace the "
                                                         "file-wide [margins] keys")

    @field_validator("id")
    @classmethod
    def _id(cls, v):
        if not _ID.fullmatch(v):
            raise ValueError(f"expected lower-case letters, digits, '.', '_' or '-', got {v!r}")
        return v

    @field_validator("party")
    @classmethod
    def _party(cls, v):
        return v.strip().lower()

    @field_validator("interceptors")
    @classmethod
    def _its(cls, v):
        return _interceptor_list(v)


AreaNames = Union[str, list[str]]


def _areas(v):
    names = [v] if isinstance(v, str) else list(v)
    if not names:
        raise ValueError("expected an area name, a list of area names, or \"*\"")
    if ANY_AREA in names and len(names) > 1:
        raise ValueError("\"*\" (every area) cannot be combined with area names")
    return [n.strip() for n in names]


class EngagementRule(_Rule):
    """No interceptor of the party may have a feasible intercept window against the selected
    trajectories (or against more than ``max_fraction`` of them; or with the earliest intercept
    before ``no_intercept_before_s``)."""

    kind: Literal["engagement"]
    missile_class: Optional[str] = Field(None, description="catalogue missile class, e.g. 'icbm'")
    missiles: Optional[list[str]] = Field(None, min_length=1, description="catalogue missile names")
    launch: AreaNames = Field(ANY_AREA, description="launch area name(s) of the scenario, or \"*\"")
    aim: AreaNames = Field(ANY_AREA, description="aim area name(s) of the scenario, or \"*\"")
    max_fraction: float = Field(0.0, ge=0.0, le=1.0,
                                description="largest allowed fraction of the selected trajectories that the "
                                            "party can engage")
    no_intercept_before_s: Optional[float] = Field(
        None, ge=0.0, description="count only windows whose earliest intercept is before this time, s after the "
                                  "scenario's t = 0 (launch time + time of flight)")
    tier: Literal[RULE_TIERS] = Field("worst", description="sensor tier the rule is checked at: local, remote, cue, "
                                                         "or 'worst' (every tier of the scenario; the worst case)")

    @field_validator("missile_class")
    @classmethod
    def _class(cls, v):
        if v is None:
            return v
        known = _missile_classes()
        key = v.strip().lower()
        if key not in known:
            raise ValueError(f"unknown missile class {v!r}; expected one of: {', '.join(sorted(known))}")
        return key

    @field_validator("missiles")
    @classmethod
    def _missiles(cls, v):
        return None if v is None else _catalogue_names(v, "missile")

    @field_validator("launch", "aim")
    @classmethod
    def _area_names(cls, v):
        return _areas(v)


class BurnoutSpeedRule(_Rule):
    """Every deployed interceptor of the party (of the listed types) has burnout speed <= max_mps."""

    kind: Literal["burnout-speed"]
    max_mps: float = Field(gt=0.0, description="largest allowed burnout speed, m/s")


class InventoryRule(_Rule):
    """No site of the party holds more than max_rounds_per_site rounds (of the listed types)."""

    kind: Literal["inventory"]
    max_rounds_per_site: int = Field(ge=0, description="largest allowed number of rounds at one site")


class SiteCountRule(_Rule):
    """The party has at most max_sites sites holding rounds (of the listed types)."""

    kind: Literal["site-count"]
    max_sites: int = Field(ge=0, description="largest allowed number of sites")


class SiteExclusionRule(_Rule):
    """No site of the party (holding the listed types) inside ``polygon``, or within ``within_km`` of
    ``point``."""

    kind: Literal["site-exclusion"]
    polygon: Optional[list[LatLon]] = Field(None, min_length=3,
                                            description="[[lat, lon], ...], degrees (even-odd rule in the "
                                                        "lon-lat plane)")
    point: Optional[LatLon] = Field(None, description="[lat, lon], degrees")
    within_km: Optional[float] = Field(None, gt=0.0, description="great-circle distance from point, km")

    @model_validator(mode="after")
    def _shape(self):
        if (self.polygon is None) == (self.point is None):
            raise LocError((), "give either polygon = [[lat, lon], ...] or point = [lat, lon] with within_km")
        if self.point is not None and self.within_km is None:
            raise LocError(("within_km",), "point needs within_km (great-circle distance, km)")
        if self.polygon is not None:
            if self.within_km is not None:
                raise LocError(("within_km",), "within_km applies to point, not to polygon")
            try:
                Area(polygon=self.polygon)
            except ValidationError as e:
                raise LocError(("polygon",), _first_msg(e)) from None
        return self


class RadarCoverageRule(_Rule):
    """No radar of the party sees any sampled point of an area at ``target_alt_km`` (for a target of
    ``rcs_m2``), within its range, elevation limits, azimuth sector and the Earth's horizon."""

    kind: Literal["radar-coverage"]
    radars: Optional[list[str]] = Field(None, min_length=1,
                                        description="only these radars (catalogue names, or 'radar@site' of an "
                                                    "inline site)")
    area: Optional[str] = Field(None, description="an area name of the scenario")
    region: Optional[Area] = Field(None, description="an inline area: point, points or polygon (+ spacing_km)")
    target_alt_km: float = Field(ge=0.0, le=5000.0, description="target altitude above the ellipsoid, km")
    rcs_m2: float = Field(gt=0.0, description="target radar cross-section, m² (range scales as rcs^(1/4))")

    @field_validator("radars")
    @classmethod
    def _radar_names(cls, v):
        return None if v is None else [r.strip().lower() for r in v]

    @model_validator(mode="after")
    def _target(self):
        if (self.area is None) == (self.region is None):
            raise LocError((), "give either area = \"<scenario area>\" or region = { point | points | polygon }")
        return self


class InterceptTest(_Model):
    """An announced intercept test: the interceptor's site, the intercept point and (optionally) its
    time of flight; its Lambert bound is the lowest burnout speed it shows (``reconstruct-intercept``)."""

    site: LatLon = Field(description="[lat, lon] of the interceptor launch site, degrees")
    site_alt_km: float = Field(0.0, ge=-1.0, le=10.0, description="site altitude above the ellipsoid, km")
    intercept: list[float] = Field(min_length=3, max_length=3, description="[lat, lon, alt_km] of the intercept")
    time_of_flight_s: Optional[float] = Field(None, gt=0.0, description="interceptor launch to intercept, s "
                                                                        "(default: the least-speed time)")
    burn_time_s: float = Field(0.0, ge=0.0, description="interceptor burn time, s (the coast starts then)")

    @field_validator("intercept")
    @classmethod
    def _point(cls, v):
        if not (-90 <= v[0] <= 90 and -180 <= v[1] <= 360 and 0 <= v[2] <= 5000):
            raise ValueError(f"expected [lat, lon, alt_km] with |lat| <= 90, alt 0-5,000 km, got {v}")
        return v

    @model_validator(mode="after")
    def _times(self):
        if self.time_of_flight_s is not None and self.time_of_flight_s <= self.burn_time_s:
            raise LocError(("time_of_flight_s",), "the time of flight must be longer than the burn time")
        return self


class DeclaredSpeedRule(_Rule):
    """Every listed interceptor type's declared burnout speed is at least what a test showed
    (``shown_mps``, or the Lambert bound of ``test``), less ``tolerance_pct``."""

    kind: Literal["declared-speed-consistent"]
    shown_mps: Optional[float] = Field(None, gt=0.0, description="lowest burnout speed the test showed, m/s")
    test: Optional[InterceptTest] = Field(None, description="the test geometry; its Lambert bound is computed")
    tolerance_pct: float = Field(0.0, ge=0.0, le=50.0, description="the declared speed may fall this many per cent "
                                                                   "below the shown speed (measurement slack)")

    @model_validator(mode="after")
    def _one_source(self):
        if (self.shown_mps is None) == (self.test is None):
            raise LocError((), "give either shown_mps = <m/s> or a [rule.test] table (site, intercept, ...)")
        if not self.interceptors:
            raise LocError(("interceptors",), "list the interceptor types the test was of, e.g. [\"sm-3-iia\"]")
        return self


def _kind(v) -> str:
    return v.get("kind", "") if isinstance(v, dict) else getattr(v, "kind", "")


Rule = Annotated[Union[Annotated[EngagementRule, Tag("engagement")],
                       Annotated[BurnoutSpeedRule, Tag("burnout-speed")],
                       Annotated[InventoryRule, Tag("inventory")],
                       Annotated[SiteCountRule, Tag("site-count")],
                       Annotated[SiteExclusionRule, Tag("site-exclusion")],
                       Annotated[RadarCoverageRule, Tag("radar-coverage")],
                       Annotated[DeclaredSpeedRule, Tag("declared-speed-consistent")]], Discriminator(_kind)]


class RulesFile(_Model):
    """A rules file: parties, file-wide margins and the rules (docs/GUARANTEES.md)."""

    name: str = Field(min_length=1, description="name of the rule set")
    description: str = Field("", description="what the guarantees are, with their date")
    margins: Margins = Field(default_factory=Margins, description="file-wide margins")
    parties: dict[str, Party] = Field(default_factory=dict, description="named parties")
    rule: list[Rule] = Field(min_length=1, description="the rules, [[rule]] tables")

    _path: str = PrivateAttr(default="<rules>")
    _lines: dict = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _references(self):
        for name in self.parties:
            if name.strip().lower() == ANY_PARTY:
                raise LocError(("parties", name), f"'{ANY_PARTY}' is reserved (it means every site and radar)")
        parties = {n.strip().lower(): n for n in self.parties}
        seen: dict = {}
        for i, r in enumerate(self.rule):
            if r.id in seen:
                raise LocError(("rule", i, "id"), f"rule id {r.id!r} is used twice (also rule[{seen[r.id]}])")
            seen[r.id] = i
            if r.party != ANY_PARTY and r.party not in parties:
                known = ", ".join([ANY_PARTY] + sorted(parties))
                raise LocError(("rule", i, "party"), f"unknown party {r.party!r}; expected one of: {known} "
                                                     f"(declared in [parties])")
        self.parties = {n.strip().lower(): p for n, p in self.parties.items()}
        return self

    @property
    def path(self) -> str:
        """The file the rules were read from (as given)."""
        return self._path

    def effective_margins(self, rule) -> Margins:
        """The rule's margins: the file-wide [margins], with the keys the rule sets replaced."""
        if rule.margins is None:
            return self.margins
        d = self.margins.model_dump()
        d.update(rule.margins.model_dump(include=rule.margins.model_fields_set))
        return Margins(**d)

    def error(self, loc: tuple, msg: str) -> BmdcheckError:
        """A one-line error at ``loc`` (a key path of this file), for checks that need a scenario."""
        return BmdcheckError(f"{self._path}:{line_of(self._lines, loc)}: {self._where(loc)}: {msg}")

    def _where(self, loc: tuple) -> str:
        return _path(loc, self.rule)

    def canonical(self) -> str:
        """The validated rules as canonical JSON (sorted keys, no whitespace): what a verdict depends on."""
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                          allow_nan=False)

    def sha256(self) -> str:
        """SHA-256 of :meth:`canonical`."""
        return hashlib.sha256(self.canonical().encode("utf-8")).hexdigest()


# ---- loading --------------------------------------------------------------------------------------

def shipped_rules() -> dict[str, Path]:
    """The rules files shipped in ``bmdcheck/data/rules``, by name (file stem)."""
    d = resources.files("bmdcheck.data").joinpath("rules")
    return {Path(e.name).stem: Path(str(e)) for e in sorted(d.iterdir(), key=lambda e: e.name)
            if e.name.endswith(".toml")}


def load_rules(path) -> RulesFile:
    """Read and validate a rules file; raise a one-line BmdcheckError on any problem.

    ``path``: a TOML file, or the name of a shipped rules file (``"speed-caps"``).
    """
    p = Path(path)
    if not p.exists() and p.suffix == "" and str(path) == p.name and p.name in shipped_rules():
        p = shipped_rules()[p.name]
    display = str(path)
    return rules_from_text(read_input_text(p, display, "rules"), display)


def rules_from_text(text: str, display: str = "<rules>") -> RulesFile:
    """Validate rules from TOML text; ``display`` names the file in error messages."""
    data = parse_toml(text, display)
    lines = key_lines(text)
    try:
        r = RulesFile.model_validate_json(json.dumps(data, default=str), strict=True)
    except ValidationError as e:
        raise _from_validation(e, data, lines, display) from None
    r._path, r._lines = display, lines
    return r


# ---- error messages -------------------------------------------------------------------------------

def _rule_id(rules, i) -> str | None:
    try:
        r = rules[i]
    except (IndexError, TypeError, KeyError):
        return None
    rid = r.get("id") if isinstance(r, dict) else getattr(r, "id", None)
    return rid if isinstance(rid, str) else None


def _path(loc: tuple, rules) -> str:
    """'rule[0] 'id'.margins.x' style path of a key location."""
    out = ""
    for k, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
            if k == 1 and loc[0] == "rule":
                rid = _rule_id(rules, part)
                if rid:
                    out += f" {rid!r}"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _strip_tags(loc: tuple) -> tuple:
    if len(loc) > 2 and loc[0] == "rule" and loc[2] in KINDS:
        loc = loc[:2] + loc[3:]
    return loc


_MODELS = {"engagement": EngagementRule, "burnout-speed": BurnoutSpeedRule, "inventory": InventoryRule,
           "site-count": SiteCountRule, "site-exclusion": SiteExclusionRule, "radar-coverage": RadarCoverageRule,
           "declared-speed-consistent": DeclaredSpeedRule}


def _model_keys(loc: tuple, data: dict) -> list[str] | None:
    """The keys allowed in the table at ``loc`` (the parent of an unknown key)."""
    if loc == ():
        return list(RulesFile.model_fields)
    if loc == ("margins",) or (len(loc) == 3 and loc[0] == "rule" and loc[2] == "margins"):
        return list(Margins.model_fields)
    if len(loc) == 2 and loc[0] == "parties":
        return list(Party.model_fields)
    if len(loc) == 2 and loc[0] == "rule":
        kind = _kind(data.get("rule", [{}])[loc[1]]) if isinstance(data.get("rule"), list) else ""
        m = _MODELS.get(kind)
        return list(m.model_fields) if m else None
    if len(loc) == 3 and loc[0] == "rule" and loc[2] == "region":
        return list(Area.model_fields)
    if len(loc) == 3 and loc[0] == "rule" and loc[2] == "test":
        return list(InterceptTest.model_fields)
    return None


def _unknown_key(loc: tuple, data: dict) -> str:
    key = str(loc[-1])
    allowed = _model_keys(loc[:-1], data)
    if not allowed:
        return f"unknown key {key!r}"
    hint = ""
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    if not close:
        stem = key.rsplit("_", 1)[0] if key.rsplit("_", 1)[-1] not in _UNITS else key
        close = [k for k in allowed if k.rsplit("_", 1)[0] == stem.rsplit("_", 1)[0] and k != key][:1]
    if close:
        hint = f"; did you mean {close[0]!r}? Units are part of the key name"
    return f"unknown key {key!r}{hint}; expected one of: {', '.join(allowed)}"


def _first_msg(e: ValidationError) -> str:
    err = e.errors()[0]
    cause = (err.get("ctx") or {}).get("error")
    return cause.msg if isinstance(cause, LocError) else _message(err)


def _show_json(got) -> str:
    return json.dumps(got) if isinstance(got, (str, int, float, bool, list)) and len(str(got)) < 80 else type(got).__name__


def _message(err: dict) -> str:
    t, ctx = err["type"], err.get("ctx") or {}
    if t == "missing":
        return "missing required key"
    if t in ("greater_than_equal", "greater_than", "less_than_equal", "less_than") and ctx:
        err = {**err, "ctx": {{"greater_than_equal": "ge", "greater_than": "gt", "less_than_equal": "le",
                               "less_than": "lt"}[t]: next(iter(ctx.values()))}}
    text = pydantic_message(err, _show_json)
    if text is not None:
        return text
    if t == "union_tag_invalid":
        return f"unknown rule kind {ctx.get('tag')!r}; expected one of: {', '.join(KINDS)}"
    if t == "union_tag_not_found":
        return f"a rule needs kind = one of: {', '.join(KINDS)}"
    if t in ("too_short", "too_long"):
        return err["msg"][0].lower() + err["msg"][1:]
    return re.sub(r"^Value error, ", "", err["msg"])


def _from_validation(e: ValidationError, data: dict, lines: dict, display: str) -> BmdcheckError:
    rank = {"extra_forbidden": 0, "missing": 2}
    found = []
    for err in sorted(e.errors(), key=lambda x: rank.get(x["type"], 1)):
        loc = _strip_tags(tuple(err["loc"]))
        if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
            loc = loc + ("kind",)
        # a str-or-list field reports both branches: keep the path, drop the branch names
        loc = tuple(p for p in loc if p not in ("str", "list[str]"))
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, LocError):
            loc, msg = loc + cause.loc, cause.msg
        elif loc and loc[-1] in ("launch", "aim") and err["type"] in ("string_type", "list_type"):
            msg = f"expected an area name, a list of area names, or \"{ANY_AREA}\"; got {json.dumps(err.get('input'))}"
        elif err["type"] == "extra_forbidden":
            msg = _unknown_key(loc, data)
        else:
            msg = _message(err)
        found.append((loc, msg))
    # drop the duplicate reports of a union field (the str branch and the list branch)
    uniq = list(dict.fromkeys(found))
    loc, msg = uniq[0]
    more = more_problems(len(uniq))
    rules = data.get("rule") if isinstance(data, dict) else None
    return BmdcheckError(f"{display}:{line_of(lines, loc)}: {_path(loc, rules)}: {msg}{more}".replace("\n", " "))
