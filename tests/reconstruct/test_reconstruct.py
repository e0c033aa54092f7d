"""reconstruct: closed-form Kepler cases (formulas written here, independently of flight.kepler), round
trips through the project's flight kernel, the precision box, the flight-time check and bad input."""

import json
import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize_scalar

from bmdcheck.earth.model import EarthModel
from bmdcheck.errors import BmdcheckError
from bmdcheck.flight.trajectory import fly_burnout
from bmdcheck.reconstruct import burnout_from_apogee_range, parse_measured, reconstruct, standard_range_m

MU = 3.986004418e14
R = 6_371_000.0


def conic_arc(v, gamma, r_b, r_i=R):
    """Independent two-body formulas (Bate, Mueller & White 1971 ch. 1-2, 4): apogee radius, central
    angle and time from burnout (ascending) to the descending crossing of r_i."""
    h = r_b * v * math.cos(gamma)
    eps = v * v / 2 - MU / r_b
    a = -MU / (2 * eps)
    e = math.sqrt(1 + 2 * eps * h * h / MU ** 2)
    p = h * h / MU
    nu_b = math.acos((p / r_b - 1) / e)             # ascending: in (0, pi)
    nu_i = 2 * math.pi - math.acos((p / r_i - 1) / e)  # descending
    def mean(nu):
        big_e = 2 * math.atan2(math.sqrt(1 - e) * math.sin(nu / 2), math.sqrt(1 + e) * math.cos(nu / 2))
        big_e %= 2 * math.pi
        return big_e - e * math.sin(big_e)
    t = (mean(nu_i) - mean(nu_b)) * math.sqrt(a ** 3 / MU)
    return a * (1 + e), nu_i - nu_b, t


@settings(max_examples=60, deadline=None)
@given(v=st.floats(2500, 7600), gamma_deg=st.floats(20, 86), h_km=st.floats(0, 400))
def test_closed_form_kepler_round_trip(v, gamma_deg, h_km):
    r_b = R + h_km * 1e3
    r_a, psi, t = conic_arc(v, math.radians(gamma_deg), r_b)
    if not (0.02 < psi < math.pi - 1e-3):
        return
    b = burnout_from_apogee_range(r_a - R, R * psi, h_km * 1e3)
    assert b.speed_mps == pytest.approx(v, rel=1e-8)
    assert b.flight_path_angle_deg == pytest.approx(gamma_deg, abs=1e-6)
    assert b.free_flight_time_s == pytest.approx(t, rel=1e-8)


@pytest.mark.parametrize("lam", [0.3, 0.6, 0.8, 0.9, 0.97])
def test_standard_range_closed_form_surface(lam):
    """Minimum-energy arc surface to surface: lam = 2 sin(psi/2) / (1 + sin(psi/2)) (BMW ch. 6), solved
    here for psi: sin(psi/2) = lam / (2 - lam)."""
    v = math.sqrt(lam * MU / R)
    psi = 2 * math.asin(lam / (2 - lam))
    assert standard_range_m(v) == pytest.approx(R * psi, rel=1e-9)


def test_standard_range_is_max_range_for_the_speed():
    """At altitude: the standard range equals the largest range over angles (independent formulas)."""
    v, r_b = 6500.0, R + 250e3
    res = minimize_scalar(lambda g: -conic_arc(v, g, r_b)[1], bounds=(0.05, 1.2), method="bounded",
                          options={"xatol": 1e-10})
    assert standard_range_m(v, 250e3) == pytest.approx(-res.fun * R, rel=1e-7)


def test_depressed_branch():
    v, g = 6000.0, math.radians(12.0)
    r_a, psi, t = conic_arc(v, g, R + 100e3)
    b = burnout_from_apogee_range(r_a - R, R * psi, 100e3)
    assert b.branch == "depressed"
    assert b.speed_mps == pytest.approx(v, rel=1e-8)
    assert b.free_flight_time_s == pytest.approx(t, rel=1e-8)


def test_round_trip_through_the_kernel_vacuum():
    """Fly a lofted burnout state with the flight kernel on the vacuum sphere; reconstruct it from
    apogee and range with the closed forms: speed within 0.5 %, standard range within 1 % of the
    kernel's own best range for that speed."""
    em = EarthModel.vacuum_sphere()
    v, g = 6900.0, 83.0
    tr = fly_burnout(v, g, 90.0, (0.0, 0.0), 0.0, earth=em)
    d = reconstruct(tr.apogee_km, tr.range_km)
    assert d["burnout_speed_mps"] == pytest.approx(v, rel=5e-3)
    assert d["burnout_angle_deg"] == pytest.approx(g, abs=0.05)
    assert d["free_flight_time_s"] == pytest.approx(tr.flight_time_s, rel=1e-3)
    best = minimize_scalar(lambda x: -fly_burnout(v, x, 90.0, (0.0, 0.0), 0.0, earth=em).range_km,
                           bounds=(10.0, 45.0), method="bounded", options={"xatol": 1e-3})
    assert d["standard_range_km"] == pytest.approx(-best.fun, rel=1e-2)


