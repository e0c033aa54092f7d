"""The results folder of an assessment: its layout, durable writes, the atomic switch, one reader.

Layout of ``RESULTS_DIR`` (docs/CONVENTIONS.md, "Results folder")::

    results.parquet     the rows: the only file whose name does not start with "_", so
                        ``pandas.read_parquet(RESULTS_DIR)`` and Arrow datasets read exactly it
    _summary.parquet    the aggregated summary (fixed schema: empty columns keep their types)
    _provenance.json    hashes, code version, draws, rows, results hash
    _SUCCESS            written last: the three files above are one finished set
    _manifest.json      the work plan of the run in progress (scenario hash, chunking, draws)
    _parts/             one Parquet part per chunk (resume after an interruption)
    _staging/           the next finished set while it is being written
    _lock               held (flock) by the run writing into the folder

Arrow's dataset discovery skips names starting with "_" or ".", which is why everything but the
rows is named so. A finished set is written to ``_staging/`` (each file fsync'd), then ``_SUCCESS``
is removed, the three files are renamed into place and ``_SUCCESS`` is written again: a process
killed at any point leaves either the previous finished set or no ``_SUCCESS`` (and
:func:`read_results` refuses the folder until a run finishes), never a set that disagrees with
itself. ``results.parquet`` carries its scenario, hashes and units in its own metadata.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from ..durable import fsync_dir
from ..errors import BmdcheckError

FORMAT = "bmdcheck-results/1"
RESULTS = "results.parquet"
SUMMARY = "_summary.parquet"
PROVENANCE = "_provenance.json"
SUCCESS = "_SUCCESS"
MANIFEST = "_manifest.json"
PARTS = "_parts"
STAGING = "_staging"
LOCK = "_lock"
LEGACY = ("manifest.json", "provenance.json", "summary.parquet", "parts")
"""Files of the layout before bmdcheck-results/1 (they broke ``pandas.read_parquet(dir)``)."""

UNITS = {"case_id": None, "draw": None, "scenario": None, "missile": None, "shape": None, "launch_area": None,
         "aim_area": None, "launch_lat": "deg", "launch_lon": "deg", "aim_lat": "deg", "aim_lon": "deg",
         "intercept_lat": "deg", "intercept_lon": "deg", "threat_ok": None, "threat_error": None, "site": None,
         "interceptor": None, "inventory": "rounds", "feasible": None, "reason": None, "shots": "count",
         "burnout_speed_scale": "1", "detection_range_scale": "1", "tier": None, "sensor": None}
_SUFFIX_UNITS = (("_mps", "m/s"), ("_km", "km"), ("_s", "s"), ("_deg", "deg"), ("_m", "m"))


def unit_of(column: str) -> str | None:
    """The unit of a results column ("km", "s", "m/s", "deg", "1" dimensionless; None: no unit).

    Named columns first (:data:`UNITS`), else the name's unit suffix (``_km``, ``_s``, ``_mps``, ...).
    Latitudes and longitudes are geodetic WGS84 degrees, longitudes east-positive.
    """
    if column in UNITS:
        return UNITS[column]
    for suf, unit in _SUFFIX_UNITS:
        if column.endswith(suf):
            return unit
    return None


SUMMARY_COLUMNS = [
    ("launch_area", "string"), ("aim_area", "string"), ("missile", "string"), ("tier", "string"), ("trajectories", "int32"),
    ("flown", "int32"), ("fraction_engageable", "float64"), ("sites", "string"), ("earliest_intercept_s", "float64"),
    ("max_shots", "int32"), ("probability", "float64"), ("ci95_low", "float64"), ("ci95_high", "float64"),
]
"""Summary columns: ``sites`` is null when no site engages; ``probability`` and ``ci95_*`` null with one draw."""


def _pa_types():
    import pyarrow as pa

    return {"int32": pa.int32(), "string": pa.string(), "float64": pa.float64(), "bool": pa.bool_()}


def summary_table(rows: list[dict]):
    """The summary rows as an Arrow table with the fixed :data:`SUMMARY_COLUMNS` schema."""
    import pyarrow as pa

    t = _pa_types()
    sch = pa.schema([pa.field(n, t[ty], metadata={"unit": u} if (u := unit_of(n)) else None)
                     for n, ty in SUMMARY_COLUMNS])
    return pa.Table.from_arrays([pa.array([r.get(n) for r in rows], type=f.type) for n, f in
                                 zip([n for n, _ in SUMMARY_COLUMNS], sch)], schema=sch)


def with_metadata(table, meta: dict):
    """``table`` with per-column ``unit`` metadata and the bmdcheck metadata (also as pandas ``attrs``)."""
    import pyarrow as pa

    fields = [f.with_metadata({"unit": u}) if (u := unit_of(f.name)) else f for f in table.schema]
    units = {f.name: unit_of(f.name) for f in table.schema}
    doc = {"format": FORMAT, **meta, "units": units}
    sch = pa.schema(fields, metadata={b"bmdcheck": json.dumps(doc, sort_keys=True).encode(),
                                      b"PANDAS_ATTRS": json.dumps(doc, sort_keys=True).encode()})
    return table.cast(sch)


# ---- durable writes ------------------------------------------------------------------------------


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_parquet(table, path: Path) -> None:
    """Write ``table`` to ``path`` durably: temporary file, fsync, rename, fsync of the folder."""
    import pyarrow.parquet as pq

    path = Path(path)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    try:
        pq.write_table(table, tmp, compression="zstd")
        _fsync_file(tmp)
        os.replace(tmp, path)
        fsync_dir(path.parent)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` durably (temporary file, fsync, rename, fsync of the folder)."""
    path = Path(path)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        fsync_dir(path.parent)
    finally:
        if tmp.exists():
            tmp.unlink()


