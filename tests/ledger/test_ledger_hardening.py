"""Issue 8, ledger items: each test here failed before its fix (hostile inputs, full disk, no terminal)."""

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from ledger_helpers import FAST_LOG2N, PASSPHRASE, SCENARIO, doc, file_sha, rows

from bmdcheck import ledger as L
from bmdcheck.errors import BmdcheckError


def _one_error_line(err: str) -> bool:
    return err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err


# ---- export never overwrites ---------------------------------------------------------------------

def test_export_refuses_an_existing_target(ledger5, keydir, tmp_path, cli):
    db = ledger5.path
    before = file_sha(db)
    code, out, err = cli("ledger", "export", db, db)            # the ledger itself
    assert code == 2 and "already exists" in err and _one_error_line(err), (out, err)
    assert file_sha(db) == before and len(rows(db)) == 5
    key = tmp_path / "alice.key"
    key.write_bytes((keydir / "alice.key").read_bytes())
    key_before = file_sha(key)
    code, _, err = cli("ledger", "export", db, key)             # a private key
    assert code == 2 and "already exists" in err
    assert file_sha(key) == key_before
    code, _, err = cli("ledger", "export", db, tmp_path)        # a folder
    assert code == 2 and "already exists" in err
    with pytest.raises(BmdcheckError, match="already exists"):
        L.export_ledger(ledger5, key)
    assert cli("ledger", "export", db, tmp_path / "e.json")[0] == 0
    assert json.loads((tmp_path / "e.json").read_text())["n_entries"] == 5
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]   # no temporary file left


# ---- declare validates the scenario ---------------------------------------------------------------

def test_declare_refuses_a_malformed_scenario(ledger5, tmp_path, keydir, cli, passphrase_env):
    before = file_sha(ledger5.path)
    for text, msg in (('name = "x"\n', "defence"),
                      (SCENARIO.replace('missile = "topol-m"', 'missile = "no-such-missile"'), "no-such-missile"),
                      (SCENARIO.replace("54.038", '"54.038"'), "s.toml:")):
        s = tmp_path / "s.toml"
        s.write_text(text)
        code, out, err = cli("ledger", "declare", ledger5.path, s, "--key", keydir / "alice.key")
        assert code == 2 and msg in err and _one_error_line(err), (text, out, err)
    assert file_sha(ledger5.path) == before


# ---- huge sequence numbers, deep nesting ----------------------------------------------------------

@pytest.mark.parametrize("seq", [2**63, 2**64 + 5, 10**40])
def test_huge_seq_is_exit_2(ledger5, keydir, seq, cli, passphrase_env):
    before = file_sha(ledger5.path)
    for args in (("show", ledger5.path, seq), ("diff", ledger5.path, 1, seq), ("diff", ledger5.path, seq, 1),
                 ("acknowledge", ledger5.path, seq, "--key", keydir / "bob.key")):
        code, out, err = cli("ledger", *args)
        assert code == 2 and "no entry with seq" in err and _one_error_line(err), (args, out, err)
    assert file_sha(ledger5.path) == before


DEEP = 3000


@pytest.mark.parametrize("text", ["x = " + "[" * DEEP + "]" * DEEP + "\n",
                                  "x = " + "{a = " * DEEP + "1" + "}" * DEEP + "\n",
                                  "x = " + "[" * 200 + "]" * 200 + "\n"])
def test_deeply_nested_declaration_is_exit_2(ledger5, tmp_path, keydir, text, cli, passphrase_env):
    before = file_sha(ledger5.path)
    s = tmp_path / "deep.toml"
    s.write_text(text)
    code, out, err = cli("ledger", "declare", ledger5.path, s, "--key", keydir / "alice.key")
    assert code == 2 and _one_error_line(err), (out, err[-300:])
    assert file_sha(ledger5.path) == before
    with pytest.raises(BmdcheckError):
        ledger5.declare(L.load_signing_key(keydir / "alice.key", PASSPHRASE),
                        {"name": "x", "deep": json.loads("[" * 500 + "]" * 500)})
    assert file_sha(ledger5.path) == before


@pytest.mark.parametrize("where", ["top", "entries", "payload"])
def test_deeply_nested_export_is_exit_2(ledger5, tmp_path, where, cli):
    out = tmp_path / "e.json"
    L.export_ledger(ledger5, out)
    text = out.read_text()
    deep = "[" * DEEP + "]" * DEEP
    if where == "top":
        text = deep
    elif where == "entries":
        text = text.replace('"entries": [', f'"junk": {deep}, "entries": [', 1)
    else:
        d = json.loads(text)
        d["entries"][0]["payload"] = deep
        text = json.dumps(d)
    out.write_text(text)
    code, o, err = cli("ledger", "import", out, tmp_path / "n.db")
    assert code in ((2,) if where != "payload" else (1, 2)) and _one_error_line(err), (o, err[-300:])
    assert not (tmp_path / "n.db").exists()


# ---- party names that differ only by case; key file permissions -----------------------------------

def test_party_names_differing_only_by_case_are_refused(ledger5, tmp_path, cli, passphrase_env):
    L.generate_key("Alice", tmp_path / "A.key", PASSPHRASE, log2n=FAST_LOG2N)
    before = file_sha(ledger5.path)
    with pytest.raises(BmdcheckError, match="differs only by case"):
        ledger5.declare(L.load_signing_key(tmp_path / "A.key", PASSPHRASE), doc(9))
    s = tmp_path / "s.toml"
    s.write_text(SCENARIO)
    code, _, err = cli("ledger", "declare", ledger5.path, s, "--key", tmp_path / "A.key")
    assert code == 2 and "'Alice' differs only by case from the registered party 'alice'" in err
    code, _, err = cli("ledger", "acknowledge", ledger5.path, 2, "--key", tmp_path / "A.key")
    assert code == 2 and "differs only by case" in err
    assert file_sha(ledger5.path) == before


