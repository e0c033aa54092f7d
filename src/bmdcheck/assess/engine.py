"""Batch assessment: a scenario expanded into threat trajectories × sites (× Monte-Carlo draws).

The work is cut into chunks of threat cases. Each chunk is self-contained — it re-expands the
scenario from its canonical JSON, solves the steering and flies its trajectories with the flight
core, and computes every engagement window with the engagement kernels — so the same chunk gives
the same rows in this process, in a local process pool or on any Dask worker. Rows are written
as Parquet part files (temporary file, then rename), so an interrupted run leaves only complete
parts and can be resumed; the results hash is over the rows, canonicalised and rounded, so it is
identical on any machine.

No physics lives here: flights come from ``bmdcheck.flight``, windows from ``bmdcheck.defence``.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import BmdcheckError, InputError
from . import results as R
from .results import AssessmentResult, read_results  # noqa: F401  (re-exported)

COLUMNS = [
    ("scenario", "string"),
    ("case_id", "int32"), ("draw", "int32"), ("missile", "string"), ("shape", "string"),
    ("launch_area", "string"), ("aim_area", "string"), ("launch_lat", "float64"), ("launch_lon", "float64"),
    ("aim_lat", "float64"), ("aim_lon", "float64"), ("launch_time_s", "float64"), ("threat_ok", "bool"),
    ("threat_error", "string"), ("range_km", "float64"), ("flight_time_s", "float64"), ("apogee_km", "float64"),
    ("site", "string"), ("interceptor", "string"), ("inventory", "int32"), ("feasible", "bool"),
    ("reason", "string"), ("first_s", "float64"), ("last_s", "float64"), ("flight_time_first_s", "float64"),
    ("closing_first_mps", "float64"), ("shots", "int32"), ("intercept_lat", "float64"),
    ("intercept_lon", "float64"), ("intercept_alt_km", "float64"), ("t_launch_s", "float64"),
    ("burnout_speed_scale", "float64"), ("decision_delay_s", "float64"), ("detection_range_scale", "float64"),
    ("tier", "string"), ("sensor", "string"), ("latest_launch_s", "float64"), ("launch_slack_s", "float64"),
]
_ROUND = {"launch_lat": 6, "launch_lon": 6, "aim_lat": 6, "aim_lon": 6, "launch_time_s": 3, "range_km": 3,
          "flight_time_s": 3, "apogee_km": 3, "first_s": 3, "last_s": 3, "flight_time_first_s": 3,
          "closing_first_mps": 2, "intercept_lat": 5, "intercept_lon": 5, "intercept_alt_km": 3, "t_launch_s": 3,
          "burnout_speed_scale": 9, "decision_delay_s": 6, "detection_range_scale": 9,
          "latest_launch_s": 3, "launch_slack_s": 3}


def _schema():
    import pyarrow as pa

    types = {"int32": pa.int32(), "string": pa.string(), "float64": pa.float64(), "bool": pa.bool_()}
    return pa.schema([(n, types[t]) for n, t in COLUMNS])


@dataclass(frozen=True)
class Chunk:
    """A unit of work: threat-case indices × draw indices of one scenario (by canonical JSON)."""

    index: int
    cases: tuple
    draws: tuple


def _scenario_from_json(text: str):
    from ..scenario.schema import Scenario

    return Scenario.model_validate_json(text)


def _radar_scaled(radar, scale):
    if radar is None or scale == 1.0:
        return radar
    return replace(radar, range_km=radar.range_km * scale)


def _scaled(it, k: float):
    """The interceptor with its burnout speed scaled by k (staged boosters are kept at k = 1)."""
    if k == 1.0 or not it.burnout_speed_mps:
        return it
    return it.with_burnout_speed(round(it.burnout_speed_mps * k, 3))


def _fly_cases(case_ids, sel) -> dict:
    """Fly a chunk's threats: one steering solve and one sampled batch flight per (missile, shape).

    Returns case id -> ((batch, row, range_km, flight_time_s, apogee_km), None), or (None, error).
    """
    from ..flight.missile import get_missile
    from ..flight.newton import aim as aim_steering

    flown = {}
    groups: dict = {}
    for ci, c in zip(case_ids, sel):
        groups.setdefault((c.missile, c.shape), []).append((ci, c))
    for (mname, shape), items in groups.items():
        m = get_missile(mname)
        la = np.array([c.launch_lat for _, c in items])
        lo = np.array([c.launch_lon for _, c in items])
        ta = np.array([c.aim_lat for _, c in items])
        to = np.array([c.aim_lon for _, c in items])
        # Newton fast path, reference solver as fallback; the solved rows come with their verifying
        # flights (1 s samples, rtol 1e-10): the same flights as flying the steering again
        st = aim_steering(m, la, lo, ta, to, shape, sample_interval_s=1.0)
        ok = np.nonzero(st.ok)[0]
        for k, (ci, _) in enumerate(items):
            if not st.ok[k]:
                flown[ci] = (None, st.error[k])
        if ok.size:
            b = st.flights
            rng = b.range_m() / 1e3
            apo = b.apogee_alt_m() / 1e3
            for j, k in enumerate(ok):
                flown[items[k][0]] = ((b, j, float(rng[j]), float(b.impact_time_s[j]), float(apo[j])), None)
    return flown


def _chunk_threats(parts):
    """One Threats object for the flown cases' (batch, row, ...) parts, padded to a common sample count."""
    from ..defence.engagement import Threats
    from ..flight.batch import pad_rows

    rows = [(b.t_s[j, :k], b.r_eci_m[j, :k], b.v_eci_mps[j, :k])
            for b, j, *_rest in parts for k in (int(b.n_samples[j]),)]
    t, r, v, ns = pad_rows(rows, width=max(p[0].t_s.shape[1] for p in parts))
    tbo = np.array([float(b.burnout_time_s[j]) for b, j, *_rest in parts])
    return Threats(t, r, v, ns, parts[0][0].earth, burnout_s=tbo)


