"""reconstruct-intercept: the Lambert bound against an independent solution (SciPy root-finding on
two-body propagation, written here), the minimum over the time of flight against the closed-form
minimum-energy ellipse, the fly-out-table bound by direct flights, and bad input."""

import json
import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import fsolve

from bmdcheck.earth.frames import geodetic_to_ecef
from bmdcheck.earth.model import EarthModel
from bmdcheck.reconstruct.intercept import lambert_min_over_tof, lambert_speed_mps, reconstruct_intercept

MU = 3.986004418e14
OMEGA = 7.292115e-5


def propagate(r, v, t):
    def f(_, y):
        rr = y[:3]
        return np.concatenate([y[3:], -MU * rr / np.linalg.norm(rr) ** 3])
    s = solve_ivp(f, (0, t), np.concatenate([r, v]), method="DOP853", rtol=1e-12, atol=1e-6)
    return s.y[:3, -1]


def shoot(r1, r2, tof, guess):
    """Velocity at r1 that lands on r2 after tof: fsolve on the propagated miss (independent of izzo2015)."""
    v = fsolve(lambda v: (propagate(r1, v, tof) - r2) / 1e3, guess, xtol=1e-12)
    assert np.linalg.norm(propagate(r1, v, tof) - r2) < 1.0
    return v


def rot(r, t):
    c, s = math.cos(OMEGA * t), math.sin(OMEGA * t)
    return np.array([c * r[0] - s * r[1], s * r[0] + c * r[1], r[2]])


@pytest.mark.parametrize("site,point,tof,burn", [
    ((21.9, -159.8), (23.0, -163.0, 250.0), 300.0, 30.0),
    ((54.4, 16.9), (58.0, 30.0, 600.0), 700.0, 60.0),
    ((40.0, 20.0), (41.0, 21.0, 120.0), 150.0, 0.0),
])
def test_lambert_bound_vs_independent_shooting(site, point, tof, burn):
    em = EarthModel()
    s = geodetic_to_ecef(site[0], site[1], 0.0, em).reshape(3)
    p = geodetic_to_ecef(point[0], point[1], point[2] * 1e3, em).reshape(3)
    r1, r2 = rot(s, burn), rot(p, tof)
    v_site = np.array([-OMEGA * r1[1], OMEGA * r1[0], 0.0])
    guess = (r2 - r1) / (tof - burn) + v_site
    v1 = shoot(r1, r2, tof - burn, guess)
    expect = np.linalg.norm(v1 - v_site)
    got = lambert_speed_mps(s, p, tof, burn, em)
    assert got == pytest.approx(expect, rel=1e-6)
    d = reconstruct_intercept(site, point=point, time_of_flight_s=tof, burn_time_s=burn)
    assert d["lambert_bound_mps"] == pytest.approx(expect, rel=1e-6)


def test_min_over_tof_is_the_minimum_energy_ellipse():
    """Non-rotating Earth: the least speed over all times of flight from r1 to r2 is the minimum-energy
    ellipse's, v^2 = 2 mu (s - r1) / (r1 s), s the semi-perimeter (Lambert; BMW ch. 5)."""
    em = EarthModel("wgs84", "j2", False, "ussa76")
    s_ecef = geodetic_to_ecef(30.0, 10.0, 0.0, em).reshape(3)
    p_ecef = geodetic_to_ecef(35.0, 20.0, 400e3, em).reshape(3)
    r1, r2 = np.linalg.norm(s_ecef), np.linalg.norm(p_ecef)
    c = np.linalg.norm(p_ecef - s_ecef)
    semi = 0.5 * (r1 + r2 + c)
    v_me = math.sqrt(2 * MU * (semi - r1) / (r1 * semi))
    dv, tof = lambert_min_over_tof(s_ecef, p_ecef, 0.0, em)
    assert dv == pytest.approx(v_me, rel=1e-6)


def earliest_arrival_direct(v_mps, burn_s, range_m, alt_m, t_max):
    """Earliest time a booster of burnout speed v passes (range, alt), by direct flights: fans of kicks
    (gravity turn and pitch hold, as the tables), crossings of the altitude interpolated in range
    between neighbouring kicks. Non-rotating WGS84 from 45 N, as the tables are built."""
    from dataclasses import replace

    from bmdcheck.defence.flyout import TABLE_EARTH, booster_for
    from bmdcheck.earth.frames import ecef_to_geodetic
    from bmdcheck.flight.batch import fly_missile_batch

    m = booster_for(v_mps, burn_s)
    site = geodetic_to_ecef(45.0, 0.0, 0.0, TABLE_EARTH).reshape(3)
    best = math.inf
    for mm in (m, replace(m, pitch_hold=True, t_kick_s=max(1.0, min(m.t_kick_s, 0.1 * m.burn_end_s)))):
        kicks = np.linspace(0.1, 89.5, 400)
        b = fly_missile_batch(mm, 45.0, 0.0, 90.0, kicks, earth=TABLE_EARTH, sample_interval_s=0.25,
                              duration_s=t_max + 5)
        rows = []
        for i in range(len(kicks)):
            n = int(b.n_samples[i])
            r = b.r_eci_m[i, :n]
            _, _, h = ecef_to_geodetic(r, TABLE_EARTH)
            u = r / np.linalg.norm(r, axis=1)[:, None]
            rng = np.arccos(np.clip(u @ (site / np.linalg.norm(site)), -1, 1)) * np.linalg.norm(site)
            up = np.nonzero((h[:-1] < alt_m) & (h[1:] >= alt_m))[0]
            dn = np.nonzero((h[:-1] >= alt_m) & (h[1:] < alt_m))[0]
            cr = []
            for j in (up[:1].tolist() + dn[:1].tolist()):
                f = (alt_m - h[j]) / (h[j + 1] - h[j])
                cr.append((rng[j] + f * (rng[j + 1] - rng[j]), b.t_s[i, j] + f * (b.t_s[i, j + 1] - b.t_s[i, j])))
            rows.append(cr)
        for br in (0, 1):
            for i in range(len(kicks) - 1):
                if len(rows[i]) > br and len(rows[i + 1]) > br:
                    (ra, ta), (rb, tb) = rows[i][br], rows[i + 1][br]
                    if min(ra, rb) <= range_m <= max(ra, rb) and ra != rb:
                        best = min(best, ta + (range_m - ra) / (rb - ra) * (tb - ta))
    return best


