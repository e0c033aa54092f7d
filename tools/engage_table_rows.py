"""Time the table model on bench engage's pairs and check its rows bit for bit against saved ones.

    PYTHONPATH=src python tools/engage_table_rows.py save rows.npy   # e.g. on main
    PYTHONPATH=src python tools/engage_table_rows.py check rows.npy  # on a branch

The pairs are ``bench.bench_engage``'s (``bench.engage_pairs``: 500 trajectories x 200 sites); the timed part is its
own, ``prepare`` + ``solve_windows``, best of 5 (wall and CPU seconds, with the load average).
"""

import sys
import time

import numpy as np

from bmdcheck.bench import engage_pairs
from bmdcheck.defence.engagement import prepare, solve_windows
from bmdcheck.defence.flyout import table_for


def main(mode, path):
    th, sites, spec, _ = engage_pairs()
    tab = table_for(4500.0, 50.0, 900.0)
    w = solve_windows(prepare(th), sites, [tab], spec)  # compile or load the cache
    wall = cpu = np.inf
    for _ in range(5):
        t0, c0 = time.perf_counter(), time.process_time()
        w = solve_windows(prepare(th), sites, [tab], spec)
        wall, cpu = min(wall, time.perf_counter() - t0), min(cpu, time.process_time() - c0)
    P = len(spec.traj)
    print(f"{P / wall:,.0f} pairs/s: {wall:.3f} s wall, {cpu:.3f} s CPU; feasible {w.feasible.mean():.3f}; "
          f"load {open('/proc/loadavg').read().split()[0]}")
    if mode == "save":
        np.save(path, w.raw)
        return 0
    ref = np.load(path)
    same = (ref == w.raw) | (np.isnan(ref) & np.isnan(w.raw))
    print(f"rows bit-identical: {bool(same.all())} ({int((~same.all(axis=1)).sum())} rows differ)")
    return 0 if same.all() else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
