"""The Newton steering fast path against the reference solver (flight.steering) on a varied set.

Independent checks: the fast path's steering is flown again with the batch kernel and the miss
is measured with the WGS84 geodesic (Karney, pyproj), the minimum-energy condition with the
closed form ``kepler.min_energy_gamma``; the reference solver answers the same problems.
"""

import numpy as np
import pytest

import bmdcheck as bc
from bmdcheck.earth.frames import geodesic_inverse
from bmdcheck.flight import kepler
from bmdcheck.flight import newton as NW

KOZELSK = (54.038, 35.772)

# (missile, launch lat, lon, aim lat, lon): mid latitudes, east- and westward, across the equator,
# and near the poles (launch 89.9° N, aims at 89.5° N and 88° S, a launch at the pole itself)
CASES = [
    ("topol-m", 54.04, 35.77, 38.90, -77.04),
    ("topol-m", 55.04, 82.94, 41.88, -87.63),
    ("topol-m", 51.0, 45.0, 89.5, 10.0),
    ("minuteman-iii", 47.5, -111.2, 55.75, 37.62),
    ("minuteman-iii", 41.1, -104.8, 10.0, 100.0),
    ("minuteman-iii", 89.9, 0.0, 50.0, 30.0),
    ("minuteman-iii", 90.0, 0.0, 45.0, -100.0),
    ("trident-ii-d5", 30.0, -40.0, -20.0, 20.0),
    ("trident-ii-d5", -70.0, 10.0, -88.0, 150.0),
    ("aps-solid-icbm", 0.0, 0.0, 20.0, -70.0),
    ("scud-b", 33.0, 44.0, 35.0, 46.0),
]


def _groups():
    out = {}
    for m, *p in CASES:
        out.setdefault(m, []).append(p)
    return {m: np.array(v) for m, v in out.items()}


def _angle_off_deg(b):
    """Burnout flight-path angle (inertial) minus the Keplerian minimum-energy angle of each flight, deg."""
    rb, vb, ri = b.r_burnout_eci_m, b.v_burnout_eci_mps, b.r_impact_eci_m
    gam = np.degrees(np.arcsin(np.sum(rb * vb, -1) / (np.linalg.norm(rb, axis=-1) * np.linalg.norm(vb, axis=-1))))
    return gam - np.degrees(kepler.min_energy_gamma(rb, ri))


def _check_flown(m, p, st, shape, apogee_km=None):
    ok = st.ok
    b = bc.fly_missile_batch(m, p[ok, 0], p[ok, 1], st.azimuth_deg[ok], st.kick_deg[ok], st.t_cut_s[ok], rtol=1e-10)
    la, lo, _ = b.impact_geodetic()
    d, _ = geodesic_inverse(la, lo, p[ok, 2], p[ok, 3])
    assert np.all(d < 20.0), d  # metres
    if shape == "min-energy":
        full = st.t_cut_s[ok] >= m.burn_end_s - 1e-6
        assert np.all(np.abs(_angle_off_deg(b))[~full] < 0.01)
    if apogee_km is not None:
        assert np.all(np.abs(b.apogee_alt_m() / 1e3 - apogee_km) < 0.05)


@pytest.mark.parametrize("shape", ["min-energy", "lofted", "depressed"])
def test_fast_path_agrees_with_reference(shape):
    solved_fast = total = 0
    for name, p in _groups().items():
        m = bc.get_missile(name)
        ref = bc.solve_steering(m, p[:, 0], p[:, 1], p[:, 2], p[:, 3], shape)
        fast = NW.solve_steering_newton(m, p[:, 0], p[:, 1], p[:, 2], p[:, 3], shape)
        auto = NW.aim(m, p[:, 0], p[:, 1], p[:, 2], p[:, 3], shape)
        # no case that the reference solves is left unsolved
        assert np.all(auto.ok[ref.ok]), (name, shape, auto.error)
        # where the fast path alone solved it, it is the reference's solution (a launch at the pole
        # itself has no azimuth reference: the kernel's heading there is degenerate, so several
        # steerings reach the aim; those are checked by flying them, below)
        both = fast.ok & ref.ok & (np.abs(p[:, 0]) < 90.0)
        daz = (fast.azimuth_deg - ref.azimuth_deg + 180) % 360 - 180
        assert np.all(np.abs(daz[both]) < 0.01), (name, daz)
        assert np.all(np.abs(fast.kick_deg - ref.kick_deg)[both] < 0.02), name
        assert np.all(np.abs(fast.t_cut_s - ref.t_cut_s)[both] < 0.1), name
        assert np.all(fast.miss_km[fast.ok] <= NW.TOL_MISS_KM)
        _check_flown(m, p, auto, shape)
        solved_fast += int(np.sum(fast.ok & ref.ok))
        total += int(ref.ok.sum())
    assert total >= 5
    assert solved_fast >= 0.8 * total, (solved_fast, total)