def _case_columns(s, cases, case_ids, flown) -> dict:
    """The per-case result columns of a chunk (scenario, case, threat and its flight)."""
    sel = [cases[ci] for ci in case_ids]
    flight = [flown[ci][0] for ci in case_ids]
    return {
        "scenario": [s.name] * len(case_ids), "case_id": np.array(case_ids, dtype=np.int32),
        "missile": [c.missile for c in sel], "shape": [c.shape for c in sel],
        "launch_area": [c.launch_area for c in sel], "aim_area": [c.aim_area for c in sel],
        "launch_lat": np.array([c.launch_lat for c in sel]), "launch_lon": np.array([c.launch_lon for c in sel]),
        "aim_lat": np.array([c.aim_lat for c in sel]), "aim_lon": np.array([c.aim_lon for c in sel]),
        "launch_time_s": np.array([c.launch_time_s for c in sel], dtype=float),
        "threat_ok": np.array([f is not None for f in flight]),
        "threat_error": [flown[ci][1] or "" for ci in case_ids],
        "range_km": np.array([f[2] if f else math.nan for f in flight]),
        "flight_time_s": np.array([f[3] if f else math.nan for f in flight]),
        "apogee_km": np.array([f[4] if f else math.nan for f in flight]),
    }


def run_chunk(scenario_json: str, chunk: Chunk) -> dict:
    """Compute all result rows of one chunk; returns a dict of column -> list (picklable).

    Deterministic: depends only on the scenario JSON and the chunk's indices.
    """
    from ..defence import coverage
    from ..defence.engage import engage_threats, reuse_setup
    from ..defence.flyout import nearest_by_lat, threats_beyond
    from ..scenario import expand

    s = _scenario_from_json(scenario_json)
    cases = expand.threat_cases(s)
    defence = expand.defence_specs(s)
    tiers = expand.tiers(s)
    tl0s = {t: expand.timeline_spec(s, t) for t in tiers}
    all_draws = expand.draws(s)
    flown = _fly_cases(chunk.cases, [cases[i] for i in chunk.cases])
    good = [ci for ci in chunk.cases if flown[ci][0] is not None]
    threats = _chunk_threats([flown[ci][0] for ci in good]) if good else None
    nc = len(chunk.cases)
    ns_ = len(defence)
    per_case = _case_columns(s, cases, chunk.cases, flown)
    # row order within a draw: site-major, then case (matches engage_threats' pair order)
    good_pos = np.full(nc, -1)
    for q, ci in enumerate(good):
        good_pos[chunk.cases.index(ci)] = q
    out_cols = {n: [] for n, _ in COLUMNS}
    # each radar's geometry, the threats' geometry and each draw's table records once, for every draw and
    # tier (coverage.memo, engage.reuse_setup); no sector fans for an interceptor at a site no threat of
    # the chunk comes within reach of (flyout.threats_beyond)
    with coverage.memo(), reuse_setup(), threats_beyond(nearest_by_lat(threats, [sp for sp, _, _ in defence])):
        for d in chunk.draws:
            dr = all_draws[d]
            sites = [replace(sp, radar=_radar_scaled(sp.radar, dr["detection_range_scale"])) for sp, _, _ in defence]
            its = [_scaled(it, float(dr["burnout_speed_scale"])) for _, it, _ in defence]
            for tier in tiers:
                tl0 = tl0s[tier]
                tl = replace(tl0, decision_delay_s=float(dr["decision_delay_s"]),
                             remote_radar=_radar_scaled(tl0.remote_radar, dr["detection_range_scale"]),
                             remote_radars=tuple(_radar_scaled(x, dr["detection_range_scale"])
                                                 for x in tl0.remote_radars))
                res = engage_threats(threats, sites, its, tl) if threats is not None and sites else None
                col = _tier_rows(res, d, dr, tier, per_case, defence, good, good_pos, nc, ns_)
                for k in out_cols:
                    out_cols[k].append(col[k])
    return {k: np.concatenate(v) for k, v in out_cols.items()}