def part_ok(path: Path, n_rows: int, schema) -> bool:
    """True when ``path`` is a complete part file with ``n_rows`` rows of ``schema`` (else: recompute it)."""
    import pyarrow.parquet as pq

    try:
        md = pq.read_metadata(path)
        return md.num_rows == n_rows and md.schema.to_arrow_schema().remove_metadata().equals(schema)
    except Exception:  # noqa: BLE001  (zero-length, truncated or foreign file: not a part we can use)
        return False


def publish(out: Path, table, summary, provenance: dict) -> None:
    """Make ``table``, ``summary`` and ``provenance`` the finished set of ``out``, atomically.

    Written to ``_staging/`` first (each file fsync'd); then ``_SUCCESS`` is removed, the files are
    renamed into place and ``_SUCCESS`` is written last, naming the results hash.
    """
    out = Path(out)
    stage = out / STAGING
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir()
    write_parquet(table, stage / RESULTS)
    write_parquet(summary, stage / SUMMARY)
    write_text(stage / PROVENANCE, json.dumps(provenance, indent=2))
    done = out / SUCCESS
    if done.exists():
        done.unlink()
        fsync_dir(out)
    for name in (PROVENANCE, SUMMARY, RESULTS):
        os.replace(stage / name, out / name)
    fsync_dir(out)
    write_text(done, json.dumps({"format": FORMAT, "results_hash": provenance["results_hash"],
                                 "rows": provenance["rows"]}, indent=2))
    stage.rmdir()
    remove_legacy(out)


def is_results_folder(out: Path) -> bool:
    """True when ``out`` holds (or held, or is writing) bmdcheck results of this or the earlier layout."""
    if any((out / n).exists() for n in (SUCCESS, MANIFEST, PARTS, STAGING, LOCK)):
        return True
    try:
        return "scenario_hash" in json.loads((out / "manifest.json").read_text())
    except (OSError, ValueError, TypeError):
        return False


