"""bmdcheck: can this missile defence engage those ballistic missiles? Physics you can check.

The public API (everything else is an implementation detail):

    >>> import bmdcheck as bc
    >>> t = bc.fly("minuteman-iii", launch=(41.1, -104.8), aim=(55.75, 37.62))   # doctest: +SKIP
    >>> t.range_km, t.flight_time_s, t.apogee_km                                 # doctest: +SKIP

Units are SI inside; names carry the unit and frame where not obvious (``r_eci_m``, ``alt_km``).
Conventions: docs/CONVENTIONS.md.
"""

from .errors import BmdcheckError

__version__ = "0.1.0"

# The public API, imported on first use (PEP 562) so that `import bmdcheck` and the command line's
# start-up do not pay for NumPy extensions, Numba, SciPy or PROJ until a command needs them.
_API = {
    "EarthModel": ".earth.model",
    "FlightBatch": ".flight.batch", "burnout_state_eci": ".flight.batch", "fly_free_batch": ".flight.batch",
    "fly_missile_batch": ".flight.batch", "iter_missile_summaries": ".flight.batch",
    "Missile": ".flight.missile", "Stage": ".flight.missile", "catalogue": ".flight.missile",
    "get_missile": ".flight.missile", "load_missile_file": ".flight.missile",
    "solve_steering": ".flight.steering",
    "aim_steering": ".flight.newton",
    "Samples": ".flight.trajectory", "Trajectory": ".flight.trajectory", "fly": ".flight.trajectory",
    "fly_burnout": ".flight.trajectory",
    "export_results": ".export",
    "load_results": ".report", "plot_engagement": ".report", "plot_map": ".report", "write_report": ".report",
}
_ALIASES = {"aim_steering": "aim"}

__all__ = ["BmdcheckError", *sorted(_API)]


def __getattr__(name: str):
    mod = _API.get(name)
    if mod is None:
        raise AttributeError(f"module 'bmdcheck' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(mod, __name__), _ALIASES.get(name, name))
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_API))
