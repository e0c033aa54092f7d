"""Helpers for the ledger tests (imported by conftest and the test modules)."""

import hashlib
import sqlite3
from pathlib import Path

PASSPHRASE = "correct horse battery staple"
FAST_LOG2N = 10   # test keys only; real keys use 2**17
TRIGGERS = ("entries_no_update", "entries_no_delete", "parties_no_update", "parties_no_delete")


#: A minimal valid scenario file (the CLI validates declarations with the scenario schema).
SCENARIO = """name = "north"
description = "tests"
[[defence.sites]]
site = "aegis-ashore-redzikowo"
[sensors]
early_warning = "sbirs-dsp"
[[threats]]
missile = "topol-m"
launch = "kozelsk"
aim = "washington"
[areas]
kozelsk = { point = [54.038, 35.772] }
washington = { point = [38.895, -77.036] }
"""


def doc(n, **extra):
    """A small scenario document, different for each n, with a marker findable in the file bytes."""
    d = {"name": f"scenario-{n}", "marker": f"marker-{n:04d}", "source": "tests",
         "threats": [{"missile": "scud-b", "launch": {"lat": 33.3 + n, "lon": 44.4}}]}
    d.update(extra)
    return d


def file_sha(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def raw_sql(db, *statements):
    """Edit the ledger file behind bmdcheck's back: drop the triggers, run statements, commit."""
    con = sqlite3.connect(db)
    try:
        for t in TRIGGERS:
            con.execute(f"DROP TRIGGER IF EXISTS {t}")
        for st in statements:
            if isinstance(st, tuple):
                con.execute(*st)
            else:
                con.execute(st)
        con.commit()
    finally:
        con.close()


def rows(db, sql="SELECT * FROM entries ORDER BY seq"):
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()