def lock(out: Path) -> int | None:
    """Take the folder's writer lock (``_lock``, flock); a one-line BmdcheckError when another run holds it.

    Returns the file descriptor to close when done (None where flock is unavailable). The kernel
    releases the lock when the process ends, even by SIGKILL.
    """
    try:
        import fcntl
    except ImportError:  # not POSIX
        return None
    fd = os.open(out / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise BmdcheckError(f"{out}: another bmdcheck assess is writing into this folder; wait for it to "
                            f"finish or choose another folder", param="out_dir") from None
    return fd


def remove_stale(out: Path) -> None:
    """Remove what a killed run can leave: ``_staging/`` and temporary files (``NAME.tmpPID``) of ours."""
    shutil.rmtree(out / STAGING, ignore_errors=True)
    for d in (out, out / PARTS):
        if not d.is_dir():
            continue
        for t in d.iterdir():
            name, _, pid = t.name.partition(".tmp")
            if pid.isdigit() and (name in (RESULTS, SUMMARY, PROVENANCE, SUCCESS, MANIFEST) or name.startswith("part-")):
                try:
                    t.unlink()
                except OSError:
                    pass


def remove_legacy(out: Path) -> None:
    """Remove the files of the pre-bmdcheck-results/1 layout, if ``manifest.json`` says they are ours."""
    m = out / "manifest.json"
    try:
        ours = "scenario_hash" in json.loads(m.read_text())
    except (OSError, ValueError, TypeError):
        return
    if not ours:
        return
    for name in LEGACY:
        p = out / name
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        elif p.exists():
            p.unlink()
    fsync_dir(out)


# ---- the one reader --------------------------------------------------------------------------------

@dataclass
class AssessmentResult:
    """A finished results folder: provenance, summary rows and (read on first use) the result rows."""

    out_dir: Path
    provenance: dict
    summary: list  # rows of the aggregated summary (dicts with the SUMMARY_COLUMNS keys)
    _table: object = field(default=None, repr=False)

    @property
    def results_hash(self) -> str:
        return self.provenance["results_hash"]

    @property
    def table(self):
        """The result rows as an Arrow table (units in each field's metadata)."""
        if self._table is None:
            import pyarrow.parquet as pq

            self._table = pq.read_table(self.out_dir / RESULTS)
        return self._table

    def df(self):
        """The result rows as a pandas DataFrame (``df.attrs["units"]``: column -> unit)."""
        return self.table.to_pandas()

    def to_dataframe(self):
        """The result rows as a pandas DataFrame (as :meth:`df`; the name every result shares)."""
        return self.df()

    @property
    def units(self) -> dict:
        return {f.name: unit_of(f.name) for f in self.table.schema}


def read_results(out_dir) -> AssessmentResult:
    """Open a finished results folder (written by ``assess``); raise a one-line BmdcheckError otherwise.

    Checks that the folder holds a finished set (``_SUCCESS``) whose provenance, results metadata
    and marker name the same results hash and row count.
    """
    import pyarrow.parquet as pq

    out = Path(out_dir)
    if not out.is_dir():
        raise BmdcheckError(f"{out}: not a results folder (not a directory); expected the --out folder of "
                            f"`bmdcheck assess`")
    done = out / SUCCESS
    if not done.is_file():
        what = ("an unfinished or interrupted run; run `bmdcheck assess` into it again to finish it"
                if (out / MANIFEST).exists() or (out / RESULTS).exists()
                else "no finished results; expected the --out folder of `bmdcheck assess`")
        if any((out / n).exists() for n in LEGACY[:2]):
            what = "results of an older bmdcheck layout; run `bmdcheck assess` into it again"
        raise BmdcheckError(f"{out}: {what}")
    try:
        marker = json.loads(done.read_text(encoding="utf-8"))
        prov = json.loads((out / PROVENANCE).read_text(encoding="utf-8"))
        meta = pq.read_schema(out / RESULTS).metadata or {}
        rmeta = json.loads(meta.get(b"bmdcheck", b"{}"))
        rows = pq.read_metadata(out / RESULTS).num_rows
        summary = pq.read_table(out / SUMMARY).to_pylist()
    except (OSError, ValueError, TypeError) as e:
        raise BmdcheckError(f"{out}: corrupt results folder ({' '.join(str(e).split())[:200]})") from None
    except Exception as e:  # noqa: BLE001  (pyarrow's own errors on a damaged Parquet file)
        raise BmdcheckError(f"{out}: corrupt results folder ({type(e).__name__})") from None
    h = {marker.get("results_hash") if isinstance(marker, dict) else None,
         prov.get("results_hash") if isinstance(prov, dict) else None, rmeta.get("results_hash")}
    n = {marker.get("rows") if isinstance(marker, dict) else None,
         prov.get("rows") if isinstance(prov, dict) else None, rows}
    if len(h) != 1 or None in h or len(n) != 1:
        raise BmdcheckError(f"{out}: results, provenance and {SUCCESS} disagree (results hash or rows); "
                            f"run `bmdcheck assess` into it again")
    return AssessmentResult(out, prov, summary)
