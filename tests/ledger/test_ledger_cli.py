"""`bmdcheck ledger ...`: every command's happy path, and bad input -> one line, exit 2, nothing changed."""

import json
import subprocess
import sys

import pytest
from ledger_helpers import PASSPHRASE, SCENARIO, file_sha, rows
from typer.testing import CliRunner

from bmdcheck import ledger as L
from bmdcheck.cli.main import app

S1 = SCENARIO
S2 = SCENARIO.replace('description = "tests"', 'description = "tests, revised"').replace(
    "kozelsk = { point = [54.038, 35.772] }", "kozelsk = { point = [54.5, 35.772] }").replace(
    'aim = "washington"\n', 'aim = "washington"\nlaunch_times_s = [0.0, 30.0]\n')


@pytest.fixture
def scenarios(tmp_path):
    (tmp_path / "s1.toml").write_text(S1)
    (tmp_path / "s2.toml").write_text(S2)
    return tmp_path / "s1.toml", tmp_path / "s2.toml"


def test_session_with_cli_made_keys(tmp_path, scenarios, cli, passphrase_env):
    """The worked session of docs/LEDGER.md, with real-cost keys made by `ledger keygen`."""
    s1, s2 = scenarios
    db, ak, bk = tmp_path / "l.db", tmp_path / "alice.key", tmp_path / "bob.key"
    assert cli("ledger", "init", db)[0] == 0
    code, out, _ = cli("ledger", "keygen", "--party", "alice", "--out", ak)
    assert code == 0 and "fingerprint" in out and (tmp_path / "alice.key.pub").is_file()
    assert cli("ledger", "keygen", "--party", "bob", "--out", bk)[0] == 0
    code, out, _ = cli("ledger", "declare", db, s1, "--key", ak, "--verdict", "PASS", "--results-hash", "c" * 64)
    assert code == 0 and "declaration seq 1 by alice" in out
    code, out, _ = cli("ledger", "acknowledge", db, 1, "--key", bk, "--note", "reviewed", "--json")
    assert code == 0 and json.loads(out)["document"]["declaration_seq"] == 1
    code, out, err = cli("ledger", "verify", db, "--trust", tmp_path / "alice.key.pub", "--trust", tmp_path / "bob.key.pub")
    assert code == 0 and out.startswith("intact: 2 entries"), err


def test_keygen_prompts_for_the_passphrase(tmp_path, monkeypatch):
    monkeypatch.delenv("BMDCHECK_PASSPHRASE", raising=False)
    r = CliRunner().invoke(app, ["ledger", "keygen", "--party", "carol", "--out", str(tmp_path / "c.key")],
                           input="s3cret\ns3cret\n")
    assert r.exit_code == 0, r.output
    assert L.load_signing_key(tmp_path / "c.key", "s3cret").party == "carol"


def test_declare_acknowledge_log_show_diff(tmp_path, scenarios, keydir, cli, passphrase_env):
    s1, s2 = scenarios
    db = tmp_path / "l.db"
    cli("ledger", "init", db)
    code, out, _ = cli("ledger", "declare", db, s1, "--key", keydir / "alice.key", "--json")
    assert code == 0
    e1 = json.loads(out)
    assert (e1["seq"], e1["kind"], e1["party"], e1["verdict"]) == (1, "declaration", "alice", None)
    assert e1["payload_sha256"] == L.sha256_hex(L.canonical_json(L.document_from_toml(s1)))
    assert cli("ledger", "declare", db, s2, "--key", keydir / "alice.key", "--party", "alice")[0] == 0
    code, out, _ = cli("ledger", "acknowledge", db, 2, "--key", keydir / "bob.key", "--note", "checked the salvo")
    assert code == 0 and "acknowledgement seq 3 by bob" in out

    code, out, _ = cli("ledger", "log", db)
    assert code == 0 and "intact: 3 entries" in out and '"checked the salvo"' in out
    code, out, _ = cli("ledger", "log", db, "--json")
    d = json.loads(out)
    assert code == 0 and d["verification"]["ok"] and [e["seq"] for e in d["entries"]] == [1, 2, 3]
    assert d["entries"][1]["acknowledged_by"] == ["bob"] and {p["name"] for p in d["parties"]} == {"alice", "bob"}

    code, out, _ = cli("ledger", "show", db, 1)
    assert code == 0 and json.loads(out) == L.document_from_toml(s1)
    code, out, _ = cli("ledger", "show", db, 3, "--json")
    assert code == 0 and json.loads(out)["document"]["note"] == "checked the salvo"

    code, out, _ = cli("ledger", "diff", db, 1, 2, "--json")
    d = json.loads(out)
    assert code == 0
    assert d["changed"] == [{"path": "$.areas.kozelsk.point[0]", "old": 54.038, "new": 54.5},
                            {"path": "$.description", "old": "tests", "new": "tests, revised"}]
    assert d["added"] == [{"path": "$.threats[0].launch_times_s", "new": [0.0, 30.0]}] and d["removed"] == []
    code, out, _ = cli("ledger", "diff", db, 1, 2)
    assert code == 0 and "~ $.areas.kozelsk.point[0]: 54.038 -> 54.5" in out
    assert "+ $.threats[0].launch_times_s: [0.0, 30.0]" in out
    code, _, err = cli("ledger", "diff", db, 1, 3)
    assert code == 2 and "not a declaration" in err


