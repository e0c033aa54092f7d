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
