"""From observed tests to capability: burnout states, standard ranges, fitted missiles and interceptor
speed bounds (docs/validation/reconstruct.md, docs/CONVENTIONS.md "reconstruct").

    >>> from bmdcheck.reconstruct import reconstruct
    >>> d = reconstruct("4475", "950", flight_time_s="3180±60")
    >>> round(d["burnout_speed_mps"]), round(d["standard_range_km"], -2)
    (7195, 10000.0)
"""

from .core import reconstruct
from .observation import Measured, parse_measured
from .vacuum import burnout_from_apogee_range, standard_range_m

__all__ = ["Measured", "burnout_from_apogee_range", "parse_measured", "reconstruct", "standard_range_m"]