def _tier_rows(res, d, dr, tier, per_case, defence, good, good_pos, nc, ns_) -> dict:
    """The rows of one (draw, tier): site-major, then case (matches engage_threats' pair order)."""
    n_rows = nc * ns_
    col = {}
    for k, v in per_case.items():
        col[k] = np.tile(np.asarray(v, dtype=object if isinstance(v, list) else None), ns_)
    col["draw"] = np.full(n_rows, d, dtype=np.int32)
    col["tier"] = np.full(n_rows, tier, dtype=object)
    col["site"] = np.repeat(np.array([sp.name for sp, _, _ in defence], dtype=object), nc)
    col["interceptor"] = np.repeat(np.array([it.name for _, it, _ in defence], dtype=object), nc)
    col["inventory"] = np.repeat(np.array([inv for _, _, inv in defence], dtype=np.int32), nc)
    for k in ("burnout_speed_scale", "decision_delay_s", "detection_range_scale"):
        col[k] = np.full(n_rows, float(dr[k]))
    feas = np.zeros(n_rows, dtype=bool)
    reason = np.full(n_rows, "threat_not_flown", dtype=object)
    sensor = np.full(n_rows, "", dtype=object)
    fnum = {k: np.full(n_rows, math.nan) for k in ("first_s", "last_s", "flight_time_first_s", "closing_first_mps",
                                                   "intercept_lat", "intercept_lon", "intercept_alt_km", "t_launch_s",
                                                   "latest_launch_s", "launch_slack_s")}
    shots = np.zeros(n_rows, dtype=np.int32)
    if res is not None:
        ng = len(good)
        rows_idx = np.array([k * nc + j for k in range(ns_) for j in range(nc) if good_pos[j] >= 0], dtype=np.int64)
        pidx = np.array([k * ng + good_pos[j] for k in range(ns_) for j in range(nc) if good_pos[j] >= 0],
                        dtype=np.int64)
        w = res.windows
        feas[rows_idx] = w.feasible[pidx]
        reason[rows_idx] = np.array(w.reason, dtype=object)[pidx]
        if res.sensor is not None:
            sensor[rows_idx] = np.array(res.sensor, dtype=object)[pidx]
        for k, arr in (("first_s", w.first_s), ("last_s", w.last_s), ("flight_time_first_s", w.tof_first_s),
                       ("closing_first_mps", w.closing_first_mps), ("intercept_lat", w.point_first[:, 0]),
                       ("intercept_lon", w.point_first[:, 1]), ("intercept_alt_km", w.point_first[:, 2]),
                       ("t_launch_s", res.t_launch_s), ("latest_launch_s", w.latest_launch_s),
                       ("launch_slack_s", w.latest_launch_s - res.t_launch_s)):
            fnum[k][rows_idx] = np.asarray(arr, dtype=float)[pidx]
        shots[rows_idx] = w.shots[pidx]
    col.update(fnum)
    col["feasible"] = feas
    col["reason"] = reason
    col["sensor"] = sensor
    col["shots"] = shots
    return col


