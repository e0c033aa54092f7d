"""Issue 8, ledger items: each test here failed before its fix (hostile inputs, full disk, no terminal)."""

import json

import pytest
from ledger_helpers import file_sha, rows

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
