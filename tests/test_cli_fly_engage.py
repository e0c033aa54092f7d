"""`fly` and `engage` on hostile input (issue 8): one line and exit 2, never a traceback; small
answers that read right. Every test here failed before its fix."""

import json

import numpy as np
import pytest

from bmdcheck.cli.engage_cmd import read_threat_file
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
