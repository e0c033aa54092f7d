"""Fuzz `bmdcheck fly` and `bmdcheck engage` argument sets (issue 8).

Whatever the arguments (numbers with nan, inf, huge and negative values, latitudes and longitudes
out of range, unknown names, control characters, bad threat files): the exit code is 0, 1 or 2,
never a traceback, and an error is one printable line on stderr. Bounded example counts (the
reach model is the fast Lambert one; the table model's own input checks are tested elsewhere).
Run more with FLY_FUZZ_EXAMPLES=N.
"""

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bmdcheck.cli.main import main

N = int(os.environ.get("FLY_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=N, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

NUMBER_TEXT = ["nan", "-nan", "inf", "-inf", "1e309", "-1e309", "1e308", "1e-320", "0", "-0", "", " ", "abc",
               "1,2", "0x10", "1_000", "\x1b[31m5", "٣", "NaN", "+5", "5e", "--5"]
NUMBERS = st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(repr),
                    st.integers(-10**30, 10**30).map(str), st.sampled_from(NUMBER_TEXT),
                    st.floats(-1e5, 1e5).map(lambda x: f"{x:.6g}"))
COORD = st.one_of(st.floats(-200, 200), st.sampled_from([90.0, -90.0, 89.999, 180.0, -180.0, 360.0, 361.0, -91.0]),
                  st.floats(allow_nan=True, allow_infinity=True))
LATLON = st.one_of(st.tuples(COORD, COORD).map(lambda p: f"{p[0]!r},{p[1]!r}"),
                   st.tuples(COORD, COORD, COORD).map(lambda p: f"{p[0]!r},{p[1]!r},{p[2]!r}"),
                   st.sampled_from(["", ",", "1", "1,2,3,4", "a,b", "33,44", "35,45", "33.5,44.2", "\x1b]0;x\x07,1"]),
                   st.text(max_size=12))
NAMES = st.one_of(st.sampled_from(["scud-b", "SCUD-B", "no-such", "", "../../etc/passwd", "scud-b\x1b[2J", "\u202e",
                                   "aegis-ashore-deveselu", "sm-3-iia"]), st.text(max_size=10))


def run(*args):
    """In-process entry point: (exit code, stdout, stderr); any unexpected exception propagates."""
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), pytest.raises(SystemExit) as ex:
        main([str(a) for a in args])
    return ex.value.code, out.getvalue(), err.getvalue()


