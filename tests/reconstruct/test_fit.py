"""--fit-missile: a known missile flown lofted is recovered; the TOML file reads back and flies."""

import json
import tomllib
from dataclasses import replace

import pytest

from bmdcheck.flight.batch import fly_missile_batch
from bmdcheck.flight.missile import get_missile, load_missile_file
from bmdcheck.flight.performance import REFERENCE_EARTH, max_range_performance
from bmdcheck.reconstruct.fit import fit_missile


def test_fit_recovers_a_known_payload():
    truth = replace(get_missile("minuteman-iii"), payload_kg=820.0)
    b = fly_missile_batch(truth, 45.0, 0.0, 90.0, 3.0, earth=REFERENCE_EARTH)
    apo, rng = float(b.apogee_alt_m()[0] / 1e3), float(b.range_m()[0] / 1e3)
    m, info = fit_missile(apo, rng, template="minuteman-iii")
    assert m.payload_kg == pytest.approx(820.0, rel=1e-2)
    assert info["kick_deg"] == pytest.approx(3.0, abs=0.05)
    assert info["flight_time_s"] == pytest.approx(float(b.impact_time_s[0]), abs=2.0)
    assert info["max_range_km"] == pytest.approx(max_range_performance(truth)["max_range_km"], rel=1e-2)


def test_fit_cli_writes_a_catalogue_entry_that_flies(cli, tmp_path):
    path = tmp_path / "Fitted-HS14.toml"
    rc, out, err = cli("reconstruct", "--apogee-km", "2802", "--range-km", "933", "--fit-missile",
                       "--name", "hs14-jul4", "--out", str(path), "--json")
    assert rc == 0, err
    d = json.loads(out)
    fm = d["fitted_missile"]
    assert fm["name"] == "hs14-jul4" and fm["path"] == str(path)
    doc = tomllib.loads(path.read_text())
    assert doc["provenance"]["template"] == "minuteman-iii"
    assert json.loads(doc["provenance"]["observation"])["apogee_km"]["value"] == 2802
    assert "fitted" in doc["payload_kg"]["source"]
    m = load_missile_file(path)
    assert m.payload_kg == pytest.approx(fm["payload_kg"])
    assert not list(tmp_path.glob(".*tmp"))  # no temporary file left behind
    before = path.read_bytes()
    rc, out, err = cli("reconstruct", "--apogee-km", "2900", "--range-km", "933", "--fit-missile", "--out", str(path))
    assert rc == 2 and "already exists" in err and path.read_bytes() == before
    rc, out, err = cli("reconstruct", "--apogee-km", "2802", "--range-km", "933", "--fit-missile", "--name", "topol-m",
                       "--out", str(tmp_path / "other.toml"))
    assert rc == 2 and "catalogue missile" in err
    rc, out, err = cli("fly", "--missile", str(path), "--from", "40,127", "--to", "40,160", "--json")
    assert rc == 0, err
    assert json.loads(out)["range_km"] > 2000


def test_fit_template_too_small(cli, tmp_path):
    rc, out, err = cli("reconstruct", "--apogee-km", "9000", "--range-km", "950", "--fit-missile",
                       "--template", "scud-b", "--out", str(tmp_path / "x.toml"))
    assert rc == 2 and "template" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.toml").exists()


def test_fit_stage_scale_recovers_known_stages():
    """--fit-vary stages: a template whose stages are scaled by 1.2 (payload fixed) is recovered."""
    tpl = get_missile("minuteman-iii")
    truth = replace(tpl, stages=tuple(replace(s, propellant_kg=1.2 * s.propellant_kg, dry_kg=1.2 * s.dry_kg)
                                      for s in tpl.stages))
    b = fly_missile_batch(truth, 45.0, 0.0, 90.0, 4.0, earth=REFERENCE_EARTH)
    apo, rng = float(b.apogee_alt_m()[0] / 1e3), float(b.range_m()[0] / 1e3)
    m, info = fit_missile(apo, rng, template="minuteman-iii", vary="stages")
    assert info["stage_scale"] == pytest.approx(1.2, rel=2e-3)
    assert m.payload_kg == tpl.payload_kg
    assert info["max_range_km"] == pytest.approx(max_range_performance(truth)["max_range_km"], rel=1e-2)


def test_fit_stage_scale_cli_writes_sources(cli, tmp_path):
    path = tmp_path / "s.toml"
    rc, out, err = cli("reconstruct", "--apogee-km", "3000", "--range-km", "900", "--fit-missile", "--fit-vary",
                       "stages", "--payload-kg", "1000", "--out", str(path), "--json")
    assert rc == 0, err
    doc = tomllib.loads(path.read_text())
    assert "x 1." in doc["stage"][0]["propellant_kg"]["source"] or "x 0." in doc["stage"][0]["propellant_kg"]["source"]
    assert doc["payload_kg"]["value"] == 1000.0 and "--payload-kg" in doc["payload_kg"]["source"]
    rc, out, err = cli("reconstruct", "--apogee-km", "3000", "--range-km", "900", "--payload-kg", "1000")
    assert rc == 2 and "--fit-missile" in err
