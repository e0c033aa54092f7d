"""Two processes appending at once keep one valid chain; a crash mid-append never corrupts the file."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from ledger_helpers import PASSPHRASE, doc

from bmdcheck import ledger as L

WRITER = textwrap.dedent("""
    import os, sys, time
    from bmdcheck.ledger import Ledger, load_signing_key
    db, key, n, go, ready = sys.argv[1:6]
    k = load_signing_key(key, os.environ["PASSPHRASE"])
    led = Ledger(db)
    open(ready, "w").close()
    while not os.path.exists(go):
        time.sleep(0.002)
    for i in range(int(n)):
        led.declare(k, {"writer": k.party, "i": i})
        time.sleep(0.002)   # let the other writer in, so the chain interleaves
""")

CRASHER = textwrap.dedent("""
    import os, sys
    from bmdcheck.ledger import Ledger, load_signing_key, store
    db, key, stage, big = sys.argv[1:5]
    k = load_signing_key(key, os.environ["PASSPHRASE"])
    store.fault_hook = lambda s: os._exit(17) if s == stage else None
    # a big document overflows SQLite's page cache, so pages reach the database file before COMMIT
    Ledger(db).declare(k, {"crash": stage, "filler": "x" * (int(big) * 1024 * 1024)})
    os._exit(0)
""")


def _env():
    return {**os.environ, "PASSPHRASE": PASSPHRASE}


def test_two_processes_append_concurrently(tmp_path, keydir):
    """2 x 20 appends from two processes started together: 40 entries, one valid chain, each
    writer's entries in its own order, and both parties registered once."""
    led = L.init_ledger(tmp_path / "l.db")
    go = tmp_path / "go"
    procs = []
    for party in ("alice", "bob"):
        procs.append(subprocess.Popen([sys.executable, "-c", WRITER, str(led.path), str(keydir / f"{party}.key"), "20",
                                       str(go), str(tmp_path / f"ready-{party}")], env=_env()))
    deadline = time.time() + 120
    while not all((tmp_path / f"ready-{p}").exists() for p in ("alice", "bob")):
        assert time.time() < deadline and all(p.poll() is None for p in procs)
        time.sleep(0.01)
    go.touch()
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    rep = led.verify()
    assert rep.ok and rep.n_entries == 40 and rep.n_parties == 2, rep.summary()
    entries = led.entries()
    assert [e.seq for e in entries] == list(range(1, 41))
    for party in ("alice", "bob"):
        mine = [L.document_of(e)["i"] for e in entries if e.party == party]
        assert mine == list(range(20))
    interleaved = sum(a.party != b.party for a, b in zip(entries, entries[1:]))
    print(f"writer switches in the chain: {interleaved}")


@pytest.mark.parametrize("stage,new_party,big_mib", [("entry-inserted", False, 0), ("party-registered", True, 0),
                                                     ("entry-inserted", True, 0), ("entry-inserted", False, 6)])
def test_crash_in_the_middle_of_an_append(tmp_path, keys, keydir, stage, new_party, big_mib, cli):
    """os._exit inside the append transaction (after the INSERTs, before COMMIT). The ledger then
    verifies with the entries it had (a hot journal is rolled back by the next connection), and
    appends go on from the same head."""
    led = L.init_ledger(tmp_path / "l.db")
    for i in range(3):
        led.declare(keys["alice"], doc(i))
    head = led.verify().head_hash
    size_before = led.path.stat().st_size
    who = "bob" if new_party else "alice"
    p = subprocess.run([sys.executable, "-c", CRASHER, str(led.path), str(keydir / f"{who}.key"), stage, str(big_mib)],
                       env=_env(), timeout=120)
    assert p.returncode == 17
    journal = Path(f"{led.path}-journal")
    assert journal.exists()   # the crash really left a transaction half done
    if big_mib:
        assert led.path.stat().st_size > size_before   # ... with uncommitted pages in the database file
    code, out, _ = cli("ledger", "verify", led.path)
    assert code == 0 and out.startswith("intact: 3 entries"), out
    assert led.verify().head_hash == head
    assert set(led.parties()) == {"alice"}
    e = led.declare(keys[who], doc(9))
    assert e.seq == 4 and e.prev_hash == head and led.verify().ok
    assert not journal.exists()


def test_kill_9_during_a_stream_of_appends(tmp_path, keydir):
    led = L.init_ledger(tmp_path / "l.db")
    go = tmp_path / "go"
    go.touch()
    p = subprocess.Popen([sys.executable, "-c", WRITER, str(led.path), str(keydir / "alice.key"), "100000",
                          str(go), str(tmp_path / "ready")], env=_env())
    try:
        deadline = time.time() + 120
        while len(led.entries()) < 15:
            assert time.time() < deadline and p.poll() is None
            time.sleep(0.02)
    finally:
        os.kill(p.pid, signal.SIGKILL)
        p.wait(timeout=30)
    rep = led.verify()
    assert rep.ok and rep.n_entries >= 15, rep.summary()
    assert [L.document_of(e)["i"] for e in led.entries()] == list(range(rep.n_entries))