def test_round_trip_full_model_rotating():
    """Full model (WGS84, J2, rotation, USSA76 drag): fly a known lofted burnout state, reconstruct it
    from apogee and range with --from/--azimuth; speed within 0.5 %; the rotating standard range due
    east within 1 % of the best range found by a separate scalar optimiser on the same model."""
    lat, lon, az, h = 40.0, 127.0, 95.0, 200.0
    v, g, beta = 6800.0, 82.0, 12_000.0
    tr = fly_burnout(v, g, az, (lat, lon), h, ballistic_coefficient_kgm2=beta)
    d = reconstruct(tr.apogee_km, tr.range_km, launch=(lat, lon), azimuth_deg=az, burnout_altitude_km=h,
                    ballistic_coefficient_kgm2=beta)
    assert d["model"] == "full"
    assert d["burnout_speed_mps"] == pytest.approx(v, rel=5e-3)
    assert d["burnout_angle_deg"] == pytest.approx(g, abs=0.1)
    best = minimize_scalar(lambda x: -fly_burnout(v, x, 90.0, (lat, lon), h, ballistic_coefficient_kgm2=beta).range_km,
                           bounds=(5.0, 45.0), method="bounded", options={"xatol": 1e-3})
    by_dir = d["standard_range_rotating_by_direction_km"]
    assert by_dir["east"] == pytest.approx(-best.fun, rel=1e-2)
    assert d["standard_range_rotating_km"] == by_dir["test_azimuth"]
    # rotation: east beats west by the Earth's surface speed
    assert by_dir["east"] > by_dir["west"] + 500


def test_uncertainty_box_matches_reconstructions_at_its_corners():
    d = reconstruct("2800±50", "930±30")
    lo = reconstruct(2750, 900)
    hi = reconstruct(2850, 960)
    u = d["uncertainty"]
    assert u["standard_range_km"][0] == pytest.approx(lo["standard_range_km"], rel=1e-12)
    assert u["standard_range_km"][1] == pytest.approx(hi["standard_range_km"], rel=1e-12)
    assert u["burnout_speed_mps"][0] < d["burnout_speed_mps"] < u["burnout_speed_mps"][1]


@pytest.mark.parametrize("text,expect", [("1250±25", (1250, 25)), ("1250+-25", (1250, 25)),
                                         ("1250 +/- 25", (1250, 25)), ("1250", (1250, 0)),
                                         ("1250±2%", (1250, 25)), ("1.25e3±25", (1250, 25))])
def test_parse_measured(text, expect):
    assert tuple(parse_measured(text, "x")) == pytest.approx(expect)


@pytest.mark.parametrize("text", ["1250±", "±25", "abc", "1250±-5", "nan", "1250±25±3", "", "12±20"])
def test_parse_measured_rejects(text):
    with pytest.raises(BmdcheckError):
        parse_measured(text, "--apogee-km")


def test_flight_time_check():
    ok = reconstruct(2802, 933, flight_time_s=37 * 60)
    assert ok["flight_time_check"]["consistent"]
    with pytest.raises(BmdcheckError, match="too short"):
        reconstruct(2802, 933, flight_time_s="1200±60")
    with pytest.raises(BmdcheckError, match="too long"):
        reconstruct(2802, 933, flight_time_s="3600±60", boost_time_s=200)
    # the stated precision widens what is consistent
    reconstruct(2802, 933, flight_time_s="2900±400")