def run_chunk_table(scenario_json: str, chunk: Chunk):
    """run_chunk as an Arrow table (what workers return: columnar buffers pickle cheaply)."""
    return _rows_table(run_chunk(scenario_json, chunk))


def _rows_table(rows: dict):
    import pyarrow as pa

    sch = _schema()
    arrays = []
    for f in sch:
        v = rows[f.name]
        arrays.append(pa.array(v.tolist() if v.dtype == object else v, type=f.type))
    return pa.Table.from_arrays(arrays, schema=sch)


def results_hash(table) -> str:
    """SHA-256 of the rows in a canonical order and encoding, identical on any machine.

    Rows sorted by (case_id, draw, tier, site, interceptor); each column in schema order: floats rounded
    (decimals in _ROUND) and written as little-endian float64 (NaN canonicalised), integers and
    booleans as little-endian int64, strings joined by U+001F and UTF-8 encoded.
    """
    import pyarrow.compute as pc

    idx = pc.sort_indices(table, sort_keys=[("case_id", "ascending"), ("draw", "ascending"), ("tier", "ascending"),
                                            ("site", "ascending"), ("interceptor", "ascending")])
    t = table.take(idx)
    h = hashlib.sha256()
    for name, typ in COLUMNS:
        h.update(name.encode() + b"\0")
        a = t.column(name).to_numpy(zero_copy_only=False)
        if typ == "float64":
            x = np.round(a.astype("<f8"), _ROUND.get(name, 6)) + 0.0
            x[np.isnan(x)] = np.nan
            h.update(np.ascontiguousarray(x, dtype="<f8").tobytes())
        elif typ in ("int32", "bool"):
            h.update(np.ascontiguousarray(a.astype("<i8")).tobytes())
        else:
            h.update("\x1f".join(map(str, a.tolist())).encode("utf-8"))
    return h.hexdigest()


def catalogue_version() -> str:
    """SHA-256 over the shipped data files (missiles, interceptors, sites, sensors, timeline)."""
    from importlib import resources

    h = hashlib.sha256()
    root = resources.files("bmdcheck.data")
    for sub in ("missiles", "interceptors", "sites", "sensors"):
        for e in sorted(root.joinpath(sub).iterdir(), key=lambda e: e.name):
            if e.name.endswith(".toml"):
                h.update(e.name.encode() + b"\0" + e.read_bytes())
    h.update(root.joinpath("timeline.toml").read_bytes())
    h.update(b"rcs.toml\0" + root.joinpath("rcs.toml").read_bytes())
    return h.hexdigest()[:16]


def plan_chunks(n_cases: int, n_draws: int, chunk_cases: int) -> list[Chunk]:
    """Chunks of threat cases, each with every draw (a chunk's trajectories are flown once)."""
    draws = tuple(range(n_draws))
    return [Chunk(k, tuple(range(c0, min(n_cases, c0 + chunk_cases))), draws)
            for k, c0 in enumerate(range(0, n_cases, chunk_cases))]


def check_dask(dask: str | None) -> int | None:
    """Check a Dask spec without connecting: None (no Dask), a scheduler address, or ``local:N``
    (N >= 1 workers, returned). One-line InputError naming ``dask`` otherwise."""
    if dask is None or dask == "":
        return None
    if not isinstance(dask, str):
        raise InputError(f"expected a scheduler address or local:N, got {dask!r}", param="dask")
    if dask.startswith("local:"):
        if not dask[6:].isdigit():
            raise InputError(f"local:N needs a worker count, got {dask!r}", param="dask")
        if int(dask[6:]) < 1:
            raise InputError("local:N needs N >= 1", param="dask")
        return int(dask[6:])
    return None


def _client(dask: str | None):
    n = check_dask(dask)
    if not dask:
        return None, None
    from distributed import Client, LocalCluster

    if n is not None:
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                               env={"NUMBA_NUM_THREADS": "1"})
        return Client(cluster), cluster
    try:
        return Client(dask, timeout=10), None
    except Exception as e:  # noqa: BLE001
        raise BmdcheckError(f"cannot connect to the Dask scheduler at {dask}: {' '.join(str(e).split())}") from None


