"""The offline report: every section present with its content, no network URL, figures that show
what they claim (coastlines where Natural Earth puts them), and bad input refused cleanly."""

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from bmdcheck.report import SECTIONS

REF = Path(__file__).parent / "data" / "map-reference.png"


class _Refs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs, self.ids, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ("src", "href"):
                self.refs.append(v)
            if k == "id":
                self.ids.append(v)

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture(scope="module")
def page(report_dir):
    p = _Refs()
    p.feed((report_dir / "index.html").read_text())
    p.alltext = " ".join(" ".join(p.text).split())
    return p


def test_every_section_present_and_offline(report_dir, page):
    assert [i for i in page.ids if i in SECTIONS] == list(SECTIONS)
    for r in page.refs:
        assert not re.match(r"^[a-z][a-z0-9+.-]*:|^//", r, re.I), f"network or absolute URL in the report: {r}"
        if not r.startswith("#"):
            assert (report_dir / r).is_file(), r
        else:
            assert r[1:] in page.ids
    assert {"map.png", "map-b.png", "engagement-1.png"} <= set(page.refs)
    assert not list(report_dir.parent.glob(".rep.tmp*"))  # no temporary directory left behind


def test_report_content(results_dir, results, page):
    prov = json.loads((results_dir / "_provenance.json").read_text())
    t = page.alltext
    for k in ("scenario_hash", "results_hash", "catalogue_version", "code_version"):
        assert str(prov[k]) in t
    from bmdcheck.flight.missile import get_missile

    src = next(iter(get_missile("topol-m").sources.values()))
    assert " ".join(src.split()) in t  # catalogue sources listed
    assert "test-gbi" in t and "aegis-ashore-redzikowo" in t
    # the infeasible Redzikowo pair is explained in words, the feasible one has its window
    from bmdcheck.report.data import reason_words

    why = next(r["reason"] for r in results.nominal_rows() if r["site"] == "aegis-ashore-redzikowo")
    assert f"No intercept ({why}): {reason_words(why)}" in t and "Intercept possible from" in t
    assert reason_words(why) != why.replace("_", " ")  # a sentence, not the code
    from bmdcheck.guarantee import load_rules

    for rule in load_rules("speed-caps").rule:
        assert rule.id in t
    assert "PASS" in t
    # comparison: B dropped the GBI site; engageable share fell
    assert "removed in B: gbi-3-stage at test-gbi" in t and "-100 pts" in t
    assert "topol-m lofted kozelsk → new-york test-gbi (gbi-3-stage) none" in t  # a changed trajectory
    assert ("no sensor tiers" in t) != results.has_tiers()


def test_tiers_section_when_results_carry_tiers(results):
    from bmdcheck.report.html import _tiers_section

    if not results.has_tiers():
        pytest.skip("these results carry no sensor tiers")
    html = _tiers_section(results)
    assert "<th>tier</th>" in html and "test-gbi" in html
    for t in results.tiers():
        assert f"<td>{t}</td>" in html
    # the scenario declares early-warning-only: the figures show the cue tier; pair ids stay unique
    assert results.tier == "cue"
    rows = results.nominal_rows()
    assert len({(r["case_id"], r["site"], r["interceptor"]) for r in rows}) == len(rows)
    assert results.row_for("0:test-gbi")["feasible"] is True


# ---- the map shows coastlines -------------------------------------------------------------------

def _coast_hits(fig, shift_px=0.0):
    """Fraction of Natural Earth 110m coastline vertices inside the map whose pixel (±2 px) is dark
    (a coastline stroke), read independently from the shapefile with cartopy's shapefile reader."""
    import cartopy.crs as ccrs
    import cartopy.io.shapereader as shpreader

    from bmdcheck.report.maps import natural_earth_root

    fig.canvas.draw()
    img = np.asarray(fig.canvas.buffer_rgba())[:, :, :3].astype(int)
    ax = fig.axes[0]
    path = Path(natural_earth_root()) / "shapefiles/natural_earth/physical/ne_110m_coastline.shp"
    lon, lat = [], []
    for g in shpreader.Reader(str(path)).geometries():
        for line in getattr(g, "geoms", [g]):
            x, y = np.asarray(line.coords).T
            lon += list(x)
            lat += list(y)
    xy = ax.projection.transform_points(ccrs.PlateCarree(), np.array(lon), np.array(lat))[:, :2]
    px = ax.transData.transform(xy)
    bb = ax.get_window_extent()
    inside = (px[:, 0] > bb.x0 + 3) & (px[:, 0] < bb.x1 - 3) & (px[:, 1] > bb.y0 + 3) & (px[:, 1] < bb.y1 - 3)
    px = px[inside] + shift_px
    h = img.shape[0]
    hits = 0
    for x, y in px:
        c, r = int(round(x)), int(round(h - y))
        win = img[max(r - 2, 0):r + 3, max(c - 2, 0):c + 3]
        hits += bool((win.max(axis=2) < 140).any())
    return hits / max(len(px), 1), len(px)