@pytest.mark.parametrize("shape", ["lofted", "depressed"])
def test_fast_path_apogee(shape):
    m = bc.get_missile("minuteman-iii")
    lat0 = np.array([47.5, 41.1, 60.0])
    lon0 = np.array([-111.2, -104.8, -100.0])
    lat1 = np.array([55.75, 52.0, 40.0])
    lon1 = np.array([37.62, 5.0, 60.0])
    base = NW.aim(m, lat0, lon0, lat1, lon1, shape)
    b = bc.fly_missile_batch(m, lat0, lon0, base.azimuth_deg, base.kick_deg, base.t_cut_s)
    want = float(np.median(b.apogee_alt_m()) / 1e3) * (0.85 if shape == "lofted" else 1.2)
    fast = NW.solve_steering_newton(m, lat0, lon0, lat1, lon1, shape, want)
    ref = bc.solve_steering(m, lat0, lon0, lat1, lon1, shape, want)
    auto = NW.aim(m, lat0, lon0, lat1, lon1, shape, want)
    assert np.all(auto.ok[ref.ok])
    both = fast.ok & ref.ok
    assert np.all(np.abs(fast.kick_deg - ref.kick_deg)[both] < 0.02)
    assert np.all(np.abs(fast.t_cut_s - ref.t_cut_s)[both] < 0.1)
    _check_flown(m, np.stack([lat0, lon0, lat1, lon1], -1), auto, shape, want)


def test_unreachable_is_a_status_and_the_fallback_states_the_maximum_range():
    m = bc.get_missile("scud-b")
    fast = NW.solve_steering_newton(m, 0.0, 0.0, 10.0, 10.0)
    assert fast.status[0] == NW.STATUS_OUT_OF_RANGE and "maximum range" in fast.reason(0)
    st = NW.aim(m, 0.0, 0.0, 10.0, 10.0)
    assert not st.ok[0] and st.method[0] == "reference"
    assert "maximum range" in st.error[0]


def test_fly_reports_which_path_solved():
    t = bc.fly("topol-m", KOZELSK, (38.90, -77.04))
    assert t.steering["method"] in ("newton", "reference")
    assert geodesic_inverse(t.impact_lat, t.impact_lon, 38.90, -77.04)[0] < 50.0


def test_rows_do_not_depend_on_the_rest_of_the_batch():
    m = bc.get_missile("topol-m")
    p = _groups()["topol-m"]
    all_ = NW.solve_steering_newton(m, p[:, 0], p[:, 1], p[:, 2], p[:, 3])
    one = NW.solve_steering_newton(m, p[:1, 0], p[:1, 1], p[:1, 2], p[:1, 3])
    assert one.azimuth_deg[0] == all_.azimuth_deg[0] and one.kick_deg[0] == all_.kick_deg[0]
    assert one.t_cut_s[0] == all_.t_cut_s[0]


def test_boost_table_interpolates_kernel_burnouts():
    """Between nodes the table matches boosts flown by the kernel: speed within 1.5 m/s (median
    0.1 m/s) at kicks up to 60°, i.e. a few km of ICBM range, which the Newton steps remove."""
    m = bc.get_missile("topol-m")
    tab = NW.boost_table(m, bc.EarthModel())
    rng = np.random.default_rng(1)
    kick = rng.uniform(1.0, 60.0, 40)
    cut = rng.uniform(0.3, 1.0, 40) * m.burn_end_s
    flat = bc.EarthModel("wgs84", "j2", False, "ussa76")
    b = bc.fly_missile_batch(m, 0.0, 0.0, 90.0, kick, cut, earth=flat, duration_s=m.burn_end_s)
    t_bo, alt, theta, v, g = tab.interp(kick, cut)
    assert np.allclose(t_bo, cut)
    dv = np.abs(v - np.linalg.norm(b.v_burnout_eci_mps, axis=-1))
    assert np.max(dv) < 1.5 and np.median(dv) < 0.1
    assert np.max(np.abs(alt - (np.linalg.norm(b.r_burnout_eci_m, axis=-1) - flat.a_m))) < 100.0