def _max_draws(s) -> int:
    f = type(s.uncertainty).model_fields["draws"]
    return next(int(m.le) for m in f.metadata if getattr(m, "le", None) is not None)


def _check_boosters(defence, all_draws) -> None:
    """Refuse (before any output) a draw that scales an interceptor beyond what a booster can fly."""
    from ..defence.flyout import booster_for

    k_max = max(float(d["burnout_speed_scale"]) for d in all_draws)
    seen = set()
    for _, it, _ in defence:
        if k_max == 1.0 or not it.burnout_speed_mps:
            continue
        v = round(it.burnout_speed_mps * k_max, 3)
        if (v, it.burn_time_s) not in seen:
            seen.add((v, it.burn_time_s))
            try:
                booster_for(v, float(it.burn_time_s))
            except BmdcheckError as e:
                raise BmdcheckError(f"uncertainty.burnout_speed_scale up to {k_max:g} makes {it.name} fly "
                                    f"{v:,.0f} m/s: {e}") from None


def _check_out(out: Path) -> None:
    """Refuse an --out that cannot be a results folder, before anything is written."""
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a directory; expected a results folder", param="out_dir")
    p = out
    while not p.exists():
        p = p.parent
    if not p.is_dir():
        raise InputError(f"{out}: {p} is not a directory", param="out_dir")
    if not os.access(p, os.W_OK | os.X_OK):
        raise InputError(f"{out}: {p} is not writable", param="out_dir")
    if out.is_dir() and not R.is_results_folder(out) and any(out.iterdir()):
        raise InputError(f"{out}: the folder is not empty and holds no bmdcheck results; choose a new or empty "
                         f"folder (nothing in it is overwritten)", param="out_dir")


def _oserror(out: Path, e: OSError) -> BmdcheckError:
    reason = e.strerror or type(e).__name__
    where = f" ({e.filename})" if getattr(e, "filename", None) else ""
    return BmdcheckError(f"{out}: cannot write the results: {reason}{where}", param="out_dir")


@dataclass(frozen=True)
class Plan:
    """A validated assessment, ready to run: nothing has been written yet."""

    scenario: object
    scenario_path: str
    scenario_json: str
    scenario_hash: str
    cases: list
    draws: int
    defence: list
    out: Path
    chunk_cases: int


def plan(scenario_path: str | Path, out_dir: str | Path, *, draws: int | None = None,
         chunk_cases: int = 16) -> Plan:
    """Validate a scenario, the draw count, the boosters its draws need and the results folder.

    Raises a one-line BmdcheckError on any problem; writes nothing.
    """
    from ..scenario import expand
    from ..scenario.load import canonical_json, load_scenario, scenario_hash

    s = load_scenario(scenario_path)
    if draws is not None:
        hi = _max_draws(s)
        if isinstance(draws, bool) or not isinstance(draws, int) or not 1 <= draws <= hi:
            raise InputError(f"must be a whole number from 1 to {hi:,}, got {draws!r}", param="draws")
        s = s.model_copy(update={"uncertainty": s.uncertainty.model_copy(update={"draws": draws})})
    if isinstance(chunk_cases, bool) or not isinstance(chunk_cases, int) or chunk_cases < 1:
        raise InputError(f"must be a whole number >= 1, got {chunk_cases!r}", param="chunk_cases")
    cases = expand.threat_cases(s)
    if not cases:
        raise BmdcheckError(f"{scenario_path}: the scenario has no threat cases")
    all_draws = expand.draws(s)
    defence = expand.defence_specs(s)
    _check_boosters(defence, all_draws)
    if out_dir is None:
        raise InputError("an output folder is required", param="out_dir")
    out = Path(out_dir)
    _check_out(out)
    return Plan(s, str(scenario_path), canonical_json(s), scenario_hash(s), cases, len(all_draws), defence, out,
                chunk_cases)