@pytest.fixture(scope="module")
def map_fig(results):
    import matplotlib

    matplotlib.use("Agg")
    from bmdcheck.report import plot_map

    return plot_map(results)


def test_map_draws_coastlines_where_natural_earth_has_them(map_fig):
    frac, n = _coast_hits(map_fig)
    assert n > 200
    assert frac > 0.85
    shifted, _ = _coast_hits(map_fig, shift_px=25.0)  # the check is about position, not any dark pixel
    assert shifted < 0.6 * frac


def test_map_matches_reference_rendering(map_fig):
    """Greyscale correlation with a stored 250-px-wide rendering of the same map (regenerate with
    ``python tests/report/test_report.py`` after an intended change, then look at it)."""
    import matplotlib.image as mpimg

    got = _small(map_fig)
    ref = mpimg.imread(REF)[..., :3].mean(axis=2)
    assert got.shape == ref.shape
    r = np.corrcoef(got.ravel(), ref.ravel())[0, 1]
    assert r > 0.9, r


def _small(fig):
    import io

    import matplotlib.image as mpimg

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=25)
    buf.seek(0)
    return mpimg.imread(buf)[..., :3].mean(axis=2)


# ---- bad input ----------------------------------------------------------------------------------

def test_missing_and_corrupt_results(cli, tmp_path, results_dir):
    import shutil

    rc, out, err = cli("report", tmp_path / "nothing")  # progress bar on: still one line
    assert rc == 2 and err.count("\n") == 1 and "results directory not found" in err
    bad = tmp_path / "bad"
    shutil.copytree(results_dir, bad)
    (bad / "results.parquet").write_bytes(b"not parquet at all")
    rc, out, err = cli("report", bad, "--out", tmp_path / "rep", "--quiet")
    assert rc == 2 and err.count("\n") == 1 and "corrupt" in err
    assert not (tmp_path / "rep").exists()
    (bad / "results.parquet").unlink()
    rc, _, err = cli("export", bad, "--geojson", tmp_path / "x.geojson", "--quiet")
    assert rc == 2 and err.count("\n") == 1 and "corrupt" in err and not (tmp_path / "x.geojson").exists()
    shutil.copy(results_dir / "results.parquet", bad / "results.parquet")
    (bad / "_provenance.json").write_text("{broken")
    rc, _, err = cli("report", bad, "--quiet")
    assert rc == 2 and err.count("\n") == 1 and "corrupt" in err
    (bad / "_SUCCESS").unlink()
    rc, _, err = cli("report", bad, "--quiet")
    assert rc == 2 and err.count("\n") == 1 and "unfinished" in err


def test_unknown_pair_and_unwritable_output(cli, tmp_path, results_dir):
    rc, _, err = cli("report", results_dir, "--pair", "99:nowhere", "--out", tmp_path / "rep", "--quiet")
    assert rc == 2 and err.count("\n") == 1 and "unknown pair id '99:nowhere'" in err
    assert not (tmp_path / "rep").exists()
    blocker = tmp_path / "file"
    blocker.write_text("x")
    rc, _, err = cli("report", results_dir, "--out", blocker / "rep", "--quiet")
    assert rc == 2 and err.count("\n") == 1 and "cannot write" in err
    rc, _, err = cli("export", results_dir, "--kml", blocker / "x.kml", "--quiet")
    assert rc == 2 and err.count("\n") == 1
    rc, _, err = cli("export", results_dir, "--quiet")
    assert rc == 2 and "--czml" in err


