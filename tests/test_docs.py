"""The docs' examples run: docs/API.md and docs/TUTORIAL.md are executed as doctests (every
``>>>`` line, in order, output compared), and no example anywhere is skipped."""

import doctest
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


@pytest.mark.parametrize("doc", ["docs/API.md", "docs/TUTORIAL.md"])
def test_doc_examples_run(doc):
    res = doctest.testfile(str(ROOT / doc), module_relative=False, optionflags=FLAGS, verbose=False)
    assert res.attempted > 5 and res.failed == 0


def test_no_example_is_skipped():
    hits = [str(p.relative_to(ROOT)) for p in [*(ROOT / "src").rglob("*.py"), *(ROOT / "docs").rglob("*.md"),
                                               ROOT / "README.md"]
            if "doctest: +" + "SKIP" in p.read_text(encoding="utf-8")]
    assert hits == []
