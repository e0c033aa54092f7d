"""Time the Lambert model on bench engage's Lambert pairs and check its rows bit for bit against saved ones.

    PYTHONPATH=src python tools/engage_lambert_rows.py save rows.npy   # e.g. on main
    PYTHONPATH=src python tools/engage_lambert_rows.py check rows.npy  # on a branch

The pairs are ``bench.lambert_pairs``' (the first 100 trajectories x 100 sites of ``bench.engage_pairs``); the timed
part is ``lambert_kernel``, best of 3 (wall and CPU seconds, with the load average).
"""

import sys

import numpy as np
from _rows import best_of, finish, parse

from bmdcheck.bench import engage_pairs, lambert_pairs
from bmdcheck.defence.engagement import pairs_record, prepare
from bmdcheck.defence.lambert_engage import lambert_kernel
from bmdcheck.defence.windows import N_OUT


def main(mode, path):
    th, sites, spec, _ = engage_pairs()
    geo = prepare(th)
    lam, lspec, _ = lambert_pairs(geo, sites, spec, len(sites), 100, 100)
    prs, smp = pairs_record(lspec, None), geo.samples()
    out = np.zeros((len(lspec.traj), N_OUT))
    lambert_kernel(lam, smp, prs, out)  # compile or load the cache
    wall, cpu, _ = best_of(3, lambda: lambert_kernel(lam, smp, prs, out))
    return finish(mode, path, out, wall, cpu)


if __name__ == "__main__":
    sys.exit(main(*parse(sys.argv, "engage_lambert_rows.py")))
