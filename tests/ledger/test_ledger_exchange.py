"""Export and import: a self-contained file, verified on the way in; tampered files write nothing."""

import json

import pytest
from ledger_helpers import doc, file_sha, rows

from bmdcheck import BmdcheckError
from bmdcheck import ledger as L


def test_round_trip(ledger5, tmp_path, cli):
    out = tmp_path / "e.json"
    code, msg, _ = cli("ledger", "export", ledger5.path, out)
    assert code == 0 and "exported 5 entries and 2 parties" in msg
    d = json.loads(out.read_text())
    assert d["format"] == L.EXPORT_FORMAT and d["n_entries"] == 5 and len(d["parties"]) == 2
    assert d["head_hash"] == ledger5.verify().head_hash
    code, msg, _ = cli("ledger", "import", out, tmp_path / "copy.db")
    assert code == 0 and "created" in msg and "5 entries added" in msg
    copy = L.Ledger(tmp_path / "copy.db")
    assert copy.entries() == ledger5.entries() and copy.parties() == ledger5.parties()
    assert cli("ledger", "verify", copy.path)[0] == 0
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]   # no temporary files left


def test_import_extends_a_prefix_and_refuses_a_different_chain(ledger5, tmp_path, keys, cli):
    early = tmp_path / "early.json"
    L.export_ledger(ledger5, early)
    ledger5.declare(keys["alice"], doc(6))
    full = tmp_path / "full.json"
    L.export_ledger(ledger5, full)

    # an empty ledger, then a prefix of the chain, are filled in
    cli("ledger", "init", tmp_path / "mirror.db")
    assert cli("ledger", "import", early, tmp_path / "mirror.db")[0] == 0
    code, msg, _ = cli("ledger", "import", full, tmp_path / "mirror.db")
    assert code == 0 and "1 entries added, 6 in the chain" in msg
    assert L.Ledger(tmp_path / "mirror.db").verify().head_hash == ledger5.verify().head_hash

    # the longer ledger is not cut back to the shorter export
    before = file_sha(ledger5.path)
    code, _, err = cli("ledger", "import", early, ledger5.path)
    assert code == 2 and "longer chain" in err and file_sha(ledger5.path) == before

    # a ledger with a different history is not overwritten
    other = L.init_ledger(tmp_path / "other.db")
    other.declare(keys["alice"], doc(1))
    before = file_sha(other.path)
    code, _, err = cli("ledger", "import", full, other.path)
    assert code == 2 and "diverges" in err and "at seq 1" in err
    assert file_sha(other.path) == before


def _tampered_exports(src):
    d = json.loads(src.read_text())

    def payload(x):
        x["entries"][1]["payload"] = x["entries"][1]["payload"].replace("scud-b", "scud-c")

    def truncated(x):   # entries cut from the end, n_entries/head_hash left as they were
        del x["entries"][-1]

    def truncated_fixed(x):   # ... and n_entries fixed up, but the head hash cannot be
        del x["entries"][-1]
        x["n_entries"] -= 1

    def middle(x):
        del x["entries"][2]
        x["n_entries"] -= 1

    def key(x):
        x["parties"][0]["public_key"] = "00" * 32

    def seq_type(x):
        x["entries"][0]["seq"] = "1"

    def signature(x):
        x["entries"][4]["signature"] = "ab" * 64

    for f in (payload, truncated, truncated_fixed, middle, key, seq_type, signature):
        x = json.loads(json.dumps(d))
        f(x)
        yield f.__name__, x


def test_tampered_export_is_refused_and_nothing_written(ledger5, tmp_path, cli):
    good = tmp_path / "e.json"
    L.export_ledger(ledger5, good)
    cli("ledger", "init", tmp_path / "empty.db")
    empty_before = file_sha(tmp_path / "empty.db")
    for name, x in _tampered_exports(good):
        bad = tmp_path / f"bad-{name}.json"
        bad.write_text(json.dumps(x))
        with pytest.raises(L.LedgerIntegrityError):
            L.import_ledger(bad, tmp_path / "never.db")
        code, _, err = cli("ledger", "import", bad, tmp_path / "new.db")
        assert code == 1, (name, err)
        assert "nothing imported" in err and err.count("\n") == 1
        assert not (tmp_path / "new.db").exists()
        assert cli("ledger", "import", bad, tmp_path / "empty.db")[0] == 1
        assert file_sha(tmp_path / "empty.db") == empty_before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_malformed_export_is_exit_2(tmp_path, ledger5, cli):
    p = tmp_path / "x.json"
    for text, msg in (("not json", "not a JSON file"), ('{"format": "other"}', "not a bmdcheck ledger export"),
                      (json.dumps({"format": L.EXPORT_FORMAT, "ledger_format": L.FORMAT, "entries": [{}], "parties": []}),
                       "exactly the fields")):
        p.write_text(text)
        code, _, err = cli("ledger", "import", p, tmp_path / "n.db")
        assert code == 2 and msg in err
    assert not (tmp_path / "n.db").exists()


def test_export_writes_a_new_file(ledger5, tmp_path):
    out = tmp_path / "e.json"
    L.export_ledger(ledger5, out)
    assert json.loads(out.read_text())["n_entries"] == 5
    with pytest.raises(BmdcheckError, match="folder not found"):
        L.export_ledger(ledger5, tmp_path / "no" / "e.json")
    assert len(rows(ledger5.path)) == 5
