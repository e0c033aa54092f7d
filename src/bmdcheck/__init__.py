"""bmdcheck: can this missile defence engage those ballistic missiles? Physics you can check.

The public API (everything else is an implementation detail):

    >>> import bmdcheck as bc
    >>> t = bc.fly("minuteman-iii", launch=(41.1, -104.8), aim=(55.75, 37.62))   # doctest: +SKIP
    >>> t.range_km, t.flight_time_s, t.apogee_km                                 # doctest: +SKIP

Units are SI inside; names carry the unit and frame where not obvious (``r_eci_m``, ``alt_km``).
Conventions: docs/CONVENTIONS.md.
"""

from .earth.model import EarthModel
from .errors import BmdcheckError
from .flight.batch import FlightBatch, burnout_state_eci, fly_free_batch, fly_missile_batch, iter_missile_summaries
from .flight.missile import Missile, Stage, catalogue, get_missile, load_missile_file
from .flight.steering import solve_steering
from .flight.trajectory import Samples, Trajectory, fly, fly_burnout
from .export import export_results
from .report import load_results, plot_engagement, plot_map, write_report

__version__ = "0.1.0"

__all__ = [
    "BmdcheckError", "EarthModel", "FlightBatch", "Missile", "Samples", "Stage", "Trajectory",
    "burnout_state_eci", "catalogue", "fly", "fly_burnout", "fly_free_batch", "fly_missile_batch",
    "export_results", "get_missile", "iter_missile_summaries", "load_missile_file", "load_results", "plot_engagement",
    "plot_map", "solve_steering", "write_report",
]
