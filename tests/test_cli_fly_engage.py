"""`fly` and `engage` on hostile input (issue 8): one line and exit 2, never a traceback; small
answers that read right. Every test here failed before its fix."""

import json

import numpy as np
import pytest

from bmdcheck.api import read_threat_file
from bmdcheck.earth.model import EarthModel

KOZELSK, WASHINGTON = "54.04,35.77", "38.90,-77.04"


def _one_line_error(rc, out, err):
    assert rc == 2, (rc, out, err)
    assert "Traceback" not in err and "Traceback" not in out
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


def _arc_samples(n=40, dt=20.0):
    """A coasting arc over Europe at 300-1,000 km altitude (ECI, m): positions only."""
    t = np.arange(n) * dt
    lat = np.radians(50.0 + 0.2 * np.arange(n))
    lon = np.radians(20.0 + 0.1 * np.arange(n))
    rad = 6.371e6 + 3e5 + 7e5 * np.sin(np.pi * np.arange(n) / (n - 1))
    r = np.stack([rad * np.cos(lat) * np.cos(lon), rad * np.cos(lat) * np.sin(lon), rad * np.sin(lat)], axis=-1)
    return t, r


def _oem(epochs, r):
    head = ["CCSDS_OEM_VERS = 2.0", "CREATION_DATE = 2026-01-01T00:00:00", "ORIGINATOR = test", "",
            "META_START", "OBJECT_NAME = T", "OBJECT_ID = 1", "CENTER_NAME = EARTH", "REF_FRAME = EME2000",
            "TIME_SYSTEM = UTC", "START_TIME = " + epochs[0], "STOP_TIME = " + epochs[-1], "META_STOP", ""]
    return "\n".join(head + [f"{e} {x / 1e3:.6f} {y / 1e3:.6f} {z / 1e3:.6f}" for e, (x, y, z) in zip(epochs, r)]) + "\n"


# ---- crashes --------------------------------------------------------------------------------------

def test_engage_huge_burnout_speed_is_one_line(cli):
    """Was: OverflowError from math.exp in the booster sizing (20,000 m/s already had a clean error)."""
    line = _one_line_error(*cli("engage", "--missile", "topol-m", "--from", KOZELSK, "--to", WASHINGTON,
                                "--site-at", "54,18", "--burnout-speed", "1e9", "--burn-time", "100"))
    assert "burnout speed" in line


def test_oem_mixed_plain_and_offset_epochs(tmp_path):
    """Was: TypeError (naive minus aware datetime). Plain epochs are UTC; +00:00 and Z are the same instant."""
    t, r = _arc_samples(5)
    epochs = ["2026-03-01T12:00:00", "2026-03-01T12:00:20+00:00", "2026-03-01T12:00:40Z",
              "2026-03-01T13:01:00+01:00", "2026-03-01T12:01:20.000"]
    f = tmp_path / "mixed.oem"
    f.write_text(_oem(epochs, r))
    th = read_threat_file(str(f), EarthModel())
    assert th.t_s[0, :5] == pytest.approx([0.0, 20.0, 40.0, 60.0, 80.0])


def test_oem_mixed_epochs_cli_runs(cli, tmp_path):
    t, r = _arc_samples()
    epochs = [f"2026-03-01T12:{int(s) // 60:02d}:{int(s) % 60:02d}" + ("+00:00" if i % 2 else "")
              for i, s in enumerate(t)]
    f = tmp_path / "mixed.oem"
    f.write_text(_oem(epochs, r))
    rc, out, err = cli("engage", "--threat-file", f, "--site-at", "52,22", "--burnout-speed", "4000",
                       "--flyout", "lambert", "--json")
    assert rc == 0, err
    assert "feasible" in json.loads(out)


@pytest.mark.parametrize("header", ["t_s,\x1b[31mx_eci_m,y_eci_m,z_eci_m", "t_s,x\u202e_eci_m,y_eci_m,z_eci_m",
                                    "t_s,x_eci_m,y_eci_m,\x07\x1b]0;owned\x07"])
def test_control_codes_in_threat_header_are_escaped(cli, tmp_path, header):
    """Was: the header names echoed raw, so an ESC sequence in a file could drive the terminal."""
    f = tmp_path / "evil.csv"
    f.write_text(header + "\n0,7e6,0,0\n1,7e6,1,0\n2,7e6,2,0\n")
    line = _one_line_error(*cli("engage", "--threat-file", f, "--site-at", "52,22", "--burnout-speed", "4000",
                                "--flyout", "lambert"))
    assert all(c.isprintable() for c in line)
    assert "\\x1b" in line or "\\u202e" in line


def test_control_codes_in_fly_arguments_are_escaped(cli):
    line = _one_line_error(*cli("fly", "--missile", "topol\x1b[2J-m", "--from", KOZELSK, "--to", WASHINGTON))
    assert all(c.isprintable() for c in line) and "\\x1b" in line
    line = _one_line_error(*cli("fly", "--missile", "topol-m", "--from", "54\x1b[2J,35", "--to", WASHINGTON))
    assert all(c.isprintable() for c in line) and "\\x1b" in line


# ---- small answers that must read right --------------------------------------------------------------

