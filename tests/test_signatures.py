"""No public function of bmdcheck takes a long positional argument list (issue 12).

Kernels take named tuples (``flight.kernel.Starts``, ``MissileArgs``, ``Control``, ``Outputs``) and
named constants instead; options beyond the first few are keyword-only. The exemptions are listed
by name with the reason, so that a new long signature fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import bmdcheck

MAX_POSITIONAL = 12

EXEMPT = {
    # Typer commands: one parameter per command-line option (the CLI, owned by the facade work)
    "cli/engage_cmd.py:engage": "Typer command",
    "cli/main.py:fly": "Typer command",
    "cli/reconstruct_cmd.py:reconstruct": "Typer command",
    "cli/reconstruct_cmd.py:reconstruct_intercept_cmd": "Typer command",
    # the lock-step integrator (landed after the kernel took named tuples): follow-up, pass it
    # flight.kernel's Starts / MissileArgs / Control / Outputs
    "flight/lockstep.py:fly_lockstep": "follow-up: named tuples as in flight.kernel",
    # the window scanner's inlined per-pair body: the models' compiled functions and the scratch
    # arrays come in one by one so that the per-pair loop compiles without reference counting
    # (njit _nrt=False; a record of arrays costs an incref/decref per read, docs/design/engagement.md)
    "defence/windows.py:scan_pair_in": "compiled without reference counting: arrays passed one by one",
    "defence/windows.py:scan_pair_sub": "scan_pair_in with a model's sub-chunk bound: the same reason",
}


def _long_signatures(root: Path = Path(bmdcheck.__file__).parent) -> dict:
    """'relative/path.py:name' -> positional parameter count, for public functions over the limit."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or node.name.startswith("_"):
                continue
            names = [a.arg for a in node.args.posonlyargs + node.args.args if a.arg not in ("self", "cls")]
            if len(names) > MAX_POSITIONAL:
                found[f"{path.relative_to(root).as_posix()}:{node.name}"] = len(names)
    return found


def test_no_public_function_has_a_long_positional_list():
    long = {k: n for k, n in _long_signatures().items() if k not in EXEMPT}
    assert not long, (f"public functions with more than {MAX_POSITIONAL} positional parameters (use a named "
                      f"tuple or keyword-only options): {long}")


def test_the_scan_finds_a_long_signature(tmp_path):
    """The scan itself can fail: 13 positional parameters are found, keyword-only ones, self and
    private functions are not counted."""
    args = ", ".join(f"a{i}" for i in range(13))
    (tmp_path / "m.py").write_text(f"def long({args}):\n    pass\n\n\ndef _private({args}):\n    pass\n\n\n"
                                   f"def keywords(a, *, {args}):\n    pass\n\n\n"
                                   f"class C:\n    def method(self, {', '.join(f'a{i}' for i in range(12))}):\n"
                                   "        pass\n")
    assert _long_signatures(tmp_path) == {"m.py:long": 13}
