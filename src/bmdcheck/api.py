"""The public API of bmdcheck, in one place (``import bmdcheck`` re-exports it).

Names that would shadow a subpackage of the same name are spelled out (``assess_scenario``, not
``assess``: ``bmdcheck.assess`` is the engine's package). Everything is imported on first use (PEP 562), so ``import bmdcheck`` loads no NumPy, Numba,
SciPy or PROJ until a name is used. Units: SI inside, the unit (and frame) in every name
(``r_eci_m``, ``alt_km``, ``burnout_speed_mps``); arrays are NumPy float64; positions are
``(lat, lon)`` geodetic degrees (WGS84). Bad input raises :class:`BmdcheckError` (one line; its
``param`` names the parameter at fault). docs/API.md is the ten-minute tour.

Flying (single and batch):
    fly(missile, launch, aim, shape) -> Trajectory (range_km, flight_time_s, apogee_km, samples)
    fly_burnout(speed_mps, fpa_deg, azimuth_deg, launch) -> Trajectory
    aim(missile, lat0, lon0, lat1, lon1, shape) -> steering arrays (N,)
    fly_batch(missile, lat_deg, lon_deg, azimuth_deg, kick_deg) -> FlightBatch (arrays (N,),
        ``status`` codes (N,) with the message table FLIGHT_STATUS, as python-sgp4 does)
Catalogues (a name or the object is accepted everywhere):
    get_missile, get_interceptor, get_site, get_radar, get_early_warning;
    missiles(), interceptors(), sites(), sensors()
Engagement:
    engage(missile, launch, aim, site=..., interceptor=..., mode=/tier=..., remote_radar=...)
        -> EngageResult (feasible, first_s, last_s, to_dataframe(), trajectory, record)
    engage_threats(threats, sites, interceptors, timeline) -> Engagement (every pair at once)
Scenarios, assessment (local or Dask), guarantees, ledger, reports:
    load_scenario, shipped_scenarios, assess_scenario(scenario, out_dir, dask=...) -> AssessmentResult,
    verify(scenario, rules) -> Report, ledger (the signed ledger package), write_report,
    export_results

    >>> import bmdcheck as bc
    >>> t = bc.fly("topol-m", (54.04, 35.77), (38.90, -77.04))
    >>> t.status, 7500 < t.range_km < 8000
    ('impact', True)
"""

from __future__ import annotations

from .errors import BmdcheckError, CatalogueError, FileFormatError, InputError, printable

