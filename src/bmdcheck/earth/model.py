"""The Earth model a flight runs on: shape, gravity, rotation, atmosphere."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import BmdcheckError
from . import constants as C

SHAPES = ("wgs84", "spherical")
GRAVITIES = ("point", "j2")
ATMOSPHERES = ("ussa76", "none")

# Layout of the float64 parameter vector the kernels take (indices are compile-time constants).
E_A, E_B, E_MU, E_J2, E_OMEGA, E_ATMOS, E_RE_J2 = range(7)
E_LEN = 7


@dataclass(frozen=True)
class EarthModel:
    """Earth shape, gravity field, rotation and atmosphere used by every flight.

    ``shape``: "wgs84" (a = 6378137 m, f = 1/298.257223563) or "spherical" (R = 6371 km).
    ``gravity``: "point" (μ/r²) or "j2" (adds the J2 zonal term).
    ``rotation``: the Earth turns about +z at 7.292115e-5 rad/s; ECI = ECEF at t = 0.
    ``atmosphere``: "ussa76" (U.S. Standard Atmosphere 1976) or "none".
    """

    shape: str = "wgs84"
    gravity: str = "j2"
    rotation: bool = True
    atmosphere: str = "ussa76"

    def __post_init__(self):
        if self.shape not in SHAPES:
            raise BmdcheckError(f"earth shape must be one of {SHAPES}, got {self.shape!r}")
        if self.gravity not in GRAVITIES:
            raise BmdcheckError(f"gravity must be one of {GRAVITIES}, got {self.gravity!r}")
        if self.atmosphere not in ATMOSPHERES:
            raise BmdcheckError(f"atmosphere must be one of {ATMOSPHERES}, got {self.atmosphere!r}")

    @classmethod
    def vacuum_sphere(cls) -> "EarthModel":
        """Spherical, non-rotating, point-mass, airless: the closed-form (Kepler) world."""
        return cls("spherical", "point", False, "none")

    @property
    def a_m(self) -> float:
        return C.WGS84_A_M if self.shape == "wgs84" else C.SPHERE_R_M

    @property
    def f(self) -> float:
        return C.WGS84_F if self.shape == "wgs84" else 0.0

    @property
    def b_m(self) -> float:
        return self.a_m * (1.0 - self.f)

    @property
    def omega_rad_s(self) -> float:
        return C.OMEGA_EARTH_RAD_S if self.rotation else 0.0

    @property
    def mu(self) -> float:
        return C.GM_M3_S2

    def params(self) -> np.ndarray:
        """Parameter vector for the compiled kernels (layout E_*)."""
        p = np.zeros(E_LEN)
        p[E_A], p[E_B], p[E_MU] = self.a_m, self.b_m, self.mu
        p[E_J2] = C.J2 if self.gravity == "j2" else 0.0
        p[E_OMEGA] = self.omega_rad_s
        p[E_ATMOS] = 1.0 if self.atmosphere == "ussa76" else 0.0
        p[E_RE_J2] = self.a_m
        return p

    def __str__(self) -> str:
        rot = "rotating" if self.rotation else "non-rotating"
        return f"{self.shape} Earth, {self.gravity} gravity, {rot}, atmosphere {self.atmosphere}"
