"""Load scenario files: includes, validation, one-line errors, canonical JSON and hash.

``load_scenario(path)`` reads a TOML scenario, merges its ``include`` files under it
(docs/SCENARIOS.md, "Includes and overrides"), validates the result against
:class:`~bmdcheck.scenario.schema.Scenario` and returns it. Every problem is a BmdcheckError
of one line, ``FILE:LINE: FIELD.PATH: what is wrong; what is expected``, where FILE and LINE are
those of the file that wrote the offending value (an included file when the value came from
there). Values are validated strictly: a string is not taken for a number, nor a float for a
whole number.

``canonical_json(s)`` is the resolved scenario as JSON with sorted keys and no whitespace; the
``include`` list, the sites_remove / sites_replace / sites_add directives (already applied) and
unset optional values (null) are left out, so that a new optional key in a later schema version
does not change the hash of existing scenarios;
``scenario_hash(s)`` is its SHA-256, the same on any machine for the same scenario content,
whatever the key order or include structure of the files it came from.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import types
import typing
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ValidationError

from ..errors import BmdcheckError, InputError
from ..validate import more_problems, pydantic_message
from .locate import key_lines, line_of, parse_toml, read_input_text
from .schema import LocError, Scenario, plan_site_ops

SCHEMA_FILE = "scenario.schema.json"
"""The JSON schema shipped in ``bmdcheck/data`` (regenerate with :func:`write_json_schema`)."""
_EXCLUDE = {"include": True, "defence": {"sites_add": True, "sites_replace": True, "sites_remove": True}}
_UNITS = {"s": "seconds", "m": "metres", "km": "kilometres", "deg": "degrees", "m2": "square metres",
          "mps": "metres per second"}
_UNIT_TOKENS = set(_UNITS) | {"min", "h", "hr", "ms", "sec", "rad", "ft", "mi", "nmi", "kmh", "kph", "mph",
                              "cm", "mm", "degrees", "deg2", "km2", "knots", "kn", "seconds", "minutes", "hours",
                              "meters", "metres", "kms"}


# ---- public API -----------------------------------------------------------------------------------

def shipped_scenarios_dir() -> Path:
    """The shipped scenario directory (``bmdcheck/data/scenarios``), symlinks resolved."""
    return Path(str(resources.files("bmdcheck.data").joinpath("scenarios"))).resolve()


def shipped_scenarios() -> dict[str, Path]:
    """The scenarios shipped in ``bmdcheck/data/scenarios``, by name (file stem).

        >>> "epaa-phase4-2013" in shipped_scenarios()
        True
    """
    d = shipped_scenarios_dir()
    return {e.stem: e for e in sorted(d.iterdir(), key=lambda e: e.name) if e.name.endswith(".toml")}


def scenario_file(path) -> Path:
    """The scenario file ``path`` names: an existing file, else a shipped scenario name (with or
    without ``.toml``); a one-line error listing the shipped names otherwise. The one place where
    shipped names are resolved (command line, ``include`` lines, the demo)."""
    p = Path(path)
    if p.is_file():
        return p
    name = p.stem if p.suffix == ".toml" and p.name == str(path) else p.name if str(path) == p.name else None
    ship = shipped_scenarios()
    if name in ship:
        return ship[name]
    raise InputError(f"{path}: scenario file not found; expected a TOML file or a shipped scenario name "
                     f"({', '.join(ship)})", param="scenario")


def load_scenario(path) -> Scenario:
    """Load, resolve and validate a scenario file; raise a one-line BmdcheckError on any problem.

    ``path``: a TOML file, or the name of a shipped scenario (``"epaa-phase3"``).
    """
    p = Path(path) if Path(path).exists() else scenario_file(path)
    files: dict[str, _File] = {}
    data, org = _resolve(p, str(p), (), files, None)
    try:
        s = Scenario.model_validate_json(json.dumps(data, default=str), strict=True)
    except ValidationError as e:
        raise _from_validation(e, org, files) from None
    s._files = tuple(str(f.real) for f in files.values())
    return s


def canonical_json(s: Scenario) -> str:
    """The resolved scenario as canonical JSON: sorted keys, no whitespace, UTF-8 text."""
    return json.dumps(s.model_dump(mode="json", exclude=_EXCLUDE, exclude_none=True), sort_keys=True,
                      separators=(",", ":"),
                      ensure_ascii=False, allow_nan=False)


def scenario_hash(s: Scenario) -> str:
    """SHA-256 (hex) of :func:`canonical_json`."""
    return hashlib.sha256(canonical_json(s).encode("utf-8")).hexdigest()


def json_schema() -> dict:
    """The JSON schema of a scenario file (``Scenario.model_json_schema()``)."""
    return Scenario.model_json_schema()


def write_json_schema(path=None) -> Path:
    """Write :func:`json_schema` (2-space indent) to ``path`` (default: the shipped file); return the path."""
    p = Path(path) if path is not None else Path(str(resources.files("bmdcheck.data").joinpath(SCHEMA_FILE)))
    p.write_text(json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return p


# ---- include resolution with provenance -----------------------------------------------------------

@dataclass
class _Org:
    """Where a value of the merged tree came from: file (display name), key path there, children."""

    file: str
    loc: tuple
    kids: object = None  # dict key -> _Org, list of _Org, or None for a scalar


@dataclass
class _File:
    display: str
    real: Path
    text: str
    _lines: dict | None = None

    @property
    def lines(self) -> dict:
        if self._lines is None:
            self._lines = key_lines(self.text)
        return self._lines


def _annotate(value, file: str, loc: tuple) -> _Org:
    if isinstance(value, dict):
        return _Org(file, loc, {k: _annotate(v, file, loc + (k,)) for k, v in value.items()})
    if isinstance(value, list):
        return _Org(file, loc, [_annotate(v, file, loc + (i,)) for i, v in enumerate(value)])
    return _Org(file, loc)


def _merge(a, ao: _Org, b, bo: _Org):
    """``b`` over ``a``: tables merge key by key (recursively); anything else is replaced."""
    if isinstance(a, dict) and isinstance(b, dict):
        out, kids = dict(a), dict(ao.kids)
        for k, v in b.items():
            if k in out:
                out[k], kids[k] = _merge(out[k], kids[k], v, bo.kids[k])
            else:
                out[k], kids[k] = v, bo.kids[k]
        return out, _Org(bo.file, bo.loc, kids)
    return b, bo


def _err(f: _File, loc: tuple, msg: str) -> BmdcheckError:
    return BmdcheckError(f"{f.display}:{line_of(f.lines, loc)}: {_path(loc)}: {msg}")


def _read(p: Path, display: str, parent: tuple | None) -> tuple[_File, dict]:
    text = read_input_text(p, display, "scenario")
    f = _File(display, p.resolve(), text)
    where = f" (included from {parent[0]}:{parent[1]})" if parent else ""
    return f, parse_toml(text, display, where)


def _site_name(entry):
    if isinstance(entry, dict):
        s = entry.get("site")
        if isinstance(s, dict):
            s = s.get("name")
        if isinstance(s, str):
            return s.strip().lower()
    return None


def _resolve(p: Path, display: str, stack: tuple, files: dict, parent: tuple | None):
    """Parse ``p`` and merge its includes under it; return (data, provenance tree)."""
    if not p.is_file():
        raise BmdcheckError(f"{display}: scenario file not found; expected a TOML file or a shipped scenario name "
                            f"({', '.join(shipped_scenarios())})")
    f, data = _read(p, display, parent)
    inc = data.pop("include", [])
    if not isinstance(inc, list) or not all(isinstance(x, str) for x in inc):
        raise _err(f, ("include",), "expected an array of file paths, e.g. include = [\"base.toml\"]")
    base, base_org = {}, _Org(display, (), {})
    for k, rel in enumerate(inc):
        q = p.parent / rel
        line = line_of(f.lines, ("include", k))
        if not q.is_file() and Path(rel).stem in shipped_scenarios() and rel == Path(rel).name:
            q = scenario_file(rel)  # a shipped scenario name, as on the command line
        if not q.is_file():
            raise BmdcheckError(f"{display}:{line}: include[{k}]: included file {rel!r} not found (looked for {q}); "
                                f"expected a path relative to {display}")
        chain = stack + (f.real,)
        if q.resolve() in chain:
            names = [c.name for c in chain[chain.index(q.resolve()):]] + [q.name]
            raise BmdcheckError(f"{display}:{line}: include[{k}]: include cycle {' -> '.join(names)}; "
                                f"expected a file that does not include this one")
        sub, sub_org = _resolve(q, str(q), chain, files, (display, line))
        base, base_org = _merge(base, base_org, sub, sub_org)
    files[display] = f

    own_org = _annotate(data, display, ())
    ops = {}
    d = data.get("defence")
    if isinstance(d, dict):
        d = data["defence"] = dict(d)
        for key in ("sites_remove", "sites_replace", "sites_add"):
            if key in d:
                ops[key] = (d.pop(key), own_org.kids["defence"].kids.pop(key))
    merged, org = _merge(base, base_org, data, own_org)
    if ops:
        rem = ops.get("sites_remove", ([], None))[0]
        if not isinstance(rem, list) or not all(isinstance(x, str) for x in rem):
            raise _err(f, ("defence", "sites_remove"), "expected an array of site names")
        for key in ("sites_replace", "sites_add"):
            if not isinstance(ops.get(key, ([], None))[0], list):
                raise _err(f, ("defence", key), f"expected an array of site tables, e.g. "
                                                f"{key} = [{{ site = \"aegis-ashore-deveselu\" }}]")
        dm = merged.get("defence", {})
        if not isinstance(dm, dict):
            raise _err(f, ("defence",), "expected a [defence] table")
        merged["defence"] = dm = dict(dm)
        dorg = org.kids.setdefault("defence", _Org(display, ("defence",), {}))
        sites = dm.get("sites", [])
        sites_org = dorg.kids.get("sites", _Org(display, ("defence", "sites"), []))
        if not isinstance(sites, list):
            raise _err(files.get(sites_org.file, f), sites_org.loc, "expected an array of site tables")
        src = {"sites": (sites, sites_org.kids)}
        for key in ("sites_replace", "sites_add"):
            val, o = ops.get(key, ([], None))
            src[key] = (val, o.kids if o is not None else [])
        try:
            plan = plan_site_ops([_site_name(e) for e in sites], [r.strip().lower() for r in rem],
                                 [_site_name(e) for e in src["sites_replace"][0]],
                                 [_site_name(e) for e in src["sites_add"][0]])
        except LocError as e:
            raise _err(f, ("defence",) + e.loc, e.msg) from None
        dm["sites"] = [src[part][0][i] for part, i in plan]
        dorg.kids["sites"] = _Org(display, ("defence", "sites"), [src[part][1][i] for part, i in plan])
    return merged, org


# ---- one-line validation errors -------------------------------------------------------------------

def _path(loc: tuple) -> str:
    out = ""
    for el in loc:
        if isinstance(el, int):
            out += f"[{el}]"
        else:
            el = el if re.fullmatch(r"[A-Za-z0-9_-]+", el) else json.dumps(el)
            out += ("." if out else "") + el
    return out or "(top level)"


def _clean(loc: tuple) -> tuple:
    """Drop the union tags pydantic puts in locations (site = name | inline table)."""
    out = []
    for el in loc:
        if out and out[-1] == "site" and el in ("catalogue", "inline"):
            continue
        out.append(el)
    return tuple(out)


def _origin(root: _Org, loc: tuple) -> tuple[str, tuple]:
    node, i = root, 0
    while i < len(loc):
        kids = node.kids
        if isinstance(kids, dict) and loc[i] in kids:
            node = kids[loc[i]]
        elif isinstance(kids, list) and isinstance(loc[i], int) and 0 <= loc[i] < len(kids):
            node = kids[loc[i]]
        else:
            break
        i += 1
    return node.file, node.loc + tuple(loc[i:])


def _strip(tp):
    """Annotated[X, ...] -> X; Optional / union -> its model member, else its first non-None member."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [typing.get_origin(a) is typing.Annotated and typing.get_args(a)[0] or a
                       for a in typing.get_args(tp) if a is not type(None)]
            models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
            tp = models[0] if models else members[0]
        else:
            return tp


