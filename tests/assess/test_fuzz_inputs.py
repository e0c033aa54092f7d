"""Fuzz (hypothesis, bounded) of scenario and rules files against assess / verify / compare.

Mutations of a tiny scenario and of the shipped speed-caps rules: deleted keys, wrong types,
huge / negative / NaN / infinite numbers, deep nesting, control characters, truncated text.
Every run must end with exit 0, 1 or 2 and never a traceback; on exit 2 one line on stderr and
nothing created or changed in --out. Sizes are bounded (FUZZ_EXAMPLES, default 25 per target;
a valid mutant whose plan is larger than a few flights is checked by validation only).
"""

import contextlib
import io
import math
import os
import shutil
import tomllib

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bmdcheck.assess.engine import assess, plan
from bmdcheck.assess.results import read_results
from bmdcheck.cli.main import main
from bmdcheck.errors import BmdcheckError
from bmdcheck.guarantee.rerun import document_to_toml
from bmdcheck.guarantee.rules import shipped_rules
from bmdcheck.scenario.load import shipped_scenarios

from assess_helpers import TINY

N = int(os.environ.get("FUZZ_EXAMPLES", "25"))
FUZZ = settings(max_examples=N, deadline=None, derandomize=not os.environ.get("FUZZ_RANDOM"),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                       HealthCheck.data_too_large])
VERIFY_SCENARIO = TINY + '\n[[defence.sites]]\nsite = "aegis-ashore-deveselu"\n'
RULES_TEXT = shipped_rules()["speed-caps"].read_text()
DEEP = "@@DEEP@@"

HOSTILE = st.one_of(
    st.sampled_from(["", "x", "nosuch", "\x1b[2J\x1b[31mred", "a\x00b", "\u202eevil", "..", "/etc/passwd",
                     -1, 0, 1, 2**31, 2**63 - 1, -2**63, 3_000_000_000, 10**30, 1e308, -1e308, 1e-320,
                     math.nan, math.inf, -math.inf, -0.0, True, False, [], {}, [1, 2], [[0.0, 0.0]], {"a": 1},
                     DEEP]),
    st.integers(), st.floats(), st.text(max_size=12))


def _paths(doc):
    out = []

    def walk(v, p):
        out.append(p)
        if isinstance(v, dict):
            for k, x in v.items():
                walk(x, p + (k,))
        elif isinstance(v, list):
            for i, x in enumerate(v):
                walk(x, p + (i,))
    walk(doc, ())
    return out[1:]


def _set(doc, path, value, delete=False):
    parent = doc
    for k in path[:-1]:
        parent = parent[k]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value


@st.composite
def mutated(draw, text):
    """A mutant of TOML ``text``: 1-3 structural mutations, then maybe a text-level one."""
    doc = tomllib.loads(text)
    for _ in range(draw(st.integers(1, 2))):
        paths = _paths(doc)
        if not paths:
            break
        p = draw(st.sampled_from(paths))
        op = draw(st.sampled_from(["delete", "replace", "control", "perturb", "perturb"]))
        old = doc
        for k in p:
            old = old[k]
        if op == "perturb" and isinstance(old, (int, float)) and not isinstance(old, bool):
            # same type, other value: keeps many mutants valid, so the runs behind validation are fuzzed too
            k = draw(st.sampled_from([0, -1, 0.5, 2, 10, 1e6]))
            v = old * k if k != -1 else -old
            _set(doc, p, type(old)(v) if isinstance(old, int) and abs(v) < 2**62 else float(v))
        elif op == "perturb":
            _set(doc, p, old)
        elif op == "delete":
            _set(doc, p, None, delete=True)
        elif op == "control":
            _set(doc, p, f"{draw(st.sampled_from(['', 'x', 'topol-m']))}{draw(st.characters(max_codepoint=0x9f, categories=['Cc']))}")
        else:
            _set(doc, p, draw(HOSTILE))
    out = document_to_toml(doc)
    if DEEP in out:
        n = draw(st.sampled_from([70, 3000]))
        out = out.replace(f'"{DEEP}"', "[" * n + "]" * n, 1).replace(f'"{DEEP}"', '"x"')
    tail = draw(st.sampled_from(["none"] * 4 + ["truncate", "raw-control"]))
    if tail == "truncate":
        out = out[:draw(st.integers(0, len(out)))]
    elif tail == "raw-control":
        i = draw(st.integers(0, len(out)))
        out = out[:i] + draw(st.sampled_from(["\x00", "\x1b", "\x7f", "\x85", "\r"])) + out[i:]
    return out


def run_cli(*args):
    """The real entry point in-process: (exit code, stdout, stderr). Any other exception escapes (a traceback)."""
    o, e = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(o), contextlib.redirect_stderr(e):
        try:
            main([str(a) for a in args])
            code = 0
        except SystemExit as ex:
            code = ex.code
    return code, o.getvalue(), e.getvalue()


def snapshot(d):
    if not os.path.exists(d):
        return None
    return {os.path.relpath(os.path.join(r, f), d): os.stat(os.path.join(r, f)).st_mtime_ns
            for r, _, fs in os.walk(d) for f in fs}


