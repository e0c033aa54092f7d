"""Architecture: the import graph of src/bmdcheck (read with ast, nothing imported) has no cycle,
and the command line imports the library only through the façade (``bmdcheck.api``).

Every import counts, module-level or inside a function: a cycle through a lazy import is still a
cycle a reader must untangle.
"""

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PKG = SRC / "bmdcheck"


def _modules() -> dict[str, Path]:
    out = {}
    for p in PKG.rglob("*.py"):
        parts = list(p.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = p
    return out


def _imports(name: str, path: Path, mods: dict) -> set[str]:
    """The bmdcheck modules ``name`` imports (``from pkg import sub`` counts as pkg.sub)."""
    is_pkg = path.name == "__init__.py"
    here = name.split(".") if is_pkg else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = here[:len(here) - node.level + 1] if node.level else []
            mod = ".".join(base + ([node.module] if node.module else []))
            for a in node.names:
                sub = f"{mod}.{a.name}"
                found.add(sub if sub in mods else mod)
    out = set()
    for m in found:
        while m and m not in mods:  # a.b.c where c is a name: the module a.b
            m = m.rpartition(".")[0]
        if m and m != name and m.startswith("bmdcheck"):
            out.add(m)
    return out


def import_graph() -> dict[str, set[str]]:
    mods = _modules()
    return {n: _imports(n, p, mods) for n, p in mods.items()}


def _cycle(graph: dict[str, set[str]]):
    """One import cycle as a list of modules, or None (iterative depth-first search)."""
    state: dict[str, int] = {}
    for root in sorted(graph):
        if root in state:
            continue
        stack = [(root, iter(sorted(graph[root])))]
        path = [root]
        state[root] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
                path.pop()
            elif state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            elif nxt not in state:
                state[nxt] = 1
                stack.append((nxt, iter(sorted(graph.get(nxt, ())))))
                path.append(nxt)
    return None


def test_graph_is_read():
    g = import_graph()
    assert "bmdcheck.flight.trajectory" in g["bmdcheck.flight.batch"] or g["bmdcheck.flight.trajectory"]
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]  # the detector can fail


def test_no_import_cycles():
    assert _cycle(import_graph()) is None


def test_cli_and_demo_import_only_the_facade():
    allowed = {"bmdcheck", "bmdcheck.api", "bmdcheck.errors", "bmdcheck.demo"}  # the demo is a front end too
    front_ends = ("bmdcheck.cli", "bmdcheck.web")  # `serve` starts the web front end
    g = import_graph()
    bad = {n: sorted(m for m in deps if m not in allowed and not m.startswith(front_ends))
           for n, deps in g.items() if n.startswith("bmdcheck.cli") or n == "bmdcheck.demo"}
    assert {n: v for n, v in bad.items() if v} == {}