def _walk(loc: tuple):
    """(type at loc, model class owning the last field or None, field name or None)."""
    tp, model, name = Scenario, None, None
    for el in loc:
        tp = _strip(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            fi = tp.model_fields.get(el) if isinstance(el, str) else None
            if fi is None:
                return None, None, None
            model, name, tp = tp, el, fi.annotation
        elif typing.get_origin(tp) in (list, tuple):
            args = typing.get_args(tp)
            tp = args[el] if typing.get_origin(tp) is tuple and isinstance(el, int) and el < len(args) else args[0]
            model, name = None, None
        elif typing.get_origin(tp) is dict:
            tp, model, name = typing.get_args(tp)[1], None, None
        else:
            return None, None, None
    return _strip(tp), model, name


def _model_at(loc: tuple):
    tp = _walk(loc)[0]
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _stem(key: str) -> str:
    head, _, tail = key.rpartition("_")
    return head if head and tail.lower() in _UNIT_TOKENS else key


def _unit_of(key: str) -> str:
    tail = key.rpartition("_")[2] if "_" in key else ""
    return _UNITS.get(tail, "")


def _unknown_key(loc: tuple) -> str:
    key = str(loc[-1])
    model = _model_at(loc[:-1])
    allowed = list(model.model_fields) if model else []
    hint = ""
    same = [a for a in allowed if _stem(a) == _stem(key) and a != key]
    if same:
        unit = _unit_of(same[0])
        hint = (f"; did you mean {same[0]!r}? Units are part of the key name"
                + (f" ({same[0]} is in {unit})" if unit else ""))
    else:
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.7)
        if close:
            hint = f"; did you mean {close[0]!r}?"
    return f"unknown key {key!r}{hint}; expected one of: {', '.join(allowed)}"