def test_boost_table_disk_cache_round_trip(tmp_path, monkeypatch):
    """The cached table is the flown one, bit for bit; a cache miss flies and writes it."""
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    m = bc.get_missile("scud-b")
    earth = bc.EarthModel()
    path = NW._cache_file(m, earth)
    assert str(path).startswith(str(tmp_path)) and not path.exists()
    flown = NW._fly_boost_table(m, earth)
    NW._save(path, flown)
    back = NW._load(path, m)
    assert np.array_equal(back.s_grid, flown.s_grid) and len(back.segments) == len(flown.segments)
    for a, b in zip(back.segments, flown.segments):
        assert a[:4] == b[:4] and np.array_equal(a[4], b[4], equal_nan=True)
    assert not list(path.parent.glob("*.tmp"))


def test_iter_aimed_flights_chunks_cover_all_and_hit_the_aims():
    m = bc.get_missile("topol-m")
    p = _groups()["topol-m"]
    seen = []
    for sl, st, b in NW.iter_aimed_flights(m, p[:, 0], p[:, 1], p[:, 2], p[:, 3], chunk=2, sample_interval_s=5.0):
        seen += list(range(sl.start, sl.stop))
        ok = np.nonzero(st.ok)[0]
        assert len(b) == ok.size and b.t_s.shape[1] == b.n_samples.max()
        la, lo, _ = b.impact_geodetic()
        d, _ = geodesic_inverse(la, lo, p[sl][ok, 2], p[sl][ok, 3])
        assert np.all(d < 20.0)
    assert seen == list(range(len(p)))


@pytest.mark.parametrize("shape,apogee_km", [("min-energy", None), ("lofted", None), ("lofted", 1200.0),
                                             ("depressed", 300.0)])
def test_compiled_predictor_is_the_numpy_predictor(shape, apogee_km):
    """flight.predictor (compiled, per row) against newton._predict_numpy (array form) on random
    trial steerings, crashed boosts and non-landing arcs included: same NaN pattern, residuals
    within 1e-9 km / 1e-9, ranges within 1e-12 rad."""
    m = bc.get_missile("topol-m")
    earth = bc.EarthModel()
    tab = NW.boost_table(m, earth)
    rng = np.random.default_rng(3)
    n = 400
    lat0, lon0 = rng.uniform(-80, 80, n), rng.uniform(-180, 180, n)
    lat1, lon1 = rng.uniform(-80, 80, n), rng.uniform(-180, 180, n)
    P = NW._problem(lat0, lon0, lat1, lon1, earth)
    x = np.stack([rng.uniform(0, 360, n), rng.uniform(0.1, 89.9, n), rng.uniform(0.04, 1.02, n) * m.burn_end_s], -1)
    a, ra = NW._predict(tab, P, x, earth, shape, apogee_km, want_range=True)
    b, rb = NW._predict_numpy(tab, P, x, earth, shape, apogee_km, want_range=True)
    assert np.array_equal(np.isfinite(a), np.isfinite(b)) and 0.5 < np.isfinite(a[:, 0]).mean() < 1.0
    assert np.nanmax(np.abs(a - b)) < 1e-9
    assert np.nanmax(np.abs(ra - rb)) < 1e-12
    # rows picked by index give the rows of the taken problem
    pr = rng.integers(0, n, 50)
    c = NW._predict(tab, P, x[pr], earth, shape, apogee_km, prow=pr)
    assert np.array_equal(c, a[pr], equal_nan=True)


