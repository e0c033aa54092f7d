"""Work a second process can do ahead of an assessment, with results the assessment reads back.

``make demo`` runs these in a helper process on the second core (``bmdcheck.demo.Helper``): the
lock-step flight kernel compiled into the Numba cache, and the fly-out tables an assessment will ask
for built into the disk cache (``bmdcheck.diskcache``). Each is the same computation, with the same
inputs and cache keys, as the assessment's own, so results never depend on whether it ran.
"""

from __future__ import annotations

import threading


def compile_lockstep() -> None:
    """Compile the lock-step flight kernel (``flight.lockstep.fly_lockstep``) by flying one missile."""
    from ..flight.batch import fly_missile_batch
    from ..flight.missile import get_missile

    fly_missile_batch(get_missile("topol-m"), 54.0, 35.8, 0.0, 20.0, kernel="lockstep")


def load_after(dispatchers, ready: threading.Event, timeout_s: float = 600.0) -> None:
    """In this process, make the first compile of each Numba dispatcher wait until ``ready`` is set
    (another process is compiling it into the Numba cache) when the cache does not hold it yet, then
    look again, so that it is loaded from the cache, not compiled a second time. Numba looks a
    signature up in its cache right before compiling it (``Dispatcher._cache.load_overload``, which
    reads the cache's index anew each time); the wait goes after a look-up that finds nothing. No-op
    for a dispatcher without a cache."""
    for disp in dispatchers:
        cache = getattr(disp, "_cache", None)
        if cache is None or not hasattr(cache, "load_overload"):
            continue

        def load_overload(sig, target_context, _load=cache.load_overload):
            got = _load(sig, target_context)
            if got is None and not ready.is_set():
                ready.wait(timeout_s)
                got = _load(sig, target_context)
            return got

        cache.load_overload = load_overload


def load_lockstep_after(ready: threading.Event, timeout_s: float = 600.0) -> None:
    """:func:`load_after` for the lock-step flight kernel (``flight.lockstep.fly_lockstep``)."""
    from ..flight.lockstep import fly_lockstep

    load_after([fly_lockstep], ready, timeout_s)


def load_flyout_after(ready: threading.Event, timeout_s: float = 600.0) -> None:
    """:func:`load_after` for the fly-out table kernels (``defence.flyout``: fan geometry, altitude
    crossings, grid fill), which the helper compiles with its first table."""
    from ..defence import flyout

    load_after([flyout._fan_geometry, flyout._crossings, flyout._fill], ready, timeout_s)


def prefetch_tables(scenario: str, stop: threading.Event | None = None, first=None) -> int:
    """Build the rotating fly-out tables an assessment of ``scenario`` in one chunk asks for
    (``engine.run_chunk``: every draw's scaled interceptors at their sites, sector-free where no
    threat comes within reach, ``flyout.threats_beyond``) into the disk cache, draws in reverse
    order (an assessment running at the same time takes them in order). Stops between tables when
    ``stop`` is set; calls ``first()`` once the first table is in the cache (its kernels compiled).
    Returns the number of tables asked for; nothing without a disk cache."""
    from ..defence.flyout import nearest_by_lat, threats_beyond
    from ..diskcache import cache_dir
    from ..scenario import expand
    from ..scenario.load import canonical_json, load_scenario
    from .engine import _chunk_threats, _fly_cases, _scaled, _scenario_from_json

    if cache_dir() is None:
        return 0
    s = _scenario_from_json(canonical_json(load_scenario(scenario)))  # as a chunk sees it
    cases = expand.threat_cases(s)
    defence = expand.defence_specs(s)
    ids = tuple(range(len(cases)))
    flown = _fly_cases(ids, [cases[i] for i in ids])
    good = [ci for ci in ids if flown[ci][0] is not None]
    if not good or not defence:
        return 0
    threats = _chunk_threats([flown[ci][0] for ci in good])
    n = 0
    with threats_beyond(nearest_by_lat(threats, [sp for sp, _, _ in defence])):
        for dr in reversed(expand.draws(s)):
            for sp, it, _ in defence:
                if stop is not None and stop.is_set():
                    return n
                _scaled(it, float(dr["burnout_speed_scale"])).rotating_table(sp.lat_deg)
                n += 1
                if n == 1 and first is not None:
                    first()
    return n