def _coordinate(loc: tuple) -> str | None:
    if len(loc) >= 2 and loc[-1] in (0, 1) and isinstance(loc[-1], int):
        if loc[-2] == "point" or (len(loc) >= 3 and isinstance(loc[-2], int) and loc[-3] in ("points", "polygon")):
            return "latitude" if loc[-1] == 0 else "longitude"
    if loc and loc[-1] in ("lat_deg", "lon_deg"):
        return "latitude" if loc[-1] == "lat_deg" else "longitude"
    return None


def _show(x) -> str:
    if isinstance(x, float):
        return f"{x:g}"
    r = repr(x)
    return r if len(r) <= 60 else r[:57] + "..."


def _message(err: dict, loc: tuple) -> str:
    t, ctx, got = err["type"], err.get("ctx") or {}, err.get("input")
    key = next((el for el in reversed(loc) if isinstance(el, str)), "")
    inventory = len(loc) >= 2 and loc[-2] == "interceptors"
    unit = " (rounds)" if inventory else (f" ({_unit_of(key)})" if _unit_of(key) else "")
    coord = _coordinate(loc)
    if t == "extra_forbidden":
        return _unknown_key(loc)
    if t == "missing":
        _, model, name = _walk(loc)
        desc = model.model_fields[name].description if model else None
        return f"missing required key {loc[-1]!r}" + (f"; expected {desc}" if desc else "")
    if coord and t in ("greater_than_equal", "less_than_equal"):
        lim = 90 if coord == "latitude" else 180
        return f"expected a {coord} within [-{lim}, {lim}] degrees, got {_show(got)}"
    if loc and loc[-1] == "site" and t in ("dict_type", "model_type", "model_attributes_type"):
        return (f"expected a catalogue site name or an inline table {{ name, lat_deg, lon_deg, alt_m, radar }}, "
                f"got {_show(got)}")
    degrees = coord and t in ("float_type", "float_parsing", "finite_number")
    text = pydantic_message(err, _show, f" ({coord}, degrees)" if degrees else unit,
                            "a whole number" if isinstance(got, int) else "a value")
    if text is not None:
        return text
    if t in ("too_short", "too_long"):
        if key == "point" or (key in ("points", "polygon") and isinstance(loc[-1], int)):
            return f"expected one [lat, lon] pair in degrees, got {_show(got)}"
        if key in ("points", "polygon"):
            return f"expected an array of [lat, lon] pairs in degrees; {err['msg'][0].lower() + err['msg'][1:]}"
        return err["msg"][0].lower() + err["msg"][1:]
    msg = err["msg"]
    return re.sub(r"^Value error, ", "", msg)


def _from_validation(e: ValidationError, root: _Org, files: dict) -> BmdcheckError:
    found = []
    # an unknown key first (it explains the missing key it was meant to be), a missing key last
    rank = {"extra_forbidden": 0, "missing": 2}
    for err in sorted(e.errors(), key=lambda x: rank.get(x["type"], 1)):
        loc = _clean(tuple(err["loc"]))
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, LocError):
            loc, msg = loc + cause.loc, cause.msg
        else:
            msg = _message(err, loc)
        file, local = _origin(root, loc)
        found.append((file, line_of(files[file].lines, local) if file in files else 1, local, msg))
    file, line, local, msg = found[0]
    more = more_problems(len(found))
    return BmdcheckError(f"{file}:{line}: {_path(local)}: {msg}{more}".replace("\n", " "))