def test_compiled_kepler_arc_is_ballistic_range():
    from bmdcheck.flight.predictor import ballistic_arc

    rng = np.random.default_rng(4)
    r, v = rng.uniform(6.3e6, 7.5e6, 3000), rng.uniform(0.0, 1.1e4, 3000)
    g, r2 = rng.uniform(-1.57, 1.57, 3000), rng.uniform(6.3e6, 6.5e6, 3000)
    k = kepler.ballistic_range(r, v, g, r2, 3.986004418e14)
    out = np.array([ballistic_arc(*z, 3.986004418e14) for z in zip(r, v, g, r2)])
    for j, f in enumerate([k.range_angle_rad, k.flight_time_s, k.apogee_radius_m]):
        assert np.array_equal(np.isfinite(out[:, j]), np.isfinite(f))
        fin = np.isfinite(f)
        assert np.max(np.abs(out[fin, j] - f[fin]) / np.maximum(1.0, np.abs(f[fin]))) < 1e-12
    assert 0.2 < np.isfinite(out[:, 0]).mean() < 0.95


def test_sampled_aim_returns_the_verifying_flights(monkeypatch):
    """aim(..., sample_interval_s) hands back the flights that verified each solved row: the same
    flights as flying the returned steering again (adaptive kernel, rtol 1e-10, samples), and
    they hit the aims; the fallback's rows are flown and included in row order."""
    m = bc.get_missile("topol-m")
    p = _groups()["topol-m"]
    st = NW.aim(m, p[:, 0], p[:, 1], p[:, 2], p[:, 3], "depressed", sample_interval_s=2.0)
    ok = np.nonzero(st.ok)[0]
    b = st.flights
    assert len(b) == ok.size and b.t_s.shape[1] == b.n_samples.max()
    again = bc.fly_missile_batch(m, p[ok, 0], p[ok, 1], st.azimuth_deg[ok], st.kick_deg[ok], st.t_cut_s[ok],
                                 rtol=1e-10, sample_interval_s=2.0)
    assert np.array_equal(again.n_samples, b.n_samples)
    assert np.allclose(again.summary, b.summary, rtol=0, atol=1e-6)
    for j in range(ok.size):
        k = b.n_samples[j]
        assert np.allclose(again.r_eci_m[j, :k], b.r_eci_m[j, :k], rtol=0, atol=1e-6)
    la, lo, _ = b.impact_geodetic()
    assert np.all(geodesic_inverse(la, lo, p[ok, 2], p[ok, 3])[0] < 20.0)
    # a row the fast path leaves to the fallback (after its verifying flight): flown, in row order
    real = NW._check_branch

    def reject_first(c, g):
        real(c, g)
        g.status[0] = NW.STATUS_WRONG_BRANCH

    monkeypatch.setattr(NW, "_check_branch", reject_first)
    mix = NW.aim(m, p[:, 0], p[:, 1], p[:, 2], p[:, 3], "depressed", sample_interval_s=2.0)
    assert mix.method[0] == "reference" and mix.ok[0]
    okm = np.nonzero(mix.ok)[0]
    la, lo, _ = mix.flights.impact_geodetic()
    assert len(mix.flights) == okm.size
    assert np.all(geodesic_inverse(la, lo, p[okm, 2], p[okm, 3])[0] < 50.0)
    ref = NW.aim(m, p[:, 0], p[:, 1], p[:, 2], p[:, 3], "depressed", method="reference", sample_interval_s=2.0)
    assert len(ref.flights) == int(ref.ok.sum())


def test_adaptive_iterations_reach_the_same_steering():
    """The Newton iterations flown by the adaptive kernel instead of the lock-step one converge to the
    same steering (both verified by an adaptive flight at rtol 1e-10)."""
    m = bc.get_missile("topol-m")
    p = _groups()["topol-m"]
    a = NW.solve_steering_newton(m, p[:, 0], p[:, 1], p[:, 2], p[:, 3])
    b = NW.solve_steering_newton(m, p[:, 0], p[:, 1], p[:, 2], p[:, 3], iter_kernel="adaptive")
    both = a.ok & b.ok
    assert both.sum() >= 2
    assert np.all(np.abs((a.azimuth_deg - b.azimuth_deg + 180) % 360 - 180)[both] < 1e-3)
    assert np.all(np.abs(a.kick_deg - b.kick_deg)[both] < 2e-3)
    assert np.all(np.abs(a.t_cut_s - b.t_cut_s)[both] < 0.05)
    assert a.verify_flights >= a.ok.sum() and b.verify_flights == 0


