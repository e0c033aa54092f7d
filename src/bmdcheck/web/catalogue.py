"""Catalogue listings for the control room: the rows ``bmdcheck missiles|interceptors|sites|sensors --json``
print (tests/web/test_api.py checks that both give the same rows), from the public API
(``bmdcheck.api``), computed once per process."""

from __future__ import annotations

from functools import lru_cache

from ..catalogues import LISTINGS as KINDS  # noqa: F401  (one list of listings)


@lru_cache(maxsize=None)
def rows(kind: str) -> tuple:
    """The catalogue rows of ``kind`` (one of KINDS), as the CLI's ``--json`` gives them."""
    from .. import api

    return tuple(api.catalogue_rows(kind))
