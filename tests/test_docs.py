"""The docs' examples run: docs/API.md, docs/TUTORIAL.md and the README are executed as doctests (every
``>>>`` line, in order, output compared), and no example anywhere is skipped."""

import doctest
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


@pytest.mark.parametrize("doc", ["docs/API.md", "docs/TUTORIAL.md", "README.md"])
def test_doc_examples_run(doc):
    res = doctest.testfile(str(ROOT / doc), module_relative=False, optionflags=FLAGS, verbose=False)
    assert res.attempted >= 5 and res.failed == 0


def test_no_example_is_skipped():
    hits = [str(p.relative_to(ROOT)) for p in [*(ROOT / "src").rglob("*.py"), *(ROOT / "docs").rglob("*.md"),
                                               ROOT / "README.md"]
            if "doctest: +" + "SKIP" in p.read_text(encoding="utf-8")]
    assert hits == []


def test_scenarios_doc_example_runs(tmp_path, monkeypatch):
    """docs/SCENARIOS.md: the example TOML, saved as the text says, expands as its doctest shows."""
    text = (ROOT / "docs/SCENARIOS.md").read_text(encoding="utf-8")
    toml = next(b.split("```", 1)[0] for b in text.split("```toml\n")[1:] if b.startswith('name = "example-baltic"'))
    (tmp_path / "example-baltic.toml").write_text(toml, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    res = doctest.testfile(str(ROOT / "docs/SCENARIOS.md"), module_relative=False, optionflags=FLAGS)
    assert res.attempted >= 5 and res.failed == 0