def test_a_solution_on_the_other_branch_is_retried_from_the_mirrored_kick():
    """Near the maximum range the first guess can converge on the other pitch branch; the fast path
    starts once more from the kick mirrored across the maximum-range kick and finds the reference's
    solution (Topol-M depressed, 9,490 km: the reference solver's kick is 64.9°)."""
    m = bc.get_missile("topol-m")
    la, lo, ta, to = 50.95293647809008, 36.125162702620834, 30.919510778573528, -89.4908778116037
    fast = NW.solve_steering_newton(m, la, lo, ta, to, "depressed")
    ref = bc.solve_steering(m, la, lo, ta, to, "depressed")
    assert ref.ok[0] and fast.ok[0]
    assert abs(fast.kick_deg[0] - ref.kick_deg[0]) < 0.02 and fast.miss_km[0] <= NW.TOL_MISS_KM
    st = NW.aim(m, la, lo, ta, to, "depressed", sample_interval_s=5.0)
    assert st.method[0] == "newton" and len(st.flights) == 1
    lat, lon, _ = st.flights.impact_geodetic()
    assert float(np.max(geodesic_inverse(lat, lon, ta, to)[0])) < 20.0


@pytest.mark.parametrize("name,pair", [("minuteman-iii", (60.667, 126.73, 2.757, -121.403)),
                                       ("trident-ii-d5", (17.451, 116.957, 37.084, -106.303)),
                                       ("trident-ii-d5", (19.755, -125.453, 39.25, 13.66))])
def test_flat_depressed_shots_are_solved_by_the_fast_path(name, pair):
    """Depressed shots at kicks of 75-82° (the predictor's drag-free arc overshoots there, or leads
    to the other branch): the retry with kernel sensitivities finds the reference's solution."""
    m = bc.get_missile(name)
    fast = NW.solve_steering_newton(m, *pair, shape="depressed")
    ref = bc.solve_steering(m, *pair, shape="depressed")
    assert ref.ok[0] and fast.ok[0], NW.STATUS_TEXT[int(fast.status[0])]
    assert fast.kick_deg[0] > 70.0
    assert abs(fast.kick_deg[0] - ref.kick_deg[0]) < 0.02
    assert abs((fast.azimuth_deg[0] - ref.azimuth_deg[0] + 180) % 360 - 180) < 0.01
    b = bc.fly_missile_batch(m, pair[0], pair[1], fast.azimuth_deg, fast.kick_deg, fast.t_cut_s, rtol=1e-10)
    la, lo, _ = b.impact_geodetic()
    assert float(np.max(geodesic_inverse(la, lo, pair[2], pair[3])[0])) < 20.0


def test_min_energy_near_the_maximum_range_keeps_the_cut_off():
    """Within ~300 km of the maximum range a Newton step on the predictor reaches the full burn
    before the minimum-energy angle is met; the fast path must still find the reference solver's
    cut-off solution (the angle met, checked with the closed form on a flight), and fly a full burn
    only beyond the range a cut-off reaches (here 8,850 km, where the reference finds no solution).
    UR-100NUTTH from 51.67 N 45.595 E: to Washington (a case of the 2013 threat set), and along
    azimuth 328° at 8,600-8,800 km."""
    from bmdcheck.earth.frames import geodesic_direct

    m = bc.get_missile("ur-100nutth")
    la0, lo0 = 51.67, 45.595
    d_m = np.array([8600.0, 8700.0, 8800.0, 8850.0]) * 1e3
    lat, lon = geodesic_direct(np.full(4, la0), np.full(4, lo0), np.full(4, 328.0), d_m)
    p = np.stack([np.full(5, la0), np.full(5, lo0), np.r_[38.895, lat], np.r_[-77.036, lon]], -1)
    fast = NW.solve_steering_newton(m, p[:, 0], p[:, 1], p[:, 2], p[:, 3], "min-energy")
    ref = bc.solve_steering(m, p[:, 0], p[:, 1], p[:, 2], p[:, 3], "min-energy")
    inside = np.array([True, True, True, True, False])
    assert np.array_equal(ref.ok, inside) and np.all(fast.ok), (ref.ok, fast.status)
    assert np.all(fast.t_cut_s[inside] < m.burn_end_s - 0.05), fast.t_cut_s
    assert np.all(np.abs(fast.kick_deg - ref.kick_deg)[inside] < 0.02), (fast.kick_deg, ref.kick_deg)
    assert np.all(np.abs(fast.t_cut_s - ref.t_cut_s)[inside] < 0.1), (fast.t_cut_s, ref.t_cut_s)
    assert fast.t_cut_s[4] == m.burn_end_s and abs(fast.shape_residual[4]) < 1.0
    _check_flown(m, p, NW.aim(m, p[:, 0], p[:, 1], p[:, 2], p[:, 3], "min-energy"), "min-energy")
    b = bc.fly_missile_batch(m, p[:4, 0], p[:4, 1], fast.azimuth_deg[:4], fast.kick_deg[:4], fast.t_cut_s[:4],
                             rtol=1e-10)
    assert np.all(np.abs(_angle_off_deg(b)) < 0.01)