def test_verify_rerun_hook(ledger5, tmp_path, cli, monkeypatch):
    rules = tmp_path / "rules.toml"
    rules.write_text("[rules]\n")
    monkeypatch.setitem(sys.modules, "bmdcheck.guarantee", None)   # no rules engine importable
    monkeypatch.setitem(sys.modules, "bmdcheck.guarantees", None)
    monkeypatch.setattr(L, "rerun_hook", None)
    code, out, _ = cli("ledger", "verify", ledger5.path, "--rerun", rules)
    assert code == 0 and "rules engine not available" in out
    seen = []

    def hook(document, rules_path):
        seen.append((document["name"], rules_path))
        return "PASS", "ab" * 32

    monkeypatch.setattr(L, "rerun_hook", hook)
    code, out, _ = cli("ledger", "verify", ledger5.path, "--rerun", rules, "--json")
    d = json.loads(out)
    assert code == 0 and d["rerun"]["results"][0]["status"] == "match"
    assert seen == [("scenario-1", str(rules))]   # only declarations that record a verdict
    monkeypatch.setattr(L, "rerun_hook", lambda doc, path: ("FAIL", "ab" * 32))
    code, out, _ = cli("ledger", "verify", ledger5.path, "--rerun", rules)
    assert code == 1 and "seq 1: mismatch: recorded PASS" in out
    code, _, err = cli("ledger", "verify", ledger5.path, "--rerun", tmp_path / "none.toml")
    assert code == 2 and "rules file not found" in err


def test_wrong_passphrase_changes_nothing(ledger5, tmp_path, scenarios, keydir, cli, monkeypatch):
    before = file_sha(ledger5.path)
    monkeypatch.setenv("BMDCHECK_PASSPHRASE", PASSPHRASE + "!")
    code, out, err = cli("ledger", "declare", ledger5.path, scenarios[0], "--key", keydir / "alice.key")
    # one error line (lines from Python's warning machinery, if any, are not ours: ignore them)
    lines = [ln for ln in err.splitlines() if ln.strip() and "Warning" not in ln]
    assert (code, out) == (2, "") and len(lines) == 1 and lines[0].startswith("error: wrong passphrase"), (code, out, err)
    code, _, err = cli("ledger", "acknowledge", ledger5.path, 4, "--key", keydir / "bob.key")
    assert code == 2 and "wrong passphrase" in err
    assert file_sha(ledger5.path) == before


@pytest.mark.parametrize("content", [b"", b"random", None, b"SQLite format 3\x00" + bytes(200)])
def test_corrupt_or_foreign_file_is_exit_2(tmp_path, content, scenarios, keydir, cli, passphrase_env):
    db = tmp_path / "bad.db"
    if content is None:   # a valid SQLite database that is not a ledger
        import sqlite3
        con = sqlite3.connect(db)
        con.execute("CREATE TABLE entries (x)")
        con.close()
    else:
        import random
        db.write_bytes(content if content != b"random" else random.Random(7).randbytes(8192))
    before = file_sha(db)
    for args in (("verify", db), ("log", db), ("show", db, 1), ("diff", db, 1, 2), ("export", db, tmp_path / "o.json"),
                 ("declare", db, scenarios[0], "--key", keydir / "alice.key")):
        code, out, err = cli("ledger", *args)
        assert code == 2, (args, out, err)
        assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert file_sha(db) == before and not (tmp_path / "o.json").exists()


def test_bad_input_is_exit_2(ledger5, tmp_path, scenarios, keydir, cli, passphrase_env):
    db = ledger5.path
    before = file_sha(db)
    cases = [
        (("show", db, 42), "no entry with seq 42"),
        (("acknowledge", db, 42, "--key", keydir / "bob.key"), "no entry with seq 42"),
        (("declare", db, scenarios[0], "--key", tmp_path / "missing.key"), "key file not found"),
        (("declare", db, tmp_path / "missing.toml", "--key", keydir / "alice.key"), "scenario file not found"),
        (("declare", db, scenarios[0], "--key", keydir / "alice.key", "--verdict", "PASS"), "together"),
        (("verify", tmp_path / "missing.db"), "ledger not found"),
        (("init", db), "already exists"),
        (("keygen", "--party", "alice", "--out", keydir / "alice.key"), "already exists"),
        (("verify", db, "--trust", tmp_path / "missing.pub"), "not found"),
        (("import", tmp_path / "missing.json", tmp_path / "n.db"), "export file not found"),
    ]
    for args, msg in cases:
        code, out, err = cli("ledger", *args)
        assert code == 2, (args, err)
        assert msg in err and err.count("\n") == 1, (args, err)
    bad = tmp_path / "bad.toml"
    bad.write_text("x = = 1")
    code, _, err = cli("ledger", "declare", db, bad, "--key", keydir / "alice.key")
    assert code == 2 and "not valid TOML" in err
    assert file_sha(db) == before and len(rows(db)) == 5


def test_console_script_exit_codes(ledger5, tmp_path):
    """The installed entry point, end to end: 0 intact, 1 tampered, 2 not a ledger."""
    from ledger_helpers import raw_sql

    def run(*a):
        return subprocess.run([sys.executable, "-m", "bmdcheck.cli", "ledger", *map(str, a)],
                              capture_output=True, text=True, timeout=120)

    assert run("verify", ledger5.path).returncode == 0
    (tmp_path / "junk.db").write_bytes(b"\x00junk" * 100)
    p = run("verify", tmp_path / "junk.db")
    assert p.returncode == 2 and p.stderr.startswith("error: ") and "Traceback" not in p.stderr
    raw_sql(ledger5.path, "UPDATE entries SET party = 'bob' WHERE seq = 1")
    p = run("verify", ledger5.path)
    assert p.returncode == 1 and "TAMPERED at seq 1" in p.stdout