def check_exit(code, err):
    event(f"exit {code}")
    assert code in (0, 1, 2), (code, err)
    assert "Traceback" not in err, err
    if code == 2:
        lines = [x for x in err.splitlines() if x.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: "), err
        assert "\x1b" not in err and "\x00" not in err, err


def small_enough(path) -> bool:
    """True when a scenario's plan is a few flights (runs in seconds); raises on bad input."""
    try:
        p = plan(path, os.path.join(os.path.dirname(path), "never-written"))
    except BmdcheckError:
        return True  # the CLI must refuse it: run it
    return len(p.cases) * p.draws <= 8 and len(p.defence) <= 4


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    d = tmp_path_factory.mktemp("fuzz")
    (d / "verify.toml").write_text(VERIFY_SCENARIO)
    (d / "tiny.toml").write_text(TINY)
    done = d / "done"
    assess(d / "tiny.toml", done, chunk_cases=1)
    return d


def _write(work, name, text):
    p = work / name
    p.write_bytes(text.encode("utf-8", "surrogatepass"))
    return p


@FUZZ
@given(text=mutated(TINY), existing=st.booleans())
def test_fuzz_assess(work, text, existing):
    sc = _write(work, "mut.toml", text)
    if not small_enough(str(sc)):
        event("valid, too large to run")
        return
    out = work / "out"
    shutil.rmtree(out, ignore_errors=True)
    if existing:
        shutil.copytree(work / "done", out)
    before = snapshot(out)
    code, stdout, err = run_cli("assess", sc, "--out", out)
    check_exit(code, err)
    if code == 2:
        assert snapshot(out) == before, "exit 2 changed --out"
    else:
        assert code == 0 and read_results(out).provenance["rows"] >= 0


@FUZZ
@given(scenario=mutated(VERIFY_SCENARIO))
def test_fuzz_verify_scenario(work, scenario):
    sc = _write(work, "mut-v.toml", scenario)
    if not small_enough(str(sc)):
        event("valid, too large to run")
        return
    code, _, err = run_cli("verify", sc, "speed-caps")
    check_exit(code, err)


@FUZZ
@given(rules=mutated(RULES_TEXT))
def test_fuzz_verify_rules(work, rules):
    r = _write(work, "mut-rules.toml", rules)
    code, _, err = run_cli("verify", work / "verify.toml", r)
    check_exit(code, err)


@settings(FUZZ, max_examples=max(1, N // 4))
@given(b=mutated(TINY))
def test_fuzz_compare(work, b):
    sb = _write(work, "mut-b.toml", b)
    if not small_enough(str(sb)):
        event("valid, too large to run")
        return
    out = work / "cmp"
    shutil.rmtree(out, ignore_errors=True)
    code, _, err = run_cli("compare", work / "tiny.toml", sb, "--out", out)
    check_exit(code, err)
    if code == 2:
        assert not out.exists(), "exit 2 left --out behind"


SHIPPED = "epaa-phase4-2013"


@pytest.fixture(scope="module")
def shipped_dir(tmp_path_factory):
    """A copy of the shipped scenarios, so a mutant's relative includes resolve as the original's do."""
    d = tmp_path_factory.mktemp("shipped") / "scenarios"
    shutil.copytree(shipped_scenarios()[SHIPPED].parent, d)
    return d


@settings(FUZZ, max_examples=max(1, N // 2))
@given(text=mutated(shipped_scenarios()[SHIPPED].read_text()))
def test_fuzz_shipped_scenario_verify(shipped_dir, text):
    """A mutated shipped scenario (its includes intact) checked against the shipped speed-caps rules."""
    sc = shipped_dir / "mutant.toml"
    sc.write_bytes(text.encode("utf-8"))
    code, _, err = run_cli("verify", sc, "speed-caps")
    check_exit(code, err)


ARG = st.one_of(st.sampled_from(["0", "-1", "1", "2", "100001", "1e3", "nan", "inf", "", "x", "local:0", "local:x",
                                 "local:", "tcp://", "\x1b[31m", "--json", "--out", "--draws", "--chunk", "--dask",
                                 "/dev/null", "/proc/nope", "99999999999999999999"]),
                st.text(max_size=8))


@settings(FUZZ, max_examples=max(1, N))
@given(cmd=st.sampled_from(["assess", "verify", "compare"]), extra=st.lists(ARG, max_size=4))
def test_fuzz_cli_arguments(work, cmd, extra):
    """Argument lists around valid inputs: exit 0/1/2, one line on exit 2 (runs only when cheap)."""
    base = {"assess": [work / "tiny.toml"], "verify": [work / "verify.toml", "speed-caps"],
            "compare": [work / "tiny.toml", work / "tiny.toml"]}[cmd]
    out = work / "args-out"
    shutil.rmtree(out, ignore_errors=True)
    args = [cmd, *base, *extra]
    if cmd != "verify" and "--out" not in extra:
        args += ["--out", out]
    if any(a.startswith("tcp://") or a == "--dask" for a in extra):
        return  # a scheduler address is tried for 10 s: covered once in test_hostile_inputs
    code, _, err = run_cli(*args)
    check_exit(code, err)
    if code == 2:
        assert not out.exists()
