"""Input checks written once: positions, catalogue names, positive numbers.

Every check raises an :class:`~bmdcheck.errors.InputError` or
:class:`~bmdcheck.errors.CatalogueError` whose ``param`` names the parameter at fault, so the
library's messages name the Python parameter and a front end can name its own spelling.

    >>> from bmdcheck.validate import check_latlon
    >>> check_latlon(54.0, 35.8, "launch")
    (54.0, 35.8)
    >>> check_latlon(95.0, 35.8, "launch")
    Traceback (most recent call last):
    ...
    bmdcheck.errors.InputError: launch: latitude must be within [-90, 90] degrees, got 95
"""

from __future__ import annotations

import math
from typing import Mapping

from .errors import CatalogueError, InputError

LON_MAX_DEG = 360.0
"""Longitudes accepted in calls: [-180, 360] degrees (east-positive; 0-360 conventions too)."""


def check_latlon(lat, lon, param: str, lon_max: float = LON_MAX_DEG):
    """(lat, lon) in degrees, checked: finite, |lat| <= 90, -180 <= lon <= ``lon_max``.

    Scalars give floats back; arrays (any shape, broadcastable) give float64 NumPy arrays back.
    """
    if _is_scalar(lat) and _is_scalar(lon):
        try:
            la, lo = float(lat), float(lon)
        except (TypeError, ValueError):
            raise InputError(f"latitude and longitude must be numbers in degrees, got {lat!r}, {lon!r}",
                             param=param) from None
        bad_lat, bad_lon = [la], [lo]
        finite = math.isfinite(la) and math.isfinite(lo)
    else:
        import numpy as np

        try:
            la, lo = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
        except (TypeError, ValueError):
            raise InputError("latitude and longitude must be numbers in degrees", param=param) from None
        finite = bool(np.all(np.isfinite(la)) and np.all(np.isfinite(lo)))
        bad_lat = la[np.abs(la) > 90].ravel().tolist() if finite else []
        bad_lon = lo[(lo < -180) | (lo > lon_max)].ravel().tolist() if finite else []
    if not finite:
        raise InputError("latitude and longitude must be finite numbers", param=param)
    if any(abs(v) > 90 for v in bad_lat):
        raise InputError(f"latitude must be within [-90, 90] degrees, got {next(v for v in bad_lat if abs(v) > 90):g}",
                         param=param)
    if any(not -180 <= v <= lon_max for v in bad_lon):
        v = next(v for v in bad_lon if not -180 <= v <= lon_max)
        raise InputError(f"longitude must be within [-180, {lon_max:g}] degrees, got {v:g}", param=param)
    return la, lo


def _is_scalar(x) -> bool:
    return isinstance(x, (int, float)) or (hasattr(x, "ndim") and x.ndim == 0)


def check_position(p, param: str, allow_alt: bool = True, need_alt: bool = False) -> tuple:
    """A position ``(lat, lon)`` or ``(lat, lon, alt_km)`` as floats, checked (altitude >= 0 km)."""
    try:
        vals = tuple(float(x) for x in p)
    except (TypeError, ValueError):
        raise InputError(f"expected (lat, lon{', alt_km' if allow_alt else ''}) numbers in degrees, got {p!r}",
                         param=param) from None
    sizes = (3,) if need_alt else ((2, 3) if allow_alt else (2,))
    if len(vals) not in sizes:
        want = "LAT,LON,ALT_KM" if need_alt else ("LAT,LON[,ALT_KM]" if allow_alt else "LAT,LON")
        raise InputError(f"expected {want} (degrees{', km' if allow_alt else ''}), got {len(vals)} numbers",
                         param=param)
    check_latlon(vals[0], vals[1], param)
    if len(vals) == 3 and not (math.isfinite(vals[2]) and vals[2] >= 0):
        raise InputError(f"a point below the ground (altitude {vals[2]:g} km) is not valid", param=param)
    return vals


