"""Results hash and the ledger's re-run hook: a recorded verdict reproduces from the declared document."""

import tomllib

import pytest
from guarantee_helpers import PARTIES
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bmdcheck import ledger as L
from bmdcheck.errors import BmdcheckError
from bmdcheck.guarantee import check, check_files, document_to_toml, rerun_hook, scenario_from_document
from bmdcheck.scenario import load_scenario, scenario_hash, shipped_scenarios

RULES = PARTIES + """
[[rule]]
id = "r"
kind = "engagement"
party = "near"
launch = "kozelsk"
aim = "new-york"

[[rule]]
id = "cap"
kind = "burnout-speed"
max_mps = {cap}
"""


def rules_file(tmp_path, cap=8000.0):
    p = tmp_path / f"rules-{cap:g}.toml"
    p.write_text('name = "rerun"\n' + RULES.format(cap=cap))
    return p


def test_importing_the_package_sets_no_global_hook():
    import subprocess
    import sys

    code = "import bmdcheck.guarantee, bmdcheck.ledger as L; assert L.rerun_hook is None"
    subprocess.run([sys.executable, "-c", code], check=True)  # a fresh interpreter: no test has set it
    from bmdcheck.api import ledger_rerun_hook

    assert ledger_rerun_hook() is rerun_hook  # the façade hands the rules engine's hook to the ledger


def test_results_hash_is_reproducible_and_covers_the_rules(engage_ctx, engage_dir, tmp_path):
    from bmdcheck.guarantee import load_rules

    a = check(engage_ctx, load_rules(rules_file(tmp_path)), search=False)
    b = check_files(engage_dir / "engage.toml", rules_file(tmp_path), search=False)   # a fresh flight
    assert a.results_hash == b.results_hash and a.verdict == "FAIL"
    c = check(engage_ctx, load_rules(rules_file(tmp_path, cap=9000.0)), search=False)
    assert c.verdict == a.verdict and c.results_hash != a.results_hash


def test_hook_reproduces_a_declared_verdict(engage_dir, tmp_path):
    scen = engage_dir / "engage.toml"
    rules = rules_file(tmp_path)
    rep = check_files(scen, rules)
    doc = L.document_from_toml(scen)
    assert rerun_hook(doc, str(rules)) == (rep.verdict, rep.results_hash)
    # through the ledger: a declaration recording the verdict re-runs as a match; a wrong hash does not
    L.generate_key("alice", tmp_path / "alice.key", "pw", log2n=10)
    key = L.load_signing_key(tmp_path / "alice.key", "pw")
    led = L.init_ledger(tmp_path / "l.db")
    led.declare(key, doc, verdict=rep.verdict, results_hash=rep.results_hash)
    led.declare(key, doc, verdict=rep.verdict, results_hash="0" * 64)
    rr = L.rerun_declarations(led.entries(), str(rules), rerun_hook)
    assert [r["status"] for r in rr["results"]] == ["match", "mismatch"]


def test_ledger_verify_rerun_on_the_command_line(engage_dir, tmp_path, monkeypatch, capsys):
    from bmdcheck.cli.main import main

    scen, rules = engage_dir / "engage.toml", rules_file(tmp_path)
    rep = check_files(scen, rules)
    L.generate_key("bob", tmp_path / "bob.key", "pw", log2n=10)
    monkeypatch.setenv("BMDCHECK_PASSPHRASE", "pw")
    db = tmp_path / "cli.db"

    def run(*args):
        with pytest.raises(SystemExit) as ex:
            main([str(a) for a in args])
        return ex.value.code, capsys.readouterr().out

    assert run("ledger", "init", db)[0] == 0
    assert run("ledger", "declare", db, scen, "--key", tmp_path / "bob.key", "--verdict", rep.verdict,
               "--results-hash", rep.results_hash)[0] == 0
    code, out = run("ledger", "verify", db, "--rerun", rules)
    assert code == 0 and "1 match" in out


def test_declared_document_with_shipped_includes():
    path = shipped_scenarios()["epaa-phase4-2010"]
    s = scenario_from_document(L.document_from_toml(path))
    assert scenario_hash(s) == scenario_hash(load_scenario(path))


def test_declared_document_with_a_foreign_include_is_refused():
    with pytest.raises(BmdcheckError, match="include\\[0\\]: 'mine.toml' is not a shipped scenario file"):
        scenario_from_document({"name": "x", "include": ["mine.toml"]})


