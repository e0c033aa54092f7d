"""Benchmarks that run the fast path and its reference in the same process and report ratios.

Absolute times on shared machines are noise; the ratio between two paths measured in one run is
not. Figures go to the README's performance section.
"""

from __future__ import annotations

import os
import time

import numpy as np


def _versions() -> dict:
    import numba
    import scipy

    return {"numpy": np.__version__, "numba": numba.__version__, "scipy": scipy.__version__}


def bench_missile():
    from .flight.missile import catalogue

    cat = catalogue()
    for name in ("minuteman-iii", "aps-solid-icbm", "topol-m"):
        if name in cat:
            return cat[name]
    return next(m for m in cat.values() if m.cls == "icbm")


def bench_flight(n: int = 10_000, n_ref: int = 12, seed: int = 20131, progress: bool = False) -> dict:
    """Fly n full ICBM trajectories with the batch engine and n_ref of them with SciPy DOP853.

    The trajectories: boost with drag, J2, rotation, USSA76, to impact, from random points of
    35–60° N, 30–90° E in random directions, pitch kicks from 0.6× the maximum-range kick to
    the lesser of 1.4× and 89°.
    Returns fast_per_s, reference_per_s, ratio, max_impact_diff_km, and the machine's figures.
    """
    import numba

    from .earth.frames import geodesic_inverse
    from .earth.model import EarthModel
    from .flight.batch import fly_missile_batch
    from .flight.performance import max_range_performance
    from .flight.reference import fly_reference

    m = bench_missile()
    earth = EarthModel()
    rng = np.random.default_rng(seed)
    k_star = max_range_performance(m)["kick_deg"]
    lat = rng.uniform(35, 60, n)
    lon = rng.uniform(30, 90, n)
    az = rng.uniform(0, 360, n)
    kick = rng.uniform(0.6 * k_star, min(89.0, 1.4 * k_star), n)
    fly_missile_batch(m, lat[:64], lon[:64], az[:64], kick[:64], earth=earth)  # compile / load cache
    t0 = time.perf_counter()
    b = fly_missile_batch(m, lat, lon, az, kick, earth=earth)
    t_fast = time.perf_counter() - t0
    fast_lat, fast_lon, _ = b.impact_geodetic()
    idx = rng.choice(n, size=min(n_ref, n), replace=False)
    diffs = []
    t0 = time.perf_counter()
    for i in idx:
        r = fly_reference(m, launch_lat_deg=lat[i], launch_lon_deg=lon[i], azimuth_deg=az[i], kick_deg=kick[i],
                          earth="wgs84", gravity="j2", rotation=True, atmosphere="ussa76", rtol=1e-10)
        diffs.append((r.impact_lat_deg, r.impact_lon_deg))
    t_ref = time.perf_counter() - t0
    ref = np.array(diffs)
    d, _ = geodesic_inverse(fast_lat[idx], fast_lon[idx], ref[:, 0], ref[:, 1], earth)
    fast_per_s = n / t_fast
    ref_per_s = len(idx) / t_ref
    return {"benchmark": "flight", "missile": m.name, "n": n, "n_ref": int(len(idx)),
            "fast_per_s": fast_per_s, "reference_per_s": ref_per_s, "ratio": fast_per_s / ref_per_s,
            "max_impact_diff_km": float(np.max(d) / 1e3), "impacted": int(b.ok.sum()),
            "fast_seconds": t_fast, "reference_seconds": t_ref, "cores": os.cpu_count(),
            "threads": numba.get_num_threads(), "versions": _versions()}


def bench_stream(n: int = 1_000_000, chunk: int = 50_000, seed: int = 7) -> dict:
    """Summary-only flights of n ICBM trajectories streamed in chunks; reports rate and peak RSS.

    Only the ranges (float32, 4 bytes each) are kept, as a user's aggregation would; the peak
    resident memory shows that the batch engine's memory is bounded by the chunk, not by n.
    """
    import resource

    from .flight.batch import iter_missile_summaries
    from .flight.performance import max_range_performance

    m = bench_missile()
    rng = np.random.default_rng(seed)
    k_star = max_range_performance(m)["kick_deg"]
    lat, lon = rng.uniform(35, 60, n), rng.uniform(30, 90, n)
    az = rng.uniform(0, 360, n)
    kick = rng.uniform(0.6 * k_star, min(89.0, 1.4 * k_star), n)
    ranges = np.empty(n, dtype=np.float32)
    t0 = time.perf_counter()
    for sl, b in iter_missile_summaries(m, lat, lon, az, kick, chunk=chunk):
        ranges[sl] = b.range_m() / 1e3
    dt = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return {"benchmark": "stream", "n": n, "chunk": chunk, "seconds": dt, "per_s": n / dt,
            "peak_rss_mb": peak_mb, "median_range_km": float(np.median(ranges)), "cores": os.cpu_count()}
