"""bmdcheck: can this missile defence engage those ballistic missiles? Physics you can check.

The public API is :mod:`bmdcheck.api`, re-exported here (``bmdcheck.__all__``); everything else is
an implementation detail. A first look (docs/API.md, docs/TUTORIAL.md):

    >>> import bmdcheck as bc
    >>> t = bc.fly("minuteman-iii", launch=(47.5, -111.2), aim=(55.75, 37.62))
    >>> round(t.range_km, -2), round(t.flight_time_s / 60)
    (8200.0, 32)

Units are SI inside; names carry the unit and frame where not obvious (``r_eci_m``, ``alt_km``).
Conventions: docs/CONVENTIONS.md.
"""

from . import api as _api
from .errors import BmdcheckError

from .version import __version__  # noqa: E402,F401

# Names resolve on first use (PEP 562, in bmdcheck.api), so that `import bmdcheck` and the command
# line's start-up do not pay for NumPy extensions, Numba, SciPy or PROJ until a command needs them.
__all__ = list(_api.__all__)


def __getattr__(name: str):
    if name.startswith("__") or name not in _api.__all__:
        raise AttributeError(f"module 'bmdcheck' has no attribute {name!r}")
    value = getattr(_api, name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