def assess(scenario_path: str | Path | Plan, out_dir: str | Path | None = None, *, dask: str | None = None,
           draws: int | None = None, chunk_cases: int = 16, progress: Callable[[int, int], None] | None = None,
           resume: bool = True) -> AssessmentResult:
    """Assess a scenario file (or a :class:`Plan`) into the results folder ``out_dir`` (layout: :mod:`.results`).

    Everything is validated (scenario, draws, boosters, the folder, the Dask scheduler) before
    anything is written. Chunks already in ``_parts/`` from an interrupted run of the same plan are
    reused when they verify; the finished set appears atomically (:func:`.results.publish`). On an
    error (exit 2 in the CLI) what this run created is removed and the previous finished set, if
    any, is left as it was.
    """
    from ..version import __version__

    p = scenario_path if isinstance(scenario_path, Plan) else plan(scenario_path, out_dir, draws=draws,
                                                                    chunk_cases=chunk_cases)
    out = p.out
    client, cluster = _client(dask)
    parts_dir = out / R.PARTS
    created = [q for q in (out, parts_dir, out / R.MANIFEST, out / R.LOCK) if not q.exists()]
    lock = None
    try:
        try:
            out.mkdir(parents=True, exist_ok=True)
            lock = R.lock(out)  # one writer per folder: a second run is refused, not interleaved
            parts_dir.mkdir(exist_ok=True)
            res = _run(p, parts_dir, client, progress=progress, resume=resume, dask=bool(dask), version=__version__)
        except OSError as e:
            raise _oserror(out, e) from None
    except (BmdcheckError, MemoryError):
        if lock is not None or out in created:  # never touch a folder another run holds
            _rollback(out, created)
        raise
    finally:
        if lock is not None:
            os.close(lock)
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    return res


def _rollback(out: Path, created: list) -> None:
    """Remove what a failed run created (tmp files, staging, and folders/files that were not there)."""
    import shutil

    if out in created:
        shutil.rmtree(out, ignore_errors=True)
        return
    for p in created:
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        elif p.exists():
            p.unlink()
    R.remove_stale(out)


def _part(parts_dir: Path, c: Chunk) -> Path:
    return parts_dir / f"part-{c.index:05d}.parquet"


def _chunks_to_run(p: Plan, parts_dir: Path, resume: bool, sch) -> tuple[list, list]:
    """All chunks, and those still to compute: finished parts are kept when resuming the same
    scenario, chunking, draws and catalogue (the manifest); zero-length, truncated or stale parts
    are recomputed."""
    from ..scenario import expand as _expand

    out = p.out
    R.remove_stale(out)
    manifest = out / R.MANIFEST
    key = {"scenario_hash": p.scenario_hash, "chunk_cases": p.chunk_cases, "draws": p.draws,
           "catalogue": catalogue_version(), "format": R.FORMAT}
    try:
        old = json.loads(manifest.read_text()) if manifest.exists() else None
    except (OSError, ValueError):
        old = None
    if old != key or not resume:
        for q in parts_dir.glob("part-*.parquet"):
            q.unlink()
        R.fsync_dir(parts_dir)
    R.write_text(manifest, json.dumps(key, indent=2))
    chunks = plan_chunks(len(p.cases), p.draws, p.chunk_cases)
    n_rows_per = len(p.defence) * len(_expand.tiers(p.scenario))
    todo = []
    for c in chunks:
        q = _part(parts_dir, c)
        if q.exists() and not R.part_ok(q, len(c.cases) * len(c.draws) * n_rows_per, sch):
            q.unlink()  # zero-length, truncated or stale: recompute it
        if not q.exists():
            todo.append(c)
    return chunks, todo


def _compute_parts(sj: str, todo, parts_dir: Path, client, progress, done: int, total: int) -> None:
    """Compute the chunks still to do, locally or on the Dask client, each into its part file."""
    if client is None:
        for c in todo:
            R.write_parquet(run_chunk_table(sj, c), _part(parts_dir, c))
            done += 1
            if progress:
                progress(done, total)
        return
    from distributed import as_completed

    futs = {client.submit(run_chunk_table, sj, c, pure=False, retries=2): c for c in todo}
    for fut in as_completed(futs):
        R.write_parquet(fut.result(), _part(parts_dir, futs[fut]))
        done += 1
        if progress:
            progress(done, total)