@pytest.mark.parametrize("scenario", ["epaa-phase4-2013", "epaa-2024"])
def test_shipped_threat_sets_are_the_reference_solvers_steering(scenario):
    """Every trajectory of the shipped threat sets (the 2013 and 2024 forces the headline verdicts
    rest on): the steering ``aim`` returns is the reference solver's (kick 0.02°, cut-off 0.1 s,
    azimuth 0.01°), and no case the reference solves is left unsolved. The 2013 set holds the
    near-maximum-range SS-19 that was once flown on a full burn."""
    from bmdcheck.scenario import load_scenario
    from bmdcheck.scenario.expand import threat_cases

    cases = threat_cases(load_scenario(scenario))
    groups = {}
    for c in cases:
        groups.setdefault((c.missile, c.shape), []).append((c.launch_lat, c.launch_lon, c.aim_lat, c.aim_lon))
    n = 0
    for (name, shape), pts in groups.items():
        m, p = bc.get_missile(name), np.array(pts)
        got = NW.aim(m, p[:, 0], p[:, 1], p[:, 2], p[:, 3], shape)
        ref = bc.solve_steering(m, p[:, 0], p[:, 1], p[:, 2], p[:, 3], shape)
        assert np.all(got.ok[ref.ok]), (name, shape, got.error)
        b = ref.ok
        assert np.all(np.abs(got.kick_deg - ref.kick_deg)[b] < 0.02), (name, shape, got.kick_deg, ref.kick_deg)
        assert np.all(np.abs(got.t_cut_s - ref.t_cut_s)[b] < 0.1), (name, shape, got.t_cut_s, ref.t_cut_s)
        assert np.all(np.abs((got.azimuth_deg - ref.azimuth_deg + 180) % 360 - 180)[b] < 0.01), (name, shape)
        n += int(b.sum())
    assert n >= 30, n


def test_min_energy_beyond_the_cut_off_flies_the_branch_nearest_the_angle():
    """Minuteman III at 93 % of its maximum range, min-energy: even a full burn falls short of the
    minimum-energy angle (both full-burn solutions lie below it), so the convention is a full burn
    on the pitch branch nearest the angle. The reference solver's (kick 55.8°, 1.2° below the
    angle) is that one; the fast path had kept the other (kick 62.7°, 7.7° below)."""
    m = bc.get_missile("minuteman-iii")
    p = (-29.51430205912646, -167.79245409116348, 51.623296384978886, 150.07638697377524)
    fast = NW.solve_steering_newton(m, *p, shape="min-energy")
    ref = bc.solve_steering(m, *p, shape="min-energy")
    assert fast.ok[0] and ref.ok[0]
    assert fast.t_cut_s[0] == m.burn_end_s == ref.t_cut_s[0]
    assert abs(fast.kick_deg[0] - ref.kick_deg[0]) < 0.02, (fast.kick_deg, ref.kick_deg)
    b = bc.fly_missile_batch(m, p[0], p[1], fast.azimuth_deg, fast.kick_deg, fast.t_cut_s, rtol=1e-10)
    assert abs(float(_angle_off_deg(b)[0])) < 2.0
    lat, lon, _ = b.impact_geodetic()
    assert float(np.max(geodesic_inverse(lat, lon, p[2], p[3])[0])) < 20.0
