"""Physical constants of the Earth models, each with its source.

All values SI. The WGS84 figures are the defining parameters of NGA.STND.0036_1.0.0_WGS84
(2014) unless stated.
"""

WGS84_A_M = 6_378_137.0
"""WGS84 semi-major axis (equatorial radius), m. NGA.STND.0036 Table 3.1."""

WGS84_INV_F = 298.257223563
"""WGS84 inverse flattening. NGA.STND.0036 Table 3.1."""

WGS84_F = 1.0 / WGS84_INV_F
WGS84_B_M = WGS84_A_M * (1.0 - WGS84_F)
"""WGS84 semi-minor axis, m (6,356,752.3142 m)."""

WGS84_E2 = WGS84_F * (2.0 - WGS84_F)
"""WGS84 first eccentricity squared."""

GM_M3_S2 = 3.986004418e14
"""Geocentric gravitational constant incl. atmosphere, m^3/s^2. NGA.STND.0036 Table 3.1."""

OMEGA_EARTH_RAD_S = 7.292115e-5
"""Nominal mean angular velocity of the Earth, rad/s. NGA.STND.0036 Table 3.1."""

J2 = 1.08262982131e-3
"""Second zonal harmonic of the WGS84 ellipsoid (derived, J2 = -sqrt(5) C20).
NGA.STND.0036_1.0.0_WGS84 (2014), Table 3.5."""

SPHERE_R_M = 6_371_000.0
"""Radius of the spherical Earth used for closed-form checks, m (bmdcheck convention)."""

G0_MPS2 = 9.80665
"""Standard gravity, m/s^2, used to convert specific impulse (ISO 80000-3; USSA76)."""