@pytest.mark.parametrize("args,needle", [
    (("--apogee-km", "100", "--range-km", "900", "--burnout-altitude-km", "150"), "not above the burnout altitude"),
    (("--apogee-km", "1000", "--range-km", "20100"), "half the Earth's circumference"),
    (("--apogee-km", "2800", "--range-km", "930", "--flight-time-s", "900±30"), "too short"),
    (("--apogee-km", "2800±x", "--range-km", "930"), "--apogee-km"),
    (("--apogee-km", "2800", "--range-km", "930±"), "--range-km"),
    (("--apogee-km", "2800", "--range-km", "930", "--from", "40,127"), "--azimuth"),
    (("--apogee-km", "2800", "--range-km", "930", "--aim", "dc=38.9,-77"), "--from"),
    (("--apogee-km", "2800", "--range-km", "930", "--flight-time-s", "abc"), "--flight-time-s"),
])
def test_cli_bad_input(cli, args, needle):
    rc, out, err = cli("reconstruct", *args)
    assert rc == 2
    assert needle in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_cli_json_fields(cli):
    rc, out, err = cli("reconstruct", "--apogee-km", "4475±50", "--range-km", "950", "--flight-time-s", "3180±60",
                       "--from", "39.0,125.8", "--azimuth", "95", "--aim", "washington=38.9,-77.04", "--json")
    assert rc == 0, err
    d = json.loads(out)
    for k in ("burnout_speed_mps", "burnout_angle_deg", "flight_time_s", "standard_range_km",
              "standard_range_rotating_km", "uncertainty", "flight_time_check", "vacuum", "full_model", "aims"):
        assert k in d
    assert isinstance(d["standard_range_rotating_km"], float)
    assert set(d["standard_range_rotating_by_direction_km"]) == {"east", "west", "test_azimuth", "washington"}
    assert d["aims"][0]["reaches"] in (True, False)
    assert np.isfinite(d["uncertainty"]["standard_range_rotating_by_direction_km"]["east"]).all()
    lo, hi = d["uncertainty"]["standard_range_rotating_km"]
    assert lo <= d["standard_range_rotating_km"] <= hi


def test_round_trip_of_a_lofted_missile_flight():
    """A catalogue missile flown lofted with boost (minuteman-iii, kick 6 deg, rotating Earth): the
    burnout speed is recovered from apogee, launch-to-impact range and the burnout altitude within
    0.5 % by the full model (the boost's ground distance is the only thing left out) and within 1 %
    by the vacuum model."""
    from bmdcheck.flight.batch import fly_missile_batch
    from bmdcheck.flight.missile import get_missile

    m = get_missile("minuteman-iii")
    b = fly_missile_batch(m, 40.0, 127.0, 95.0, 6.0, earth=EarthModel())
    spd, _, _ = b.burnout_local()
    balt = float(b.burnout_geodetic()[2][0] / 1e3)
    apo, rng = float(b.apogee_alt_m()[0] / 1e3), float(b.range_m()[0] / 1e3)
    d = reconstruct(apo, rng, launch=(40.0, 127.0), azimuth_deg=95.0, burnout_altitude_km=balt,
                    ballistic_coefficient_kgm2=m.rv_beta_kgm2)
    assert d["burnout_speed_mps"] == pytest.approx(spd[0], rel=5e-3)
    assert d["vacuum"]["burnout_speed_mps"] == pytest.approx(spd[0], rel=1e-2)


def test_doctest_examples_run():
    import doctest

    import bmdcheck.reconstruct as pkg

    assert doctest.testmod(pkg, raise_on_error=False).failed == 0


@settings(max_examples=8, deadline=None)
@given(v=st.floats(2500, 7400), g=st.floats(20, 86), h=st.floats(80, 400), lat=st.floats(-70, 70),
       az=st.floats(0, 359), beta=st.sampled_from([5_000.0, 12_000.0]))
@example(v=5284.0, g=86.0, h=163.0, lat=0.0, az=74.0, beta=5_000.0)  # its mirror lands behind: see below
def test_full_model_round_trip_random(v, g, h, lat, az, beta):
    """Random burnout states flown with drag and rotation are recovered (Newton from the vacuum guess).
    The example: at the equator the Earth turns under a near-vertical flight, and 89.93° lands as far
    (215.5 km, same apogee) but behind the azimuth; the signed range tells them apart (a random run
    found it when the range was unsigned)."""
    tr = fly_burnout(v, g, az, (lat, 30.0), h, ballistic_coefficient_kgm2=beta)
    if tr.status != "impact" or tr.range_km > 19_000:
        return
    d = reconstruct(tr.apogee_km, tr.range_km, launch=(lat, 30.0), azimuth_deg=az, burnout_altitude_km=h,
                    ballistic_coefficient_kgm2=beta)
    assert d["burnout_speed_mps"] == pytest.approx(v, rel=1e-4)


@pytest.mark.parametrize("launch", [(95.0, 0.0), (float("nan"), 0.0), ("a", "b")])
def test_library_rejects_bad_launch_points(launch):
    with pytest.raises(BmdcheckError, match="^launch: "):  # the parameter, not a CLI flag
        reconstruct(2800, 930, launch=launch, azimuth_deg=90.0)