def test_flyout_bound_by_direct_flight():
    """The fly-out bound V: a booster of V reaches the point within the time of flight by direct
    flights (1 s allowance, the tables' accuracy), and one of V - 100 m/s does not."""
    tof, burn = 300.0, 30.0
    d = reconstruct_intercept((21.9, -159.8), point=(23.0, -163.0, 250.0), time_of_flight_s=tof, burn_time_s=burn,
                              flyout=True)
    v = d["flyout_bound_mps"]
    assert v is not None and d["burnout_speed_min_mps"] == min(v, d["lambert_bound_mps"])
    rng = d["ground_range_km"] * 1e3
    assert earliest_arrival_direct(v, burn, rng, 250e3, tof) <= tof + 1.0
    assert earliest_arrival_direct(v - 100.0, burn, rng, 250e3, tof) > tof


def test_target_trajectory_crossing(cli):
    rc, out, err = cli("reconstruct-intercept", "--site", "40,20", "--target-missile", "topol-m",
                       "--target-from", "54.04,35.77", "--target-to", "38.9,-77.04", "--intercept-alt-km", "300",
                       "--branch", "ascending", "--launch-time-s", "100", "--burn-time-s", "40", "--json")
    assert rc == 0, err
    d = json.loads(out)
    assert d["intercept"]["alt_km"] == pytest.approx(300.0, abs=0.5)
    assert d["time_of_flight_s"] == pytest.approx(d["intercept"]["time_s"] - 100.0)
    assert d["lambert_bound_mps"] > 0


@pytest.mark.parametrize("args,needle", [
    (("--site", "21.9,-159.8"), "intercept point"),
    (("--site", "21.9,-159.8", "--intercept", "23,-163"), "ALT_KM"),
    (("--site", "21.9,-159.8", "--intercept", "23,-163,250", "--time-of-flight-s", "20", "--burn-time-s", "30"),
     "burn time"),
    (("--site", "21.9,-159.8", "--intercept", "23,-163,250", "--launch-time-s", "500", "--intercept-time-s", "400"),
     "not after"),
    (("--site", "95,0", "--intercept", "23,-163,250"), "latitude"),
    (("--site", "21.9,-159.8", "--target-missile", "topol-m", "--intercept-alt-km", "300"), "--target-from"),
])
def test_intercept_bad_input(cli, args, needle):
    rc, out, err = cli("reconstruct-intercept", *args)
    assert rc == 2 and needle in err and len(err.strip().splitlines()) == 1


def test_target_file_gives_the_same_crossing(cli, tmp_path):
    """A target given as sampled ECI positions (engage's CSV threat file) crosses where the flown one does."""
    from bmdcheck.flight.trajectory import fly

    tr = fly("topol-m", (54.04, 35.77), (38.9, -77.04), sample_interval_s=1.0)
    path = tmp_path / "threat.csv"
    rows = ["t_s,x_eci_m,y_eci_m,z_eci_m"] + [f"{float(t)!r},{float(r[0])!r},{float(r[1])!r},{float(r[2])!r}"
                                             for t, r in zip(tr.samples.t_s, tr.samples.r_eci_m)]
    path.write_text("\n".join(rows) + "\n")
    common = ("--site", "60,10", "--intercept-alt-km", "800", "--launch-time-s", "600", "--burn-time-s", "40", "--json")
    rc, out, err = cli("reconstruct-intercept", "--target-file", str(path), *common)
    assert rc == 0, err
    a = json.loads(out)
    rc, out, err = cli("reconstruct-intercept", "--target-missile", "topol-m", "--target-from", "54.04,35.77",
                       "--target-to", "38.9,-77.04", *common)
    assert rc == 0, err
    b = json.loads(out)
    assert a["intercept"]["time_s"] == pytest.approx(b["intercept"]["time_s"], abs=1e-6)
    assert a["lambert_bound_mps"] == pytest.approx(b["lambert_bound_mps"], rel=1e-9)
    assert a["target"]["file"] == str(path)
    rc, out, err = cli("reconstruct-intercept", "--target-file", str(path), "--site", "60,10", "--intercept-alt-km",
                       "5000")
    assert rc == 2 and "apogee" in err


@pytest.mark.parametrize("site,point", [((95.0, 0.0), (1.0, 2.0, 100.0)), ((0.0, 0.0), (1.0, float("nan"), 100.0)),
                                        ((0.0, 0.0), (1.0, 2.0))])
def test_library_rejects_bad_positions(site, point):
    from bmdcheck.errors import BmdcheckError

    with pytest.raises(BmdcheckError):
        reconstruct_intercept(site, point=point, time_of_flight_s=300.0)
