"""The command line: JSON fields as documented, bad input -> one line, exit 2, no traceback."""

import json
import subprocess
import sys

import pytest

CLI = [sys.executable, "-m", "bmdcheck.cli"]


def run(*args):
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=300)


def test_fly_burnout_json_fields():
    p = run("fly", "--burnout-speed", "7000", "--flight-path-angle", "30", "--azimuth", "90", "--from", "0,0",
            "--burnout-altitude", "0", "--earth", "spherical", "--gravity", "point", "--no-rotation",
            "--atmosphere", "none", "--sample-interval", "100", "--json")
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    for k in ("range_km", "flight_time_s", "apogee_km", "burnout", "impact", "samples"):
        assert k in d
    assert set(d["burnout"]) >= {"time_s", "speed_mps", "altitude_km", "flight_path_angle_deg"}
    assert set(d["impact"]) == {"lat", "lon"}
    assert set(d["samples"]) == {"t_s", "lat", "lon", "alt_km", "speed_mps"}
    s = d["samples"]
    assert s["t_s"][:3] == [0.0, 100.0, 200.0]
    assert len({len(v) for v in s.values()}) == 1
    assert s["alt_km"][-1] == pytest.approx(0.0, abs=1e-6)


def test_fly_missile_json_and_text():
    p = run("fly", "--missile", "scud-b", "--from", "33.3,44.4", "--to", "31.8,35.2", "--json")
    if p.returncode == 2:  # beyond reach: the error must say the maximum range
        assert "maximum range" in p.stderr
    else:
        d = json.loads(p.stdout)
        assert 0 < d["range_km"] < 400
    p = run("fly", "--missile", "scud-b", "--from", "33.3,44.4", "--to", "32.5,42.0")
    assert p.returncode == 0, p.stderr
    assert "range" in p.stdout


def test_missiles_json():
    p = run("missiles", "--json")
    assert p.returncode == 0, p.stderr
    rows = json.loads(p.stdout)
    assert {"name", "class", "stages", "max_range_km", "sources"} <= set(rows[0])


@pytest.mark.parametrize("args,needle", [
    (("fly", "--missile", "scud-b", "--from", "123,0", "--to", "1,1"), "latitude"),
    (("fly", "--missile", "nosuch", "--from", "1,0", "--to", "1,1"), "unknown missile"),
    (("fly", "--missile", "scud-b", "--from", "0,0", "--to", "20,20"), "maximum range"),
    (("fly", "--missile", "scud-b", "--from", "nan,0", "--to", "1,1"), "finite"),
    (("fly", "--burnout-speed", "nan", "--flight-path-angle", "30", "--azimuth", "0", "--from", "0,0"), "speed"),
    (("fly", "--burnout-speed", "-1", "--flight-path-angle", "30", "--azimuth", "0", "--from", "0,0"), "speed"),
    (("fly", "--burnout-speed", "100", "--flight-path-angle", "95", "--azimuth", "0", "--from", "0,0"), "angle"),
    (("fly", "--burnout-speed", "100", "--flight-path-angle", "30", "--azimuth", "0", "--from", "0,0",
      "--ballistic-coefficient", "0"), "ballistic"),
    (("fly", "--missile", "scud-b", "--from", "0,0"), "--to"),
    (("fly", "--missile", "scud-b", "--from", "abc", "--to", "1,1"), "LAT,LON"),
    (("fly", "--missile", "/tmp/does-not-exist.toml", "--from", "0,0", "--to", "1,1"), "missile"),
    # regression: an invalid choice escaped as a traceback with exit 1 (typer vendors its own click)
    (("fly", "--missile", "scud-b", "--from", "0,0", "--to", "1,1", "--shape", "zigzag"), "zigzag"),
    (("engage", "--missile", "scud-b", "--from", "0,0", "--to", "1,1", "--site-at", "1,1", "--flyout", "warp"), "warp"),
    (("fly", "--no-such-option"), "no-such-option"),
    (("assess", "epaa-phase3", "--dask", "local:x"), "local:x"),
])
def test_bad_input_one_line_exit_2(args, needle):
    p = run(*args)
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert "Traceback" not in p.stderr
    lines = [ln for ln in p.stderr.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, p.stderr
    assert needle.lower() in lines[0].lower()


def test_bad_missile_file_exit_2(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text('name = "bad"\npayload_kg = { value = -1, source = "x" }\nref_area_m2 = { value = 1, source = "x" }\n'
                 '[[stage]]\npropellant_kg = { value = 100, source = "x" }\ndry_kg = { value = 10, source = "x" }\n'
                 'burn_time_s = { value = 0, source = "x" }\nisp_vac_s = { value = 200, source = "x" }\n')
    p = run("fly", "--missile", str(f), "--from", "0,0", "--to", "1,1")
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1
