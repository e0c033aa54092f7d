"""The one Typer app of the ``bmdcheck`` command line, its consoles and the shared parsing.

Command modules register on :data:`app`; they import the library only through the façade
(``bmdcheck.api``), never its internals (tests/test_architecture.py). Errors the library raises
name Python parameters (``launch``); :func:`flag_error` renames them to this command line's flags
(``--from``).
"""

from __future__ import annotations

import json
import os
import sys
from enum import Enum

import typer
from rich.console import Console

from ..errors import BmdcheckError, InputError, printable

CONTEXT = {"help_option_names": ["-h", "--help"]}


def _no_bool_metavar() -> None:
    """Help without ``<bool>`` after flags (``--json``, ``--help``): a flag takes no value.

    Typer 0.2x shows every option's type; for an on/off flag the type only misleads."""
    try:
        from typer.core import TyperOption
    except ImportError:  # pragma: no cover  (another typer layout: keep its help as it is)
        return
    shown = getattr(TyperOption, "display_type_rich", None)
    if shown is None or getattr(shown, "_bmdcheck", False):
        return

    def display_type_rich(self, ctx):
        return None if getattr(self, "is_flag", False) else shown(self, ctx)

    display_type_rich._bmdcheck = True
    TyperOption.display_type_rich = display_type_rich


_no_bool_metavar()
app = typer.Typer(add_completion=False, no_args_is_help=True, context_settings=CONTEXT,
                  help="Physics-based checks of what a missile defence can engage.")


def _width() -> int | None:
    """Terminal: its width. Piped or redirected: $COLUMNS if set, else wide enough that no line or
    table is cut or wrapped (tables still take only the width they need)."""
    if sys.stdout.isatty():
        return None
    cols = os.environ.get("COLUMNS", "")
    return int(cols) if cols.isdigit() and int(cols) > 0 else 1000


out = Console(width=_width())
err = Console(stderr=True)

JSON_HELP = "Print one JSON object instead of the table (fields: docs/CONVENTIONS.md)."

# parameter names of the library -> this command line's flags
FLAGS = {
    "launch": "--from", "aim": "--to", "site": "--site", "point": "--intercept", "threat_file": "--threat-file",
    "threat": "--threat-file", "missile": "--missile", "interceptor": "--interceptor",
    "burnout_speed_mps": "--burnout-speed", "burn_time_s": "--burn-time", "altitude_band_km": "--altitude-band",
    "min_closing_speed_mps": "--min-closing-speed", "max_flight_time_s": "--max-flight-time",
    "remote_radar": "--remote-radar", "early_warning": "--early-warning", "flyout": "--flyout", "dask": "--dask",
    "draws": "--draws", "chunk_cases": "--chunk", "out_dir": "--out", "rcs_model": "--rcs-model",
    "apogee_km": "--apogee-km", "range_km": "--range-km", "burnout_altitude_km": "--burnout-altitude-km",
    "flight_time_s": "--flight-time-s", "boost_time_s": "--boost-time-s", "azimuth_deg": "--azimuth",
    "ballistic_coefficient_kgm2": "--ballistic-coefficient", "aims": "--aim", "payload_kg": "--payload-kg",
    "out_path": "--out", "name": "--name", "epoch": "--epoch",
}


def flag_error(e: BmdcheckError, flags: dict | None = None) -> BmdcheckError:
    """The error with its parameter renamed to the flag that set it (unchanged if none matches)."""
    name = (flags or {}).get(e.param) or FLAGS.get(e.param) if e.param else None
    return e.renamed(name) if name else e


class Shape(str, Enum):
    min_energy = "min-energy"
    lofted = "lofted"
    depressed = "depressed"


class EarthShape(str, Enum):
    wgs84 = "wgs84"
    spherical = "spherical"


class Gravity(str, Enum):
    point = "point"
    j2 = "j2"


class Atmos(str, Enum):
    ussa76 = "ussa76"
    none = "none"


def parse_latlon(text: str, what: str, allow_alt: bool = False):
    """Parse 'LAT,LON' (or 'LAT,LON,ALT_KM') into floats, checked (bmdcheck.api.check_position)."""
    from .. import api

    parts = [p.strip() for p in str(text).split(",")]
    if len(parts) not in ((2, 3) if allow_alt else (2,)):
        raise InputError(f"must be LAT,LON{'[,ALT_KM]' if allow_alt else ''} in degrees, got {text!r}", param=what)
    try:
        vals = [float(p) for p in parts]
    except ValueError:
        raise InputError(f"must be numbers LAT,LON in degrees, got {text!r}", param=what) from None
    return api.check_position(vals, what, allow_alt=allow_alt)


def parse_aim(text: str) -> tuple[str, float, float]:
    """``NAME=LAT,LON`` (or ``LAT,LON``, named by its coordinates) -> (name, lat, lon)."""
    name, _, pos = str(text).rpartition("=")
    lat, lon = parse_latlon(pos, "--aim")
    return (name.strip() or pos.strip()), lat, lon


def safe(text) -> str:
    """Text from input files, safe to print with rich: no markup, no terminal control codes."""
    from rich.markup import escape

    return escape(printable(text))


def emit_json(doc) -> None:
    sys.stdout.write(json.dumps(doc, indent=2, allow_nan=False, default=float) + "\n")


def earth_model(earth: EarthShape, gravity: Gravity, rotation: bool, atmosphere: Atmos):
    from .. import api

    return api.EarthModel(earth.value, gravity.value, rotation, atmosphere.value)


def progress_bar():
    """The progress bar of long commands (on stderr)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=err, transient=False)


def check_export_paths(czml, kml, geojson, need_one: bool = True):
    """The export options given; one-line errors for none (when needed) or a missing directory."""
    from pathlib import Path

    given = [(f, p) for f, p in (("czml", czml), ("kml", kml), ("geojson", geojson)) if p is not None]
    if need_one and not given:
        raise BmdcheckError("give at least one of --czml FILE, --kml FILE, --geojson FILE")
    for f, p in given:
        q = Path(p)
        if q.is_dir():
            raise BmdcheckError(f"--{f} {p}: is a directory, give a file name")
        if not q.parent.is_dir():
            raise BmdcheckError(f"--{f} {p}: directory {q.parent} does not exist")
    return given
