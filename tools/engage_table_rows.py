"""Time the table model on bench engage's pairs and check its rows bit for bit against saved ones.

    PYTHONPATH=src python tools/engage_table_rows.py save rows.npy   # e.g. on main
    PYTHONPATH=src python tools/engage_table_rows.py check rows.npy  # on a branch

The pairs are ``bench.bench_engage``'s (``bench.engage_pairs``: 500 trajectories x 200 sites); the timed part is its
own, ``prepare`` + ``solve_windows``, best of 5 (wall and CPU seconds, with the load average).
"""

import sys

from _rows import best_of, finish, parse

from bmdcheck.bench import engage_pairs
from bmdcheck.defence.engagement import prepare, solve_windows
from bmdcheck.defence.flyout import table_for


def main(mode, path):
    th, sites, spec, _ = engage_pairs()
    tab = table_for(4500.0, 50.0, 900.0)
    solve_windows(prepare(th), sites, [tab], spec)  # compile or load the cache
    wall, cpu, w = best_of(5, lambda: solve_windows(prepare(th), sites, [tab], spec))
    return finish(mode, path, w.raw, wall, cpu)


if __name__ == "__main__":
    sys.exit(main(*parse(sys.argv, "engage_table_rows.py")))
