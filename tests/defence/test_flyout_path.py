"""The interceptor fly-out path: flown with the flight engine, checked against the fly-out table.

Reference: the earliest-arrival table (``flyout.build_table``), an independent construction (fan
crossings interpolated on a grid, bilinear lookup); its own accuracy is ≤ 1 s against direct
integration (docs/validation/flyout.md). The path must reach the intercept point (within 100 m)
and take the table's time (within 1 s).
"""

import numpy as np
import pytest

from bmdcheck.defence.engage import InterceptorSpec
from bmdcheck.defence.flyout_path import flyout_path
from bmdcheck.defence.interceptor import get_interceptor
from bmdcheck.earth.frames import ecef_to_geodetic, geodesic_direct, geodetic_to_ecef
from bmdcheck.errors import BmdcheckError

SITE = (54.48, 17.10)


@pytest.fixture(scope="module")
def sm3():
    return InterceptorSpec.from_catalogue(get_interceptor("sm-3-iia"))


@pytest.mark.parametrize("range_km,alt_km,azimuth", [(300.0, 150.0, 60.0), (700.0, 350.0, 300.0)])
def test_path_reaches_point_in_table_time(sm3, range_km, alt_km, azimuth):
    lat, lon = geodesic_direct(*SITE, azimuth, range_km * 1e3)
    p = flyout_path(sm3, *SITE, float(lat), float(lon), alt_km * 1e3, 1000.0)
    tgt = geodetic_to_ecef(float(lat), float(lon), alt_km * 1e3)
    assert np.linalg.norm(p.r_ecef_m[-1] - tgt) < 100.0
    assert abs(p.t_s[-1] - 1000.0) < 1e-9 and abs(p.t_s[0] - p.t_launch_s) < 1e-9
    # the table's earliest arrival at the same (ground range on the site sphere, altitude)
    tab = sm3.table()
    a, b = geodetic_to_ecef(*SITE, 0.0), geodetic_to_ecef(float(lat), float(lon), 0.0)
    ang = np.arccos(a @ b / np.linalg.norm(a) / np.linalg.norm(b))
    t_table, _, _ = tab.lookup(ang * tab.r_site_m, alt_km * 1e3)
    assert abs(p.flight_time_s - float(t_table)) < 1.0
    # starts on the ground at the site; samples in time order; geodetic columns match the ECEF ones
    assert abs(p.alt_m[0]) < 1.0 and abs(p.lat_deg[0] - SITE[0]) < 1e-6 and abs(p.lon_deg[0] - SITE[1]) < 1e-6
    assert np.all(np.diff(p.t_s) > 0)
    la, lo, al = ecef_to_geodetic(p.r_ecef_m)
    assert np.allclose(la, p.lat_deg) and np.allclose(al, p.alt_m)


def test_unreachable_point_is_an_error(sm3):
    lat, lon = geodesic_direct(*SITE, 90.0, 3000e3)
    with pytest.raises(BmdcheckError, match="no fly-out reaches"):
        flyout_path(sm3, *SITE, float(lat), float(lon), 100e3, 500.0)