def test_default_report_folder_keeps_the_results_readable(cli, results_dir, tmp_path):
    """Without --out the report goes to RESULTS/_report, which Arrow (and pandas) dataset reads skip."""
    import shutil

    import pyarrow.parquet as pq

    d = tmp_path / "res"
    shutil.copytree(results_dir, d)
    rc, out, err = cli("report", d, "--quiet")
    assert rc == 0, err
    assert (d / "_report" / "index.html").is_file()
    assert pq.read_table(d).num_rows == pq.read_table(d / "results.parquet").num_rows


def test_cli_report_and_export(cli, tmp_path, results_dir):
    rc, out, err = cli("report", results_dir, "--out", tmp_path / "r", "--pair", "1:test-gbi", "--footprint-alt", "200",
                       "--quiet")
    assert rc == 0 and (tmp_path / "r" / "index.html").is_file(), err
    page = (tmp_path / "r" / "index.html").read_text()
    assert "pair-1:test-gbi" in page and "target at 200 km altitude" in page
    rc, _, err = cli("report", results_dir, "--footprint-alt", "-5", "--quiet")
    assert rc == 2 and "--footprint-alt" in err
    rc, out, err = cli("export", results_dir, "--geojson", tmp_path / "a.geojson", "--epoch", "2026-01-01T00:00:00Z",
                       "--interceptor-paths", "0", "--quiet")
    assert rc == 0, err
    doc = json.loads((tmp_path / "a.geojson").read_text())
    assert doc["features"][0]["properties"]["utc"][0] == "2026-01-01T00:00:00Z"


if __name__ == "__main__":  # regenerate the reference rendering
    import sys

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.image as mpimg

    from bmdcheck.report import load_results, plot_map

    img = _small(plot_map(load_results(sys.argv[1])))
    mpimg.imsave(REF, np.dstack([img] * 3))
    print(REF, img.shape)


def test_every_reason_code_has_words():
    from bmdcheck.defence.engagement import REASONS, TIMELINE_REASONS
    from bmdcheck.report.data import REASON_TEXT

    codes = set(REASONS.values()) | set(TIMELINE_REASONS.values()) | {"threat_not_flown"}
    assert codes <= set(REASON_TEXT)


def test_facade_figures_show_the_engagement(results_dir):
    """bc.plot_engagement draws the recomputed engagement: the window span, the interceptor ending at
    the intercept point, the launch at the intercept time minus the fly-out time."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    import bmdcheck as bc
    from bmdcheck.report.data import load_results, pair_detail

    rs = load_results(results_dir)
    d = pair_detail(rs, "0:test-gbi")
    fig = bc.plot_engagement(results_dir, "0:test-gbi")
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    a_time = fig.axes[1]
    lines = {ln.get_label(): ln for ln in a_time.get_lines()}
    t, h = lines["interceptor"].get_data()
    rec = d.record
    assert abs(t[-1] - rec["first_s"]) < 1e-6 and abs(h[-1] - rec["intercept_first"]["alt_km"]) < 0.1
    assert abs(t[0] - (rec["first_s"] - d.interceptor.properties["flight_time_s"])) < 1e-6
    spans = [p for p in a_time.patches if p.get_label() == "intercept window"]
    x0, w = spans[0].get_x(), spans[0].get_width()  # a Rectangle in data x (axvspan)
    assert abs(x0 - rec["first_s"]) < 1e-6 and abs(x0 + w - rec["last_s"]) < 1e-6
    assert isinstance(bc.plot_map(rs), Figure)


def test_guarantees_can_be_given_late(results_dir, tmp_path):
    """``guarantees`` as a function (``make demo`` checks them while the figures are drawn): called
    once, after the figures, and the page is the one the same reports given up front make."""
    import bmdcheck as bc
    from bmdcheck.report import write_report

    rep = bc.verify(str(Path(__file__).parent / "data" / "report-test.toml"), "speed-caps")
    calls = []

    def late():
        calls.append(len(list((tmp_path / "late").parent.glob(".late.tmp*/map.png"))))  # figures already drawn
        return [("late check", rep)]

    a = write_report(results_dir, None, tmp_path / "late", guarantees=late, max_pairs=1)
    b = write_report(results_dir, None, tmp_path / "given", guarantees=[("late check", rep)], max_pairs=1)
    assert calls == [1]
    ta, tb = a.read_text(encoding="utf-8"), b.read_text(encoding="utf-8")
    assert ta == tb and "late check" in ta and all(r.id in ta for r in bc.load_rules("speed-caps").rule)