# name -> (module, attribute); resolved on first use
_LAZY = {
    # flying
    "fly": (".flight.trajectory", "fly"),
    "fly_burnout": (".flight.trajectory", "fly_burnout"),
    "Trajectory": (".flight.trajectory", "Trajectory"),
    "Samples": (".flight.trajectory", "Samples"),
    "fly_batch": (".flight.batch", "fly_missile_batch"),
    "fly_missile_batch": (".flight.batch", "fly_missile_batch"),
    "fly_free_batch": (".flight.batch", "fly_free_batch"),
    "burnout_state_eci": (".flight.batch", "burnout_state_eci"),
    "iter_missile_summaries": (".flight.batch", "iter_missile_summaries"),
    "FlightBatch": (".flight.batch", "FlightBatch"),
    "FLIGHT_STATUS": (".flight.batch", "STATUS_TEXT"),
    "aim": (".flight.newton", "aim"),
    "aim_steering": (".flight.newton", "aim"),
    "solve_steering": (".flight.steering", "solve_steering"),
    "EarthModel": (".earth.model", "EarthModel"),
    "Missile": (".flight.missile", "Missile"),
    "Stage": (".flight.missile", "Stage"),
    "get_missile": (".flight.missile", "get_missile"),
    "load_missile_file": (".flight.missile", "load_missile_file"),
    "catalogue": (".flight.missile", "catalogue"),
    "missiles": (".flight.missile", "catalogue"),
    "max_range_km": (".flight.performance", "max_range_km"),
    # threats
    "Threats": (".defence.engagement", "Threats"),
    "read_threat_file": (".defence.threat_file", "read_threat_file"),
    "threats_of": (".defence.query", "threats_of"),
    # interceptors, sites, sensors
    "get_interceptor": (".defence.interceptor", "get_interceptor"),
    "interceptors": (".defence.interceptor", "interceptor_catalogue"),
    "get_site": (".defence.sites", "get_site"),
    "sites": (".defence.sites", "site_catalogue"),
    "get_radar": (".defence.sensors", "get_radar"),
    "get_early_warning": (".defence.sensors", "get_early_warning"),
    "sensors": (".defence.sensors", "sensor_catalogue"),
    "rcs_catalogue": (".defence.rcs", "catalogue_rcs"),
    "catalogue_rows": (".catalogues", "catalogue_rows"),
    # engagement and thresholds
    "engage": (".defence.query", "engage"),
    "EngageResult": (".defence.query", "EngageResult"),
    "site_spec": (".defence.query", "site_spec"),
    "interceptor_spec": (".defence.query", "interceptor_spec"),
    "timeline_spec": (".defence.query", "timeline_spec"),
    "describe_threshold": (".defence.query", "describe_threshold"),
    "FLYOUTS": (".defence.query", "FLYOUTS"),
    "engage_threats": (".defence.engage", "engage_threats"),
    "burnout_speed_threshold": (".defence.engage", "burnout_speed_threshold"),
    "SiteSpec": (".defence.engage", "SiteSpec"),
    "InterceptorSpec": (".defence.engage", "InterceptorSpec"),
    "TimelineSpec": (".defence.engage", "TimelineSpec"),
    "MODES": (".defence.engage", "MODES"),
    "TIERS": (".defence.engage", "TIERS"),
    # scenarios and assessment
    "load_scenario": (".scenario.load", "load_scenario"),
    "scenario_file": (".scenario.load", "scenario_file"),
    "shipped_scenarios": (".scenario.load", "shipped_scenarios"),
    "scenario_hash": (".scenario.load", "scenario_hash"),
    "plan_assessment": (".assess.engine", "plan"),
    "check_dask": (".assess.engine", "check_dask"),
    "check_latlon": (".validate", "check_latlon"),
    "check_position": (".validate", "check_position"),
    "read_results": (".assess.results", "read_results"),
    "AssessmentResult": (".assess.results", "AssessmentResult"),
    "engageability_table": (".assess.table", "engageability_table"),
    "compare_results": (".assess.table", "compare_results"),
    # guarantees
    "verify_files": (".guarantee", "check_files"),
    "load_rules": (".guarantee", "load_rules"),
    "shipped_rules": (".guarantee", "shipped_rules"),
    "verdict_table": (".guarantee", "verdict_table"),
    "counterexample_text": (".guarantee.table", "counterexample_text"),
    "run_guarantees": (".guarantee.demo", "run_guarantees"),
    "compute_guarantees": (".guarantee.demo", "compute_guarantees"),
    # reconstruction of observed tests
    "reconstruct_burnout": (".reconstruct.core", "reconstruct"),
    "reconstruct_intercept": (".reconstruct.intercept", "reconstruct_intercept"),
    "fit_missile": (".reconstruct.fit", "fit_and_write"),
    # reports and exports
    "write_report": (".report", "write_report"),
    "load_results": (".report", "load_results"),
    "plot_engagement": (".report", "plot_engagement"),
    "plot_map": (".report", "plot_map"),
    "check_report_dir": (".report.html", "check_out_dir"),
    "export_results": (".export", "export_results"),
    "write_scene": (".export", "write_scene"),
    "parse_epoch": (".export", "parse_epoch"),
    "scene_from_trajectory": (".export", "scene_from_trajectory"),
    "scene_from_results": (".export", "scene_from_results"),
    "scene_from_engagement": (".export", "scene_from_engagement_result"),
    # benchmarks
    "bench_flight": (".bench", "bench_flight"),
    "bench_steer": (".bench", "bench_steer"),
    "bench_engage": (".bench", "bench_engage"),
    "bench_assess": (".bench", "bench_assess"),
    "bench_stream": (".bench", "bench_stream"),
    "bench_table": (".bench", "markdown_table"),
    "machine_cpu_model": (".bench", "_cpu_model"),
    "machine_load_average": (".bench", "_load_average"),
    "machine_versions": (".bench", "_versions"),
    "machine_peak_rss_mb": (".bench", "_peak_rss_mb"),
    "machine_uptime": (".bench", "_uptime"),
    "cache_stats": (".diskcache", "STATS"),
    # work a second process does ahead of an assessment (the demo's helper)
    "compile_lockstep": (".assess.prefetch", "compile_lockstep"),
    "load_lockstep_after": (".assess.prefetch", "load_lockstep_after"),
    "load_flyout_after": (".assess.prefetch", "load_flyout_after"),
    "prefetch_tables": (".assess.prefetch", "prefetch_tables"),
    "cache_dir": (".diskcache", "cache_dir"),
    "write_text_durably": (".assess.results", "write_text"),
}

