"""Time the table model on bench engage's pairs and check its rows bit for bit against saved ones.

    PYTHONPATH=src python tools/engage_table_rows.py save rows.npy   # e.g. on main
    PYTHONPATH=src python tools/engage_table_rows.py check rows.npy  # on a branch

The pairs are ``bench.bench_engage``'s (500 trajectories x 200 sites, same seed); the timed part is its
own, ``prepare`` + ``solve_windows``, best of 5 (wall and CPU seconds, with the load average).
"""

import sys
import time

import numpy as np

from bmdcheck.bench import bench_missile
from bmdcheck.defence.engagement import PairSpec, Threats, prepare, solve_windows
from bmdcheck.defence.flyout import table_for
from bmdcheck.earth.model import EarthModel
from bmdcheck.flight.batch import fly_missile_batch
from bmdcheck.flight.performance import max_range_performance


def bench_pairs(n_traj=500, n_sites=200, seed=2013):
    """bench_engage's threats, sites and pair spec (the same draws in the same order)."""
    rng = np.random.default_rng(seed)
    m, earth = bench_missile(), EarthModel()
    k_star = max_range_performance(m)["kick_deg"]
    lat, lon = rng.uniform(50, 58, n_traj), rng.uniform(30, 60, n_traj)
    az = rng.uniform(290, 340, n_traj)
    kick = rng.uniform(0.7 * k_star, min(89.0, 1.2 * k_star), n_traj)
    b = fly_missile_batch(m, lat, lon, az, kick, earth=earth, sample_interval_s=1.0)
    th = Threats.from_batch(b)
    apo_lat, apo_lon, _ = b.impact_geodetic()
    mid = rng.integers(0, n_traj, n_sites)
    slat = np.clip(0.5 * (lat[mid] + apo_lat[mid]) + rng.uniform(-15, 15, n_sites), -85, 85)
    slon = 0.5 * (lon[mid] + apo_lon[mid]) + rng.uniform(-25, 25, n_sites)
    sites = np.stack([slat, slon, np.zeros(n_sites)], axis=-1)
    P = n_traj * n_sites
    spec = PairSpec(np.repeat(np.arange(n_traj), n_sites), np.tile(np.arange(n_sites), n_traj),
                    np.zeros(P, dtype=np.int64), rng.uniform(200, 400, P), 100e3, 1500e3, 0.0, 900.0, 0.0, 60.0)
    return th, sites, spec


def main(mode, path):
    th, sites, spec = bench_pairs()
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
