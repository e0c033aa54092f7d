"""Audit the Newton steering (``flight.newton.aim``) against the reference solver on random problems.

    PYTHONPATH=src python tools/steer_audit.py [SEED]

Seven missiles x 60 random launch points and azimuths, half at 30-90 % of the maximum range and
half at 85-108 % (near and beyond it), x the three shapes; prints per (missile, shape) how many
each path solves and the rows whose kick differs by more than 0.02° or cut-off by more than 0.1 s
(range fraction, kicks, cut-offs). Then four missiles x 30 problems at 30-95 % of the maximum range
with a requested apogee (lofted 1.4x, depressed 0.45x the maximum-range apogee). docs/VALIDATION.md
states what the differences were.
"""

import sys

import numpy as np

import bmdcheck as bc
from bmdcheck.earth.frames import geodesic_direct
from bmdcheck.flight import newton as NW
from bmdcheck.flight.performance import max_range_performance

NAMES = ["topol-m", "ur-100nutth", "yars", "r-36m2", "minuteman-iii", "trident-ii-d5", "topol"]


def _compare(m, la, lo, ta, to, shape, apogee_km, frac, label):
    a = NW.aim(m, la, lo, ta, to, shape, apogee_km)
    r = bc.solve_steering(m, la, lo, ta, to, shape, apogee_km)
    bad = a.ok & r.ok & ((np.abs(a.kick_deg - r.kick_deg) > 0.02) | (np.abs(a.t_cut_s - r.t_cut_s) > 0.1))
    rows = [(round(frac[i], 3), round(a.kick_deg[i], 2), round(r.kick_deg[i], 2), round(a.t_cut_s[i], 1),
             round(r.t_cut_s[i], 1)) for i in np.nonzero(bad)[0]]
    print(f"{label:26s} reference {r.ok.sum():3d} aim {a.ok.sum():3d} aim only {(a.ok & ~r.ok).sum():2d} "
          f"reference only {(r.ok & ~a.ok).sum():2d} differ {bad.sum():2d} {rows}", flush=True)


def main(seed=1, n=60):
    rng = np.random.default_rng(seed)
    for name in NAMES:
        m = bc.get_missile(name)
        la, lo, az = rng.uniform(-60, 70, n), rng.uniform(-180, 180, n), rng.uniform(0, 360, n)
        dmax = max_range_performance(m)["max_range_km"] * 1e3
        d = dmax * np.concatenate([rng.uniform(0.3, 0.9, n // 2), rng.uniform(0.85, 1.08, n - n // 2)])
        ta, to = (np.asarray(v) for v in geodesic_direct(la, lo, az, d))
        for shape in ("min-energy", "lofted", "depressed"):
            _compare(m, la, lo, ta, to, shape, None, d / dmax, f"{name} {shape}")
    for name in NAMES[:2] + NAMES[4:6]:
        m, k = bc.get_missile(name), n // 2
        la, lo, az = rng.uniform(-60, 70, k), rng.uniform(-180, 180, k), rng.uniform(0, 360, k)
        perf = max_range_performance(m)
        d = perf["max_range_km"] * 1e3 * rng.uniform(0.3, 0.95, k)
        ta, to = (np.asarray(v) for v in geodesic_direct(la, lo, az, d))
        for shape, f in (("lofted", 1.4), ("depressed", 0.45)):
            _compare(m, la, lo, ta, to, shape, f * perf["apogee_km"], d / perf["max_range_km"] / 1e3,
                     f"{name} {shape} {f * perf['apogee_km']:,.0f} km")


if __name__ == "__main__":
    if len(sys.argv) > 2 or (len(sys.argv) == 2 and not sys.argv[1].isdigit()):
        sys.exit(f"usage: python tools/steer_audit.py [SEED]  (SEED a whole number, not {sys.argv[1:]})")
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
