"""Exports for other tools: CZML (Cesium), KML (Google Earth), GeoJSON (QGIS, GeoPandas).

    >>> import tempfile
    >>> from pathlib import Path
    >>> import bmdcheck as bc
    >>> t = bc.fly("topol-m", (54.04, 35.77), (38.90, -77.04), sample_interval_s=10)
    >>> out = Path(tempfile.mkdtemp()) / "flight.geojson"
    >>> [p.name for p in bc.write_scene(bc.scene_from_trajectory(t), geojson=out, epoch="2026-01-01T00:00:00Z")]
    ['flight.geojson']

A results folder (``bmdcheck assess``) exports with ``export_results(DIR, czml=..., kml=...,
geojson=...)``.

Formats and fields: docs/REPORTS.md.
"""

from __future__ import annotations

from .czml import to_czml, write_czml
from .geojson import split_antimeridian, to_geojson, write_geojson
from .kml import to_kml, write_kml
from .model import (Scene, parse_epoch, scene_from_engagement, scene_from_engagement_result, scene_from_results,
                    scene_from_trajectory)

WRITERS = {"czml": write_czml, "kml": write_kml, "geojson": write_geojson}


def write_scene(scene: Scene, *, czml=None, kml=None, geojson=None, epoch=None) -> list:
    """Write a scene in each format given a path; returns the paths written. ``epoch``: a datetime
    or ISO 8601 text (UTC) for t = 0 of the scenario clock (default: now)."""
    from datetime import datetime

    ep = epoch if isinstance(epoch, datetime) else parse_epoch(epoch)
    out = []
    for fmt, path in (("czml", czml), ("kml", kml), ("geojson", geojson)):
        if path is not None:
            out.append(WRITERS[fmt](scene, path, ep))
    return out


def export_results(results_dir, *, czml=None, kml=None, geojson=None, epoch=None, interceptor_paths: int = 10,
                   progress=None) -> list:
    """Export a results directory (``bmdcheck assess``) to CZML / KML / GeoJSON files."""
    from ..report.data import load_results

    rs = load_results(results_dir)
    if epoch is None:
        epoch = getattr(rs.scenario, "epoch", None)  # a scenario epoch when the format has one; else now
    return write_scene(scene_from_results(rs, interceptor_paths=interceptor_paths, progress=progress), czml=czml,
                       kml=kml, geojson=geojson, epoch=epoch)


__all__ = ["Scene", "export_results", "parse_epoch", "scene_from_engagement", "scene_from_results",
           "scene_from_trajectory", "split_antimeridian", "to_czml", "to_geojson", "to_kml", "write_czml",
           "write_geojson", "write_kml", "write_scene"]