def check(rc, out, err):
    if os.environ.get("FLY_FUZZ_LOG"):  # to see what the fuzzing reaches: exit codes and first error words
        with open(os.environ["FLY_FUZZ_LOG"], "a") as f:
            f.write(f"{rc}\t{err.strip()[:90]!r}\n")
    assert rc in (0, 1, 2), (rc, err)
    assert "Traceback" not in err and "Traceback" not in out, err
    if rc == 2:
        lines = [ln for ln in err.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: "), err
        assert all(c.isprintable() for c in lines[0]), lines[0]


def mostly(good, bad=NUMBERS):
    """Nine in ten a value the option accepts, else a hostile one: so runs get past the first check."""
    return st.integers(0, 9).flatmap(lambda i: bad if i == 0 else good)


def num(lo, hi):
    return st.floats(lo, hi).map(lambda x: f"{x:.6g}")


GOOD_LATLON = st.tuples(st.one_of(st.floats(-90, 90), st.sampled_from([90.0, -90.0, 89.999, -89.9999])),
                        st.floats(-180, 360)).map(lambda p: f"{p[0]!r},{p[1]!r}")


EXPORTS = [("--czml", st.sampled_from(["new.czml", "old.kml", "sub", "missing/x.czml"])),
           ("--kml", st.sampled_from(["new.kml", "old.kml", "sub", "missing/x.kml"])),
           ("--geojson", st.sampled_from(["new.geojson", "sub", "missing/x.geojson"])),
           ("--epoch", mostly(st.sampled_from(["2026-01-01T00:00:00Z", "2026-03-01T12:00:00+01:00"]),
                              st.sampled_from(["yesterday", "2026-13-01", "", "\x1b[2J"])))]


def run_in_folder(args):
    """Run with export paths relative to a fresh folder; on exit 2 nothing in it may have changed."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory(prefix="fly-fuzz-") as d:
        d = Path(d)
        (d / "old.kml").write_text("keep")
        (d / "sub").mkdir()
        before = sorted(p.name for p in d.rglob("*"))
        args = [str(d / a) if i and args[i - 1] in ("--czml", "--kml", "--geojson") else a for i, a in enumerate(args)]
        rc, out, err = run(*args)
        check(rc, out, err)
        if rc == 2:
            assert sorted(p.name for p in d.rglob("*")) == before, err
            assert (d / "old.kml").read_text() == "keep", err
    return rc


def _opts(draw, table):
    """Draw a subset of (flag, value strategy) pairs and their values."""
    args = []
    for flag, strat in table:
        if draw(st.booleans()):
            args += [flag, draw(strat)]
    return args


@st.composite
def fly_args(draw):
    mode = draw(st.sampled_from(["missile", "burnout", "burnout", "mixed"]))
    args = ["fly"]
    if draw(st.integers(0, 9)):
        args += ["--from", draw(mostly(st.one_of(GOOD_LATLON, st.just("33,44")), LATLON))]
    if mode in ("missile", "mixed"):
        args += ["--missile", draw(mostly(st.just("scud-b"), NAMES)),
                 "--to", draw(mostly(st.one_of(st.just("35,45"), GOOD_LATLON), LATLON))]
        args += _opts(draw, [("--shape", mostly(st.sampled_from(["min-energy", "lofted", "depressed"]),
                                                st.sampled_from(["round", "", "MIN-ENERGY"]))),
                             ("--apogee-km", mostly(num(1, 2000)))])
    if mode in ("burnout", "mixed"):
        for flag, good in (("--burnout-speed", num(0, 15000)), ("--flight-path-angle", num(-90, 90)),
                           ("--azimuth", num(-720, 720))):
            if draw(st.integers(0, 9)):
                args += [flag, draw(mostly(good))]
        args += _opts(draw, [("--burnout-altitude", mostly(num(0, 3000))),
                             ("--ballistic-coefficient", mostly(num(1, 1e5))),
                             ("--duration", mostly(num(0.1, 3e4)))])
    args += _opts(draw, [("--sample-interval", mostly(num(0.5, 500))),
                         ("--earth", mostly(st.sampled_from(["wgs84", "spherical"]), st.just("flat"))),
                         ("--gravity", mostly(st.sampled_from(["j2", "point"]), st.just("j4"))),
                         ("--atmosphere", mostly(st.sampled_from(["ussa76", "none"]), st.just("mars")))])
    if draw(st.booleans()):
        args.append(draw(mostly(st.sampled_from(["--json", "--no-rotation", "--rotation"]), st.just("--bogus"))))
    if draw(st.integers(0, 3)) == 0:
        args += _opts(draw, EXPORTS)
    return args


@FUZZ
@given(args=fly_args())
@example(args=["fly", "--from", "90,0", "--missile", "scud-b", "--to", "89,10"])
@example(args=["fly", "--from", "0,0", "--burnout-speed", "1e9", "--flight-path-angle", "45", "--azimuth", "0"])
@example(args=["fly", "--from", "0,0", "--burnout-speed", "7000", "--flight-path-angle", "0", "--azimuth", "0",
               "--burnout-altitude", "1e300"])
@example(args=["fly", "--from", "0,0", "--burnout-speed", "7000", "--flight-path-angle", "10", "--azimuth", "1e300"])
@example(args=["fly", "--from", "0,0", "--burnout-speed", "300", "--flight-path-angle", "10", "--azimuth", "0",
               "--ballistic-coefficient", "1e-300"])
@example(args=["fly", "--from", "0,0", "--burnout-speed", "7700", "--flight-path-angle", "0", "--azimuth", "90",
               "--burnout-altitude", "400", "--duration", "1e12", "--atmosphere", "none"])
@example(args=["fly", "--from", "0,0", "--burnout-speed", "3000", "--flight-path-angle", "45", "--azimuth", "0",
               "--sample-interval", "1e-300"])
@example(args=["fly", "--from", "33,44", "--missile", "scud-b", "--to", "35,45", "--shape", "lofted",
               "--apogee-km", "1e308"])
@example(args=["fly", "--from", "0,0", "--burnout-speed", "12000", "--flight-path-angle", "45", "--azimuth", "0",
               "--burnout-altitude", "200", "--czml", "new.czml", "--kml", "new.kml", "--geojson", "new.geojson"])
@example(args=["fly", "--from", "33,44", "--missile", "scud-b", "--to", "35,45", "--kml", "new.kml",
               "--geojson", "missing/x.geojson"])
def test_fly_arguments_never_crash(args):
    run_in_folder(args)


@pytest.fixture(scope="module")
def threat_files(tmp_path_factory):
    """Good and hostile threat files: CSV and OEM, empty, binary, nan, huge, unordered, a folder."""
    d = tmp_path_factory.mktemp("threats")
    t = np.arange(40) * 20.0
    lat, lon = np.radians(42 + 0.05 * np.arange(40)), np.radians(43 + 0.05 * np.arange(40))
    rad = 6.371e6 + 2e5 + 3e5 * np.sin(np.pi * np.arange(40) / 39)
    r = np.stack([rad * np.cos(lat) * np.cos(lon), rad * np.cos(lat) * np.sin(lon), rad * np.sin(lat)], axis=-1)
    good = "t_s,x_eci_m,y_eci_m,z_eci_m\n" + "".join(f"{a},{b[0]},{b[1]},{b[2]}\n" for a, b in zip(t, r))
    files = {
        "good.csv": good,
        "nan.csv": good.replace(f"{r[3][0]}", "nan", 1),
        "inf.csv": good.replace(f"{r[3][0]}", "1e400", 1),
        "zero.csv": "t_s,x_eci_m,y_eci_m,z_eci_m\n0,0,0,0\n1,0,0,0\n2,0,0,0\n",
        "huge.csv": "t_s,x_eci_m,y_eci_m,z_eci_m\n0,1e300,0,0\n1,1e300,1e300,0\n2,1e300,2e300,0\n",
        "unordered.csv": "t_s,x_eci_m,y_eci_m,z_eci_m\n2,7e6,0,0\n1,7e6,1,0\n0,7e6,2,0\n",
        "short.csv": "t_s,x_eci_m,y_eci_m,z_eci_m\n0,7e6,0,0\n",
        "ragged.csv": "t_s,x_eci_m,y_eci_m,z_eci_m\n0,7e6\n1,7e6,1,0,9,9\n2\n",
        "badvel.csv": "t_s,x_eci_m,y_eci_m,z_eci_m,vx_eci_mps,vy_eci_mps,vz_eci_mps\n"
                      "0,7e6,0,0,nan,0,0\n1,7e6,1,0,0,0,0\n2,7e6,2,0,0,0,0\n",
        "header.csv": "t_s,\x1b[31mx,y,z\n0,1,2,3\n",
        "empty.csv": "",
        "comments.csv": "# nothing\n\n",
        "oem.oem": "CCSDS_OEM_VERS = 2.0\nMETA_START\nTIME_SYSTEM = UTC\nMETA_STOP\n"
                   + "".join(f"2026-03-01T12:{int(a) // 60:02d}:{int(a) % 60:02d}{'Z' if i % 3 else ''} "
                             f"{b[0] / 1e3} {b[1] / 1e3} {b[2] / 1e3}\n" for i, (a, b) in enumerate(zip(t, r))),
        "oem_bad.oem": "CCSDS_OEM_VERS = 2.0\n2026-13-45T99:00:00 1 2 3\nnot-a-date 1 2 3\n",
        "oem_same.oem": "CCSDS_OEM_VERS = 2.0\n" + "2026-03-01T12:00:00 7000 0 0\n" * 5,
        "oem_nan.oem": "CCSDS_OEM_VERS = 2.0\n" + "".join(f"2026-03-01T12:00:0{i} nan 0 0\n" for i in range(5)),
    }
    for name, text in files.items():
        (d / name).write_text(text)
    (d / "binary.csv").write_bytes(bytes(range(256)) * 8)
    (d / "folder.csv").mkdir()
    return d


@st.composite
def engage_args(draw, files):
    args = ["engage"]
    names = sorted(p.name for p in files.iterdir()) + ["missing.csv"]
    if draw(st.integers(0, 3)):
        args += ["--threat-file", str(files / draw(mostly(st.just("good.csv"), st.sampled_from(names))))]
    else:
        args += ["--missile", draw(mostly(st.just("scud-b"), NAMES)), "--from", draw(mostly(st.just("33,44"), LATLON)),
                 "--to", draw(mostly(st.just("35,45"), LATLON))]
    if draw(st.integers(0, 3)):
        args += ["--site-at", draw(mostly(st.tuples(num(30, 50), num(35, 55), num(0, 5)).map(",".join), LATLON))]
    else:
        args += ["--site", draw(mostly(st.just("aegis-ashore-deveselu"), NAMES))]
    args += _opts(draw, [("--burnout-speed", mostly(num(1, 15000))), ("--interceptor", mostly(st.just("sm-3-iia"), NAMES)),
                         ("--burn-time", mostly(num(1, 300))),
                         ("--altitude-band", mostly(st.tuples(num(0, 100), num(100, 3000)).map(",".join),
                                                    st.one_of(LATLON, NUMBERS))),
                         ("--min-closing-speed", mostly(num(0, 5000))), ("--max-flight-time", mostly(num(1, 5000))),
                         ("--launch-at", mostly(num(0, 2000))), ("--decision-delay", mostly(num(0, 300))),
                         ("--rcs", mostly(num(1e-4, 10))), ("--kill-assessment", mostly(num(0, 300))),
                         ("--mode", mostly(st.sampled_from(["local", "launch-on-remote", "engage-on-remote",
                                                            "early-warning-only"]), st.just("psychic"))),
                         ("--remote-radar", NAMES), ("--early-warning", mostly(st.sampled_from(["default", "none"]), NAMES)),
                         ("--threshold", mostly(st.just("burnout-speed"), st.just("speed")))])
    args += ["--flyout", "lambert"]
    if draw(st.booleans()):
        args.append("--json")
    if draw(st.integers(0, 3)) == 0:
        args += _opts(draw, EXPORTS)
    return args


@FUZZ
@given(data=st.data())
def test_engage_arguments_never_crash(threat_files, data):
    run_in_folder(data.draw(engage_args(threat_files)))


@pytest.mark.parametrize("name", ["good.csv", "nan.csv", "inf.csv", "zero.csv", "huge.csv", "unordered.csv",
                                  "short.csv", "ragged.csv", "badvel.csv", "header.csv", "empty.csv", "comments.csv",
                                  "oem.oem", "oem_bad.oem", "oem_same.oem", "oem_nan.oem", "binary.csv",
                                  "folder.csv", "missing.csv"])
def test_every_threat_file_is_read_or_refused_in_one_line(threat_files, name):
    check(*run("engage", "--threat-file", threat_files / name, "--site-at", "43,44", "--burnout-speed", "3000",
               "--flyout", "lambert", "--json"))