def test_burnout_on_the_ground_heading_down_impacts_at_start(cli):
    """Was: flight_time_s = -1.5e-14. Chosen contract (docs/CONVENTIONS.md): a burnout state at 0 km
    with a downward flight-path angle is an impact at t = 0 at the burnout point, status "impact"."""
    rc, out, err = cli("fly", "--burnout-speed", "7000", "--flight-path-angle", "-45", "--azimuth", "0",
                       "--from", "0,0", "--json")
    assert rc == 0, err
    d = json.loads(out)
    assert d["status"] == "impact" and d["flight_time_s"] == 0.0 and d["range_km"] == 0.0
    assert d["impact"] == pytest.approx({"lat": 0.0, "lon": 0.0}, abs=1e-9)


@pytest.mark.parametrize("fpa", [-90.0, -45.0, -1e-3, -30.0])
@pytest.mark.parametrize("speed", [0.0, 300.0, 7000.0])
def test_flight_time_is_never_negative(fpa, speed):
    import bmdcheck as bc

    t = bc.fly_burnout(speed, fpa, 33.0, (51.0, 7.0), 0.0)
    assert t.flight_time_s >= 0.0 and t.status == "impact"


MU = 3.986004418e14


@pytest.mark.parametrize("factor,status", [(1.01, "escape"), (1.2, "escape"), (0.97, "duration reached")])
def test_escape_speed_reports_no_impact(cli, factor, status):
    """Was: an "impact" at the 3-hour cut-off. Reference: v_esc = sqrt(2 mu / r) on the
    non-rotating sphere with point gravity and no air (closed form)."""
    r = 6_371_000.0 + 1_200_000.0
    v = factor * (2 * MU / r) ** 0.5
    rc, out, err = cli("fly", "--burnout-speed", v, "--flight-path-angle", "30", "--azimuth", "90", "--from", "10,20",
                       "--burnout-altitude", "1200", "--earth", "spherical", "--gravity", "point", "--no-rotation",
                       "--atmosphere", "none", "--json")
    assert rc == 0, err
    d = json.loads(out)
    assert d["status"] == status
    assert d["end"]["t_s"] == pytest.approx(10_800.0)
    if status == "escape":
        assert d["impact"] is None and d["flight_time_s"] is None and d["range_km"] is None
    rc, out, err = cli("fly", "--burnout-speed", v, "--flight-path-angle", "30", "--azimuth", "90", "--from", "10,20",
                       "--burnout-altitude", "1200", "--earth", "spherical", "--gravity", "point", "--no-rotation",
                       "--atmosphere", "none")
    assert rc == 0
    assert "no impact" in out and "(impact)" not in out


def test_full_model_escape(cli):
    rc, out, err = cli("fly", "--burnout-speed", "12000", "--flight-path-angle", "45", "--azimuth", "0",
                       "--from", "0,0", "--burnout-altitude", "200", "--json")
    assert rc == 0, err
    assert json.loads(out)["status"] == "escape"


def test_aim_100_m_away_reads_in_metres(cli):
    """Was: "the aim point 0 km away"."""
    line = _one_line_error(*cli("fly", "--missile", "topol-m", "--from", "54,35", "--to", "54.0009,35"))
    assert "100 m away" in line and " 0 km" not in line
    line = _one_line_error(*cli("fly", "--missile", "topol-m", "--from", "54,35", "--to", "54.0009,35",
                                "--shape", "lofted"))
    assert "100 m away" in line and "did not converge" not in line


def test_tiny_sample_interval_is_refused_before_allocating(cli):
    """Was: 0.001 s allocated 670 MB (and 0.0003 s with a long duration ~2 GB) before flying."""
    line = _one_line_error(*cli("fly", "--burnout-speed", "7000", "--flight-path-angle", "45", "--azimuth", "0",
                                "--from", "0,0", "--sample-interval", "0.001"))
    assert "samples per trajectory" in line
    rc, out, err = cli("fly", "--burnout-speed", "7000", "--flight-path-angle", "45", "--azimuth", "0",
                       "--from", "0,0", "--sample-interval", "0.01", "--duration", "100", "--json")
    assert rc == 0 and len(json.loads(out)["samples"]["t_s"]) == 10_001


@pytest.mark.parametrize("rows,needle", [
    ("0,0,0,0\n1,0,0,1\n2,0,0,2\n", "below the ground"),           # positions in the Earth's core
    ("0,6371,0,0\n20,6372,0,0\n40,6373,0,0\n", "below the ground"),  # km where metres are due
    ("0,7e6,0,0\n0,7e6,1,0\n1,7e6,2,0\n", "increase"),
])
def test_threat_file_that_cannot_be_a_trajectory(cli, tmp_path, rows, needle):
    """Was: read and engaged as if real (a trajectory through the Earth's core gave a verdict)."""
    f = tmp_path / "t.csv"
    f.write_text("t_s,x_eci_m,y_eci_m,z_eci_m\n" + rows)
    line = _one_line_error(*cli("engage", "--threat-file", f, "--site-at", "0,0", "--burnout-speed", "3000",
                                "--flyout", "lambert"))
    assert needle in line and "t.csv" in line