def _run(p: Plan, parts_dir: Path, client, *, progress, resume: bool, dask: bool, version) -> AssessmentResult:
    import pyarrow as pa
    import pyarrow.parquet as pq

    s, out, nd = p.scenario, p.out, p.draws
    sch = _schema()
    chunks, todo = _chunks_to_run(p, parts_dir, resume, sch)
    done = len(chunks) - len(todo)
    if progress:
        progress(done, len(chunks))
    _compute_parts(p.scenario_json, todo, parts_dir, client, progress, done, len(chunks))
    table = pa.concat_tables([pq.read_table(_part(parts_dir, c), schema=sch) for c in chunks])
    rhash = results_hash(table)
    summary = summarise(table, nd)
    prov = {"format": R.FORMAT, "scenario": p.scenario_path, "scenario_name": s.name, "scenario_hash": p.scenario_hash,
            "catalogue_version": catalogue_version(), "code_version": version, "git_commit": _git_commit(),
            "seed": s.uncertainty.seed, "draws": nd, "threat_cases": len(p.cases), "sites": len(p.defence),
            "rows": table.num_rows, "results_hash": rhash, "dask": dask}
    table = R.with_metadata(table, {"scenario": s.name, "scenario_hash": p.scenario_hash, "results_hash": rhash,
                                    "catalogue_version": prov["catalogue_version"], "code_version": version})
    stable = R.summary_table(summary)
    R.publish(out, table, stable, prov)
    return AssessmentResult(out, prov, stable.to_pylist(), table)


def _git_commit() -> str | None:
    import subprocess

    try:
        here = Path(__file__).resolve().parent
        r = subprocess.run(["git", "-C", str(here), "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                           timeout=5)
        return r.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion k/n (Wilson 1927, JASA 22:209)."""
    if n == 0:
        return (math.nan, math.nan)
    p = k / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return (max(0.0, centre - half), min(1.0, centre + half))


def summarise(table, n_draws: int) -> list[dict]:
    """Per (launch area → aim area, missile, sensor tier): engageable fraction, by which sites, earliest
    intercept, shoot-look-shoot opportunities; with draws > 1, the probability over draws and its 95 % CI.
    Tiers in the order local, remote, cue."""
    import duckdb

    con = duckdb.connect()
    con.register("r", table)
    agg = con.execute("""
        with c as (
            select launch_area, aim_area, missile, tier, case_id, draw, bool_or(feasible) as engageable,
                   min(case when feasible then first_s end) as earliest_s,
                   sum(case when feasible then shots else 0 end) as shots, bool_or(threat_ok) as flown
            from r group by all)
        select launch_area, aim_area, missile, tier, count(distinct case_id) as trajectories,
               sum(case when draw = 0 and flown then 1 else 0 end) as flown,
               avg(case when draw = 0 and flown then engageable::int end) as fraction_engageable,
               sum(case when flown then engageable::int else 0 end) as k, sum(case when flown then 1 else 0 end) as n,
               min(case when draw = 0 then earliest_s end) as earliest_intercept_s,
               max(case when draw = 0 then shots end) as max_shots
        from c group by launch_area, aim_area, missile, tier
        order by launch_area, aim_area, missile, case tier when 'local' then 0 when 'remote' then 1 else 2 end
        """).fetchall()
    sites = con.execute("""
        select launch_area, aim_area, missile, tier, site, count(distinct case_id) as n
        from r where feasible and draw = 0 group by all order by n desc, site""").fetchall()
    by = {}
    for la, aa, mi, tier, site, n in sites:
        by.setdefault((la, aa, mi, tier), []).append(f"{site} ({n})")
    out = []
    for la, aa, mi, tier, ntraj, flown, frac, k, n, earliest, shots in agg:
        lo, hi = wilson(int(k or 0), int(n or 0))
        row = {"launch_area": la, "aim_area": aa, "missile": mi, "tier": tier, "trajectories": int(ntraj),
               "flown": int(flown or 0), "fraction_engageable": None if frac is None else float(frac),
               "sites": ", ".join(by.get((la, aa, mi, tier), [])) or None,
               "earliest_intercept_s": None if earliest is None else float(earliest),
               "max_shots": None if shots is None else int(shots)}
        if n_draws > 1:
            row.update(probability=(k / n) if n else None, ci95_low=lo, ci95_high=hi)
        else:
            row.update(probability=None, ci95_low=None, ci95_high=None)
        out.append(row)
    return out
