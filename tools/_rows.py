"""What ``engage_table_rows.py`` and ``engage_lambert_rows.py`` share: their command line, the timing
(best of n, wall and CPU seconds) and saving rows or checking them bit for bit against saved ones."""

import os
import sys
import time

import numpy as np


def parse(argv: list, tool: str) -> tuple:
    """(mode, path) from ``tool save|check FILE.npy``; a usage line and exit 2 otherwise, or when the file to
    check is missing (before any work)."""
    if len(argv) != 3 or argv[1] not in ("save", "check"):
        print(f"usage: python tools/{tool} save|check FILE.npy", file=sys.stderr)
        sys.exit(2)
    if argv[1] == "check" and not os.path.isfile(argv[2]):
        print(f"{tool}: no saved rows at {argv[2]} (run `save` first)", file=sys.stderr)
        sys.exit(2)
    return argv[1], argv[2]


def best_of(n: int, run) -> tuple:
    """(wall_s, cpu_s, result): the smallest wall and CPU seconds of n calls of run() and its last result."""
    wall = cpu = np.inf
    for _ in range(n):
        t0, c0 = time.perf_counter(), time.process_time()
        res = run()
        wall, cpu = min(wall, time.perf_counter() - t0), min(cpu, time.process_time() - c0)
    return wall, cpu, res


def finish(mode: str, path: str, rows: np.ndarray, wall: float, cpu: float) -> int:
    """Print the rate (rows per wall second, column 0 the feasibility) and save rows, or check them against
    the saved ones (NaN equal to NaN); 0 when saved or identical, 1 when some differ."""
    print(f"{len(rows) / wall:,.0f} pairs/s: {wall:.3f} s wall, {cpu:.3f} s CPU; feasible {(rows[:, 0] > 0.5).mean():.3f}; "
          f"load {open('/proc/loadavg').read().split()[0]}")
    if mode == "save":
        np.save(path, rows)
        return 0
    ref = np.load(path)
    same = (ref == rows) | (np.isnan(ref) & np.isnan(rows))
    print(f"rows bit-identical: {bool(same.all())} ({int((~same.all(axis=1)).sum())} rows differ)")
    return 0 if same.all() else 1
