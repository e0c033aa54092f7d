"""Fuzz the ledger's command line (issue 8): mutated exports, declarations and argument lists.

Whatever the input: exit 0, 1 or 2 only; never a traceback; an error is one line; and on exit 2
nothing stored changed (the ledger file's bytes, no new or temporary files). Bounded example counts.
"""

import contextlib
import io
import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledger_helpers import FAST_LOG2N, PASSPHRASE, SCENARIO, doc, file_sha

from bmdcheck import ledger as L
from bmdcheck.cli.main import main

FUZZ = settings(max_examples=int(os.environ.get("LEDGER_FUZZ_EXAMPLES", "40")), deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module", autouse=True)
def _in_scratch_dir(tmp_path_factory):
    """Fuzzed arguments name relative paths: run in a scratch folder, never the checkout."""
    old = os.getcwd()
    os.chdir(tmp_path_factory.mktemp("cwd"))
    yield
    os.chdir(old)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A template folder: keys, a 3-entry ledger, its export, an empty ledger, a scenario file."""
    d = tmp_path_factory.mktemp("fuzz")
    for p in ("alice", "bob"):
        L.generate_key(p, d / f"{p}.key", PASSPHRASE, log2n=FAST_LOG2N)
    k = {p: L.load_signing_key(d / f"{p}.key", PASSPHRASE) for p in ("alice", "bob")}
    led = L.init_ledger(d / "l.db")
    led.declare(k["alice"], doc(1), verdict="PASS", results_hash="ab" * 32)
    led.declare(k["bob"], doc(2))
    led.acknowledge(k["bob"], 1, note="ok")
    L.export_ledger(led, d / "e.json")
    led.add_checkpoint(k["alice"])
    (d / "cp.json").write_text(L.checkpoint_json(led.checkpoints()[0]))
    L.init_ledger(d / "empty.db")
    (d / "s.toml").write_text(SCENARIO)
    (d / "salt").write_text("ab" * 32 + "\n")
    return d


@contextlib.contextmanager
def copy_of(world):
    """A fresh copy of the template folder, which is also the working directory meanwhile: a random
    argument taken as a relative path (``ledger init 586``) lands there, never in the repository."""
    with tempfile.TemporaryDirectory(prefix="ledger-fuzz-") as t:
        t = Path(t)
        for p in world.iterdir():
            shutil.copy2(p, t / p.name)
        cwd = os.getcwd()
        os.chdir(t)
        try:
            yield t
        finally:
            os.chdir(cwd)


def snapshot(folder: Path) -> dict:
    return {p.name: file_sha(p) for p in folder.iterdir() if p.is_file()}


def run(*args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    old = os.environ.get("BMDCHECK_PASSPHRASE")
    os.environ["BMDCHECK_PASSPHRASE"] = PASSPHRASE
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main([str(a) for a in args])
                code = 0
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else (0 if e.code is None else 2)
    finally:
        if old is None:
            os.environ.pop("BMDCHECK_PASSPHRASE", None)
        else:
            os.environ["BMDCHECK_PASSPHRASE"] = old
    return code, out.getvalue(), err.getvalue()


def check(folder: Path, before: dict, args, code: int, out: str, err: str) -> None:
    assert code in (0, 1, 2), (args, code, err)
    assert "Traceback" not in err + out, (args, err)
    if code != 0:
        lines = [ln for ln in err.splitlines() if ln.strip() and not ln.startswith("warning: ")]
        assert len(lines) <= 1, (args, err)
    if code == 2:
        assert snapshot(folder) == before, (args, err)   # nothing changed, nothing added
    assert not [p for p in folder.iterdir() if p.name.startswith(".")], (args, "temporary file left")


# ---- mutated exports ------------------------------------------------------------------------------

_scalars = (st.booleans() | st.integers(-2**70, 2**70) | st.text(max_size=20) | st.floats(allow_nan=False))
toml_values = st.recursive(_scalars, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c,
                                                                                           max_size=3), max_leaves=6)
json_values = st.recursive(st.none() | _scalars, lambda c: st.lists(c, max_size=3)
                           | st.dictionaries(st.text(max_size=5), c, max_size=3), max_leaves=6)


def _mutate_json(text: str, data) -> str:
    d = json.loads(text)
    for _ in range(data.draw(st.integers(1, 3))):
        node, keys = d, []
        while isinstance(node, (dict, list)) and node and data.draw(st.booleans()):
            k = data.draw(st.sampled_from(sorted(node) if isinstance(node, dict) else range(len(node))))
            keys.append(k)
            parent, node = node, node[k]
        if not keys:
            continue
        how = data.draw(st.sampled_from(["replace", "delete", "dup"]))
        if how == "replace":
            parent[keys[-1]] = data.draw(json_values)
        elif how == "delete":
            del parent[keys[-1]]
        elif isinstance(parent, list):
            parent.append(parent[keys[-1]])
    return json.dumps(d)


def _mutate_bytes(raw: bytes, data) -> bytes:
    b = bytearray(raw)
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(b) - 1))
        how = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        if how == "flip":
            b[i] ^= 1 << data.draw(st.integers(0, 7))
        elif how == "cut":
            del b[i:]
            if not b:
                break
        else:
            b[i:i] = data.draw(st.binary(min_size=1, max_size=8))
    return bytes(b)


@FUZZ
@given(data=st.data())
def test_fuzz_import_of_mutated_exports(world, data):
    with copy_of(world) as t:
        raw = (t / "e.json").read_bytes()
        mutated = (_mutate_json(raw.decode(), data).encode() if data.draw(st.booleans())
                   else _mutate_bytes(raw, data))
        (t / "m.json").write_bytes(mutated)
        target = data.draw(st.sampled_from(["new.db", "empty.db", "l.db", "s.toml"]))
        before = snapshot(t)
        args = ("ledger", "import", t / "m.json", t / target)
        check(t, before, args, *run(*args))


# ---- declarations -----------------------------------------------------------------------------------

@FUZZ
@given(data=st.data())
def test_fuzz_declare_mutated_scenarios(world, data):
    from bmdcheck.guarantee.rerun import document_to_toml

    with copy_of(world) as t:
        if data.draw(st.booleans()):
            text = _mutate_bytes(SCENARIO.encode(), data)
        else:
            base = L.document_from_toml(t / "s.toml")
            base.update(data.draw(st.dictionaries(st.sampled_from(["name", "threats", "areas", "defence", "x",
                                                                   "include", "sensors"]), toml_values, max_size=2)))
            text = document_to_toml(base).encode()
        (t / "d.toml").write_bytes(text)
        led = data.draw(st.sampled_from(["l.db", "empty.db", "e.json", "missing.db"]))
        extra = data.draw(st.sampled_from([(), ("--json",), ("--verdict", "PASS", "--results-hash", "cd" * 32),
                                           ("--party", "bob"), ("--verdict", "PASS")]))
        before = snapshot(t)
        args = ("ledger", "declare", t / led, t / "d.toml", "--key", t / "alice.key", *extra)
        check(t, before, args, *run(*args))


# ---- argument lists -------------------------------------------------------------------------------

COMMANDS = ["init", "declare", "acknowledge", "log", "show", "diff", "verify", "export", "import", "checkpoint",
            "cosign", "prove", "consistency", "commit", "reveal", "bogus"]


@FUZZ
@given(data=st.data())
def test_fuzz_arguments(world, data):
    with copy_of(world) as t:
        files = [t / n for n in ("l.db", "empty.db", "e.json", "s.toml", "alice.key", "bob.key", "alice.key.pub",
                                 "missing.db", "new.json", "cp.json", "salt")] + [t, Path("/dev/null")]
        atom = st.one_of(st.sampled_from(files), st.integers(-2**70, 2**70), st.text(max_size=12),
                         st.sampled_from(["--json", "--key", "--trust", "--rerun", "--note", "--party", "--verdict",
                                          "--results-hash", "--out", "--", "-x", "PASS", "1", "0", "2", "--checkpoint",
                                          "--size", "--salt-file", "--salt-out", "--ledger"]))
        args = ("ledger", data.draw(st.sampled_from(COMMANDS)), *data.draw(st.lists(atom, max_size=6)))
        args = tuple(str(a).replace("\x00", "") for a in args)
        before = snapshot(t)
        check(t, before, args, *run(*args))


@FUZZ
@given(data=st.data())
def test_fuzz_verify_and_cosign_mutated_checkpoints(world, data):
    with copy_of(world) as t:
        raw = (t / "cp.json").read_bytes()
        mutated = (_mutate_json(raw.decode(), data).encode() if data.draw(st.booleans())
                   else _mutate_bytes(raw, data))
        (t / "m.json").write_bytes(mutated)
        before = snapshot(t)
        if data.draw(st.booleans()):
            args = ("ledger", "verify", t / "l.db", "--checkpoint", t / "m.json")
        else:
            args = ("ledger", "cosign", t / "m.json", "--key", t / "bob.key", "--ledger", t / "l.db",
                    "--out", t / "out.json")
        check(t, before, args, *run(*args))