keys = st.text(min_size=1, max_size=8)
scalars = (st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=False, allow_infinity=False)
           | st.text(max_size=12))
values = st.recursive(scalars, lambda c: st.lists(c, max_size=4) | st.dictionaries(keys, c, max_size=4), max_leaves=12)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(keys, values, max_size=5))
@example({"0\n": []})  # regression: '$' matched before a trailing newline, writing the key bare
def test_document_to_toml_round_trips(doc):
    assert tomllib.loads(document_to_toml(doc)) == doc


# ---- issue 8: includes resolve only against the shipped scenarios ---------------------------------

def _doc_including(inc):
    doc = L.document_from_toml(shipped_scenarios()["epaa-phase1"])
    return {**doc, "include": [inc]}


def _phase1_include() -> str:
    """The shipped file epaa-phase1 includes (relative to the scenarios folder)."""
    return L.document_from_toml(shipped_scenarios()["epaa-phase1"])["include"][0]


@pytest.mark.parametrize("inc, why", [
    ("/etc/passwd", "absolute path"),
    (str(shipped_scenarios()["epaa-phase1"]), "absolute path"),            # even the shipped file, by absolute path
    ("../../../../../../../../etc/passwd", "leads outside"),
    ("../scenarios/../../../../../../../../etc/passwd", "leads outside"),
    ("common/../../__init__.py", "leads outside"),
    ("epaa-phase1.py", "not a shipped scenario file"),
    ("common", "not a shipped scenario file"),
    ("a\x00b.toml", "not a shipped scenario file"),
])
def test_rerun_refuses_includes_outside_the_shipped_set(inc, why, monkeypatch):
    opened = []
    import bmdcheck.scenario.load as SL

    real_read = SL._read
    monkeypatch.setattr(SL, "_read", lambda p, *a: (opened.append(str(p)), real_read(p, *a))[1])
    with pytest.raises(BmdcheckError, match=f"include\\[0\\]: .*{why}"):
        scenario_from_document(_doc_including(inc))
    assert opened == []   # refused before anything was opened or parsed


def test_rerun_refuses_a_symlink_that_leads_out_of_the_shipped_set(tmp_path, monkeypatch):
    import shutil

    from bmdcheck.guarantee import rerun as R

    shipped = tmp_path / "scenarios"
    shutil.copytree(R.shipped_scenarios_dir(), shipped)
    outside = tmp_path / "outside.toml"
    outside.write_text((shipped / _phase1_include()).read_text())
    (shipped / "evil.toml").symlink_to(outside)
    (shipped / "alias.toml").symlink_to(shipped / _phase1_include())   # stays inside: fine
    monkeypatch.setattr(R, "shipped_scenarios_dir", lambda: shipped.resolve())
    with pytest.raises(BmdcheckError, match="include\\[0\\]: 'evil.toml' leads outside"):
        scenario_from_document(_doc_including("evil.toml"))
    s = scenario_from_document(_doc_including("alias.toml"))
    assert scenario_hash(s) == scenario_hash(load_scenario(shipped_scenarios()["epaa-phase1"]))


def test_a_declaration_including_a_local_file_does_not_rerun_as_a_match(tmp_path, capsys, monkeypatch):
    """Before the fix an absolute include of a local file was opened and parsed; now it is an error (exit 2)."""
    from bmdcheck.cli.main import main

    local = tmp_path / "common.toml"
    local.write_text((shipped_scenarios()["epaa-phase1"].parent / _phase1_include()).read_text())
    doc = _doc_including(str(local))
    L.generate_key("alice", tmp_path / "alice.key", "pw", log2n=10)
    led = L.init_ledger(tmp_path / "l.db")
    led.declare(L.load_signing_key(tmp_path / "alice.key", "pw"), doc, verdict="PASS", results_hash="ab" * 32)
    rr = L.rerun_declarations(led.entries(), str(rules_file(tmp_path)), rerun_hook)
    assert [r["status"] for r in rr["results"]] == ["error"] and "absolute path" in rr["results"][0]["error"]
    with pytest.raises(SystemExit) as ex:
        main(["ledger", "verify", str(led.path), "--rerun", str(rules_file(tmp_path))])
    assert ex.value.code == 2 and "absolute path" in capsys.readouterr().out