# whole subpackages with their own curated __all__ (the ledger's key, chain and proof tools)
_PACKAGES = {"ledger": ".ledger"}

__all__ = sorted(["BmdcheckError", "CatalogueError", "FileFormatError", "InputError", "printable", "assess_scenario",
                  "verify", "ledger_rerun_hook", *_LAZY, *_PACKAGES])


def assess_scenario(scenario, out_dir=None, *, dask: str | None = None, draws: int | None = None, chunk_cases: int = 16,
           progress=None):
    """Assess a scenario (a TOML file, a shipped name, or a plan of :func:`plan_assessment`) into
    the results folder ``out_dir`` (default ``results/<scenario name>``): Parquet rows, summary and
    provenance (docs/CONVENTIONS.md). ``dask``: a scheduler address, or ``"local:N"`` for a local
    cluster of N workers (None: in this process). ``progress(done, total)`` is called per chunk.
    Returns an :class:`AssessmentResult` (``.summary``, ``.to_dataframe()``, ``.provenance``).
    """
    from pathlib import Path

    from .assess.engine import Plan, assess as run, check_dask

    check_dask(dask)
    if not isinstance(scenario, Plan):
        from .scenario.load import scenario_file

        path = scenario_file(scenario)
        out_dir = out_dir if out_dir is not None else Path("results") / path.stem
        scenario = str(path)
    return run(scenario, out_dir, dask=dask, draws=draws, chunk_cases=chunk_cases, progress=progress)


def verify(scenario, rules, *, progress=None):
    """Check guarantee rules against a scenario (files or shipped names): a ``Report`` with
    ``verdict`` ("PASS"/"FAIL"), per-rule ``verdicts`` with evidence, and ``results_hash``
    (docs/GUARANTEES.md)."""
    from .guarantee import check_files

    return check_files(scenario, rules, progress=progress)


def ledger_rerun_hook():
    """The hook ``(document, rules_path) -> (verdict, results_hash)`` that re-runs recorded
    verdicts: ``bmdcheck.ledger.rerun_hook`` if set, else the rules engine's, else None (the rules
    engine is not installed)."""
    from . import ledger

    if ledger.rerun_hook is not None:
        return ledger.rerun_hook
    import importlib

    try:  # through sys.modules: an environment without the rules engine (or a test hiding it) gets None
        return importlib.import_module(".guarantee", __package__).rerun_hook
    except ImportError:
        return None


def __getattr__(name: str):
    import importlib

    if name in _PACKAGES:
        value = importlib.import_module(_PACKAGES[name], __package__)
    elif name in _LAZY:
        mod, attr = _LAZY[name]
        value = getattr(importlib.import_module(mod, __package__), attr)
    else:
        raise AttributeError(f"module 'bmdcheck.api' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