def test_private_key_readable_by_others_is_refused(tmp_path, keydir, ledger5, cli, passphrase_env):
    k = tmp_path / "alice.key"
    k.write_bytes((keydir / "alice.key").read_bytes())
    k.chmod(0o644)
    with pytest.raises(BmdcheckError, match="readable by other users"):
        L.load_signing_key(k, PASSPHRASE)
    s = tmp_path / "s.toml"
    s.write_text(SCENARIO)
    before = file_sha(ledger5.path)
    code, _, err = cli("ledger", "declare", ledger5.path, s, "--key", k)
    assert code == 2 and "chmod 600" in err and _one_error_line(err)
    k.chmod(0o600)
    assert cli("ledger", "declare", ledger5.path, s, "--key", k)[0] == 0
    assert file_sha(ledger5.path) != before


# ---- no passphrase and no terminal; a full disk (subprocesses) ------------------------------------

def _run(*args, stdin=subprocess.DEVNULL, env_extra=None, fsize=None, passphrase=True):
    env = {k: v for k, v in os.environ.items() if k != "BMDCHECK_PASSPHRASE"}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if passphrase:
        env["BMDCHECK_PASSPHRASE"] = PASSPHRASE
    env.update(env_extra or {})

    def limit():
        if fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    return subprocess.run([sys.executable, "-m", "bmdcheck.cli", "ledger", *map(str, args)], stdin=stdin,
                          capture_output=True, text=True, timeout=300, env=env, preexec_fn=limit,
                          start_new_session=True)


def test_no_passphrase_and_no_terminal_is_one_line_exit_2(ledger5, tmp_path, keydir):
    s = tmp_path / "s.toml"
    s.write_text(SCENARIO)
    before = file_sha(ledger5.path)
    for args in (("declare", ledger5.path, s, "--key", keydir / "alice.key"),
                 ("acknowledge", ledger5.path, 1, "--key", keydir / "mallory.key"),
                 ("keygen", "--party", "carol", "--out", tmp_path / "c.key")):
        p = _run(*args, passphrase=False)
        assert p.returncode == 2 and _one_error_line(p.stderr), (args, p.returncode, p.stderr)
        assert "Warning" not in p.stderr and "passphrase" in p.stderr
    assert file_sha(ledger5.path) == before and not (tmp_path / "c.key").exists()
    # a passphrase given on standard input (no terminal) is read as the prompt's answer
    r = subprocess.run([sys.executable, "-m", "bmdcheck.cli", "ledger", "declare", str(ledger5.path), str(s),
                        "--key", str(keydir / "alice.key")], input=PASSPHRASE + "\n", capture_output=True,
                       text=True, timeout=300, env={k: v for k, v in os.environ.items() if k != "BMDCHECK_PASSPHRASE"},
                       start_new_session=True)
    assert r.returncode == 0 and "declaration seq 6" in r.stdout, r.stderr


def _no_temp_files(folder):
    return not [p for p in Path(folder).iterdir() if p.name.startswith(".")]


def test_full_disk_is_one_line_exit_2(ledger5, tmp_path, keydir):
    """RLIMIT_FSIZE (`ulimit -f`) makes every write past the limit fail with EFBIG, as a full disk does."""
    db = ledger5.path
    before = file_sha(db)
    size = db.stat().st_size
    s = tmp_path / "s.toml"
    s.write_text(SCENARIO.replace('description = "tests"', f'description = "{"x" * 20000}"'))   # needs new pages
    cases = [(("export", db, tmp_path / "e.json"), 2000, tmp_path / "e.json"),
             (("keygen", "--party", "carol", "--out", tmp_path / "c.key"), 100, tmp_path / "c.key"),
             (("init", tmp_path / "new.db"), 1000, tmp_path / "new.db"),
             (("declare", db, s, "--key", keydir / "alice.key"), size, None)]
    L.export_ledger(ledger5, tmp_path / "full.json")
    cases += [(("import", tmp_path / "full.json", tmp_path / "imp.db"), 3000, tmp_path / "imp.db")]
    for args, fsize, target in cases:
        p = _run(*args, fsize=fsize)
        assert p.returncode == 2 and _one_error_line(p.stderr), (args, p.returncode, p.stderr)
        assert "not a readable" not in p.stderr and ("disk is full" in p.stderr), (args, p.stderr)
        if target is not None:
            assert not target.exists(), args
        assert file_sha(db) == before and _no_temp_files(tmp_path), args
    assert ledger5.verify().ok and len(rows(db)) == 5
    # importing into an existing (empty) ledger: the append transaction fails and rolls back
    big = L.init_ledger(tmp_path / "big.db")
    big.declare(L.load_signing_key(keydir / "alice.key", PASSPHRASE), doc(1, padding="x" * 20000))
    L.export_ledger(big, tmp_path / "big.json")
    L.init_ledger(tmp_path / "empty.db")
    empty = file_sha(tmp_path / "empty.db")
    p = _run("import", tmp_path / "big.json", tmp_path / "empty.db", fsize=(tmp_path / "empty.db").stat().st_size)
    assert p.returncode == 2 and "disk is full" in p.stderr and _one_error_line(p.stderr), p.stderr
    assert file_sha(tmp_path / "empty.db") == empty
