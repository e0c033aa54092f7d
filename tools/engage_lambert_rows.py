"""Time the Lambert model on bench engage's Lambert pairs and check its rows bit for bit against saved ones.

    PYTHONPATH=src python tools/engage_lambert_rows.py save rows.npy   # e.g. on main
    PYTHONPATH=src python tools/engage_lambert_rows.py check rows.npy  # on a branch

The pairs are ``bench.lambert_pairs``' (the first 100 trajectories x 100 sites of ``bench.engage_pairs``); the timed
part is ``lambert_kernel``, best of 3 (wall and CPU seconds, with the load average).
"""

import sys
import time

import numpy as np

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
    wall = cpu = np.inf
    for _ in range(3):
        t0, c0 = time.perf_counter(), time.process_time()
        lambert_kernel(lam, smp, prs, out)
        wall, cpu = min(wall, time.perf_counter() - t0), min(cpu, time.process_time() - c0)
    P = len(lspec.traj)
    print(f"{P / wall:,.0f} pairs/s: {wall:.3f} s wall, {cpu:.3f} s CPU; feasible {(out[:, 0] > 0.5).mean():.3f}; "
          f"load {open('/proc/loadavg').read().split()[0]}")
    if mode == "save":
        np.save(path, out)
        return 0
    ref = np.load(path)
    same = (ref == out) | (np.isnan(ref) & np.isnan(out))
    print(f"rows bit-identical: {bool(same.all())} ({int((~same.all(axis=1)).sum())} rows differ)")
    return 0 if same.all() else 1


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("save", "check"):
        sys.exit("usage: python tools/engage_lambert_rows.py save|check FILE.npy")
    sys.exit(main(sys.argv[1], sys.argv[2]))