def check_positive(value, param: str, allow_zero: bool = False, unit: str = "") -> float:
    """``value`` as a float, finite and > 0 (>= 0 with ``allow_zero``)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"expected a number{unit and ' of ' + unit}, got {value!r}", param=param) from None
    if not (math.isfinite(v) and (v >= 0 if allow_zero else v > 0)):
        raise InputError(f"must be {'>= 0' if allow_zero else 'a positive number'}{unit and ' (' + unit + ')'}, "
                         f"got {v:g}", param=param)
    return v


# ---- catalogue names ------------------------------------------------------------------------------

COMMAND = {"missile": "missiles", "interceptor": "interceptors", "site": "sites", "radar": "sensors",
           "early-warning system": "sensors"}
"""The command that lists each catalogue."""


def catalogue_name(name, kind: str, cat: Mapping, extra: tuple = (), param: str | None = None) -> str:
    """``name`` stripped and lower-cased if it is a key of ``cat``, the ``kind`` catalogue (or in
    ``extra``); else a CatalogueError listing the known names and the command that shows them.
    (:mod:`bmdcheck.catalogues` finds the catalogue by its kind.)

        >>> catalogue_name(" Deveselu ", "site", {"deveselu": 1})
        'deveselu'
    """
    key = str(name).strip().lower()
    known = set(cat) | set(extra)
    if key not in known:
        raise CatalogueError(f"unknown {kind} {str(name)!r}; known: {', '.join(sorted(known))} "
                             f"(`bmdcheck {COMMAND.get(kind, kind)}`)", param=param)
    return key


def lookup(cat: Mapping, name, kind: str, param: str | None = None):
    """``cat[name]`` case-insensitively, or the CatalogueError of :func:`catalogue_name`."""
    return cat[catalogue_name(name, kind, cat, param=param)]


# ---- pydantic errors as one line ------------------------------------------------------------------

_COMPARE = {"greater_than_equal": (">=", "ge"), "greater_than": (">", "gt"), "less_than_equal": ("<=", "le"),
            "less_than": ("<", "lt")}
_TYPES = {
    ("int_type", "int_parsing", "int_from_float"): "expected a whole number{unit}",
    ("float_type", "float_parsing", "finite_number"): "expected a finite number{unit}",
    ("string_type",): "expected a string",
    ("bool_type",): "expected true or false",
    ("dict_type", "model_type", "model_attributes_type"): "expected a table",
    ("list_type", "tuple_type"): "expected an array",
}


def pydantic_message(err: dict, show, unit: str = "", what: str = "a value") -> str | None:
    """The one-line text of one pydantic error (``err`` from ``ValidationError.errors()``): bounds,
    types and literals, as scenario and rules files report them; None for the error types a caller
    words itself (missing keys, unknown keys, union tags, lengths). ``show(value)`` renders the
    input; ``unit`` is appended to the expected value (" (seconds)"); ``what``: "a value" or
    "a whole number" for bounds.

        >>> pydantic_message({"type": "greater_than", "input": -1, "ctx": {"gt": 0}}, repr)
        'expected a value > 0, got -1'
    """
    t, got, ctx = err["type"], err.get("input"), err.get("ctx") or {}
    if t in _COMPARE:
        op, key = _COMPARE[t]
        bound = ctx.get(key, next(iter(ctx.values()), "?") if ctx else "?")
        return f"expected {what} {op} {show(bound) if not isinstance(bound, str) else bound}{unit}, got {show(got)}"
    for types, text in _TYPES.items():
        if t in types:
            return f"{text.format(unit=unit)}, got {show(got)}"
    if t == "literal_error":
        return f"expected one of {ctx.get('expected')}, got {show(got)}"
    return None


def more_problems(n: int) -> str:
    """The suffix of a one-line error that reports the first of ``n`` problems."""
    return f" (and {n - 1} more problem{'s' if n > 2 else ''})" if n > 1 else ""
