"""Shared fixtures: fast keys (scrypt N=2**10), a populated ledger, and an in-process CLI runner."""

import pytest
from ledger_helpers import FAST_LOG2N, PASSPHRASE, doc

from bmdcheck import ledger as L


@pytest.fixture(scope="session")
def keydir(tmp_path_factory):
    d = tmp_path_factory.mktemp("keys")
    for party in ("alice", "bob", "mallory"):
        L.generate_key(party, d / f"{party}.key", PASSPHRASE, log2n=FAST_LOG2N)
    return d


@pytest.fixture(scope="session")
def keys(keydir):
    return {p: L.load_signing_key(keydir / f"{p}.key", PASSPHRASE) for p in ("alice", "bob", "mallory")}


@pytest.fixture
def passphrase_env(monkeypatch):
    monkeypatch.setenv("BMDCHECK_PASSPHRASE", PASSPHRASE)


@pytest.fixture
def ledger5(tmp_path, keys):
    """seq 1 alice declares (PASS), 2 bob declares, 3 bob acknowledges 1, 4 alice declares, 5 alice acknowledges 2."""
    led = L.init_ledger(tmp_path / "l.db")
    led.declare(keys["alice"], doc(1), verdict="PASS", results_hash="ab" * 32)
    led.declare(keys["bob"], doc(2))
    led.acknowledge(keys["bob"], 1, note="agreed")
    led.declare(keys["alice"], doc(4))
    led.acknowledge(keys["alice"], 2)
    return led


