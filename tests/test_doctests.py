"""Every docstring example (``>>>``) in src/bmdcheck runs and prints what it shows (doctest), with
the tests; no example is skipped (tests/test_docs.py)."""

import doctest
import importlib
import pkgutil

import pytest

import bmdcheck

MODULES = sorted(m.name for m in pkgutil.walk_packages(bmdcheck.__path__, "bmdcheck.")
                 if not m.name.endswith("__main__"))


def _with_examples() -> list[str]:
    out = []
    for name in MODULES:
        try:
            mod = importlib.import_module(name)
        except ImportError:  # an optional front end whose dependency is not installed
            continue
        if any(t.examples for t in doctest.DocTestFinder().find(mod)):
            out.append(name)
    return out


@pytest.mark.parametrize("name", _with_examples())
def test_docstring_examples(name):
    res = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert res.failed == 0 and res.attempted > 0
