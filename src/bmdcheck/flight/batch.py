"""Batched flights: arrays in, arrays out, one compiled kernel call per batch.

``fly_missile_batch`` flies N launches of one missile with given steering; ``fly_free_batch``
flies N free bodies from given ECI states. Both return a :class:`FlightBatch` of float64 arrays
(shapes in the attribute docs). ``iter_missile_summaries`` streams very large batches in chunks so
that memory stays bounded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np

from ..earth.atmosphere import air_table
from ..earth.frames import (earth_relative_velocity, ecef_to_geodetic, eci_to_ecef, geodesic_inverse,
                            geodetic_to_ecef, local_angles)
from ..earth.model import EarthModel
from ..errors import BmdcheckError, InputError
from . import kernel as K
from .missile import Missile

DEFAULT_RTOL = 1e-9
"""Default step-control tolerance: impact points within 100 m of the converged solution on the
step-control row's 400 ICBM flights, up to 164 m on depressed kicks of 80° and more (docs/VALIDATION.md,
step-control and ``bench flight`` rows); aimed flights are verified at rtol 1e-10."""
DEFAULT_T_MAX_S = 10_800.0
DT_MAX_S = 120.0
SAMPLE_GUESS_S = 2_400.0
"""Sample buffers first hold this much flight time per row (an ICBM's minimum-energy flight is
about 1,800–2,000 s); longer rows are flown again with buffers sized to them."""
MAX_SAMPLES_PER_TRAJECTORY = 2_000_000
"""At most this many samples per trajectory (~110 MB each), whatever the time limit."""


MAX_KICK_DEG = 90.0
"""Largest pitch kick accepted, degrees from the vertical (90: thrust along the horizontal)."""
STATUS_TEXT = K.STATUS_TEXT
"""Flight status code -> message (``FlightBatch.status``)."""

@dataclass
class FlightBatch:
    """Results of N flights. Arrays are float64, SI, ECI unless the name says otherwise.

    summary: (N, kernel.SUM_LEN) raw kernel rows; samples (when requested): t_s (N, M),
    r_eci_m and v_eci_mps (N, M, 3), n_samples (N,) valid entries per row.
    launch_lat_deg / launch_lon_deg: (N,) the start points (launch, or burnout point).
    """

    summary: np.ndarray
    earth: EarthModel
    launch_lat_deg: np.ndarray
    launch_lon_deg: np.ndarray
    t_s: np.ndarray | None = None
    r_eci_m: np.ndarray | None = None
    v_eci_mps: np.ndarray | None = None
    n_samples: np.ndarray | None = None
    kernel: str = "adaptive"
    """Which integrator flew the batch: "adaptive" (``flight.kernel``) or "lockstep" (``flight.lockstep``)."""

    def __len__(self) -> int:
        return self.summary.shape[0]

    # ---- raw columns ---------------------------------------------------------------------
    @property
    def status(self) -> np.ndarray:
        return self.summary[:, K.SUM_STATUS].astype(np.int64)

    @property
    def status_text(self) -> list[str]:
        """Per flight the message of its status code (the table ``STATUS_TEXT``: 0 impact,
        1 duration reached, ...), as python-sgp4 pairs its error codes with a message table."""
        return [K.STATUS_TEXT[int(c)] for c in self.status]

    def __repr__(self) -> str:
        n = len(self)
        codes, counts = np.unique(self.status, return_counts=True)
        what = ", ".join(f"{k} {K.STATUS_TEXT[int(c)]}" for c, k in zip(codes, counts))
        return f"FlightBatch({n} flights: {what or 'none'}; samples {'yes' if self.t_s is not None else 'no'})"

    @property
    def ok(self) -> np.ndarray:
        return self.status == K.STATUS_IMPACT

    @property
    def burnout_time_s(self):
        return self.summary[:, K.SUM_TBO]

    @property
    def r_burnout_eci_m(self):
        return self.summary[:, K.SUM_RBO:K.SUM_RBO + 3]

    @property
    def v_burnout_eci_mps(self):
        return self.summary[:, K.SUM_VBO:K.SUM_VBO + 3]

    @property
    def impact_time_s(self):
        return self.summary[:, K.SUM_TIMP]

    @property
    def r_impact_eci_m(self):
        return self.summary[:, K.SUM_RIMP:K.SUM_RIMP + 3]

    @property
    def v_impact_eci_mps(self):
        return self.summary[:, K.SUM_VIMP:K.SUM_VIMP + 3]

    @property
    def apogee_time_s(self):
        return self.summary[:, K.SUM_TAPO]

    # ---- derived ---------------------------------------------------------------------------
    def impact_geodetic(self):
        """(lat_deg, lon_deg, alt_m) of the impact (or last) point, Earth-fixed at that time."""
        return ecef_to_geodetic(eci_to_ecef(self.r_impact_eci_m, self.impact_time_s, self.earth), self.earth)

    def burnout_geodetic(self):
        return ecef_to_geodetic(eci_to_ecef(self.r_burnout_eci_m, self.burnout_time_s, self.earth), self.earth)

    def apogee_alt_m(self) -> np.ndarray:
        """Largest geodetic altitude, m (exact conversion of the located apogee point)."""
        r = self.summary[:, K.SUM_RAPO:K.SUM_RAPO + 3]
        return ecef_to_geodetic(eci_to_ecef(r, self.apogee_time_s, self.earth), self.earth)[2]

    def burnout_local(self):
        """Earth-relative burnout (speed_mps, flight_path_angle_deg, azimuth_deg)."""
        vrel = earth_relative_velocity(self.r_burnout_eci_m, self.v_burnout_eci_mps, self.earth)
        return local_angles(self.r_burnout_eci_m, vrel, self.burnout_time_s, self.earth)

    def range_m(self) -> np.ndarray:
        """Geodesic (WGS84) or great-circle (sphere) distance from the start point to impact, m."""
        lat, lon, _ = self.impact_geodetic()
        d, _ = geodesic_inverse(self.launch_lat_deg, self.launch_lon_deg, lat, lon, self.earth)
        return d

    def samples_geodetic(self, i: int):
        """Samples of trajectory i: t_s, lat_deg, lon_deg, alt_m, Earth-relative speed_mps (1-D)."""
        if self.t_s is None:
            raise BmdcheckError("no samples were requested for this batch")
        m = int(self.n_samples[i])
        t = self.t_s[i, :m]
        r = self.r_eci_m[i, :m]
        v = self.v_eci_mps[i, :m]
        lat, lon, alt = ecef_to_geodetic(eci_to_ecef(r, t, self.earth), self.earth)
        speed = np.linalg.norm(earth_relative_velocity(r, v, self.earth), axis=-1)
        return t, lat, lon, alt, speed


def missile_args(missile: Missile) -> K.MissileArgs:
    """The missile's constants as the kernel reads them."""
    cdm = np.asarray(missile.cd_mach, dtype=float)
    beta_inv = 0.0 if not np.isfinite(missile.rv_beta_kgm2) else 1.0 / missile.rv_beta_kgm2
    return K.MissileArgs(missile.stage_table(), float(missile.payload_kg), float(missile.ref_area_m2),
                         np.ascontiguousarray(cdm[:, 0]), np.ascontiguousarray(cdm[:, 1]), beta_inv,
                         float(missile.t_vertical_s), float(missile.t_kick_s), bool(missile.pitch_hold))


def free_body_args(ballistic_coefficient_kgm2: float) -> K.MissileArgs:
    """A body without thrust: β = m / (Cd S) in kg/m² (inf: no drag)."""
    beta = float(ballistic_coefficient_kgm2)
    return K.MissileArgs(np.zeros((1, 6)), 1.0, 1.0, np.array([0.0, 1.0]), np.array([0.0, 0.0]),
                         0.0 if not np.isfinite(beta) else 1.0 / beta, 0.0, 1.0, False)


KERNELS = ("adaptive", "lockstep")
"""``kernel=`` choices: "adaptive" (Dormand–Prince with error control, samples, ``rtol``; the
reference path) or "lockstep" (``flight.lockstep``: blocks of 32 with fixed-rule steps, summaries
only, impact within 100 m of the SciPy reference: docs/VALIDATION.md)."""


def _run(r0, v0, boost, dir_ecef, kick, tcut, margs, earth, t_max, rtol, sample_interval_s, kernel="adaptive"):
    """Fly the batch; with sampling, buffers are sized to the flights, not to t_max.

    kernel "lockstep": summary rows from ``flight.lockstep`` (no samples; rtol does not apply).

    The first call holds SAMPLE_GUESS_S of samples per row; rows that fly longer (their buffer
    filled before the end) are flown again, alone, with buffers sized from their known end times
    (the kernel is deterministic per row, so the trajectory is the same). The returned sample
    arrays have as many columns as the longest row uses.
    """
    n = r0.shape[0]
    samp = float(sample_interval_s) if sample_interval_s else 0.0
    if kernel not in KERNELS:
        raise BmdcheckError(f"kernel must be one of {', '.join(KERNELS)}, got {kernel!r}")
    if kernel == "lockstep":
        if samp > 0:
            raise BmdcheckError("the lock-step kernel gives summaries only; use kernel='adaptive' for samples")
        from .lockstep import fly_summary

        return fly_summary(r0, v0, boost, dir_ecef, kick, tcut, margs, earth, t_max), None, None, None, None
    if samp <= 0:
        summary, *_ = _call(r0, v0, boost, dir_ecef, kick, tcut, margs, earth, t_max, rtol, 0.0, 0)
        return summary, None, None, None, None
    m_full = int(np.floor(t_max / samp)) + 2
    if m_full > MAX_SAMPLES_PER_TRAJECTORY:
        raise BmdcheckError(f"a sample interval of {samp:g} s over up to {t_max:,.0f} s is {m_full:,} samples per "
                            f"trajectory; at most {MAX_SAMPLES_PER_TRAJECTORY:,} (use a coarser interval or a shorter "
                            "duration)")
    m0 = min(m_full, int(np.ceil(SAMPLE_GUESS_S / samp)) + 2)
    if n * m0 > 50_000_000:
        raise BmdcheckError(f"{n} trajectories × {m0} samples is too many to hold; use a coarser interval or chunks")
    summary, st, sr, sv, ns = _call(r0, v0, boost, dir_ecef, kick, tcut, margs, earth, t_max, rtol, samp, m0)
    t_end = summary[:, K.SUM_TIMP]
    over = np.nonzero((ns >= m0) & (t_end > (m0 - 1) * samp + 1e-9))[0]
    if over.size == 0:
        m_used = int(ns.max()) if n else 0
        if m_used >= 0.9 * m0:
            return summary, st, sr, sv, ns
        return (summary, np.ascontiguousarray(st[:, :m_used]), np.ascontiguousarray(sr[:, :m_used]),
                np.ascontiguousarray(sv[:, :m_used]), ns)
    m1 = min(m_full, int(np.floor(t_end[over].max() / samp)) + 2)
    s2, st2, sr2, sv2, ns2 = _call(r0[over], v0[over], boost, dir_ecef[over], kick[over], tcut[over], margs, earth,
                                   t_max, rtol, samp, m1)
    m_used = int(max(ns.max(), ns2.max()))
    t_s = np.zeros((n, m_used))
    r = np.zeros((n, m_used, 3))
    v = np.zeros((n, m_used, 3))
    k = min(m0, m_used)
    t_s[:, :k], r[:, :k], v[:, :k] = st[:, :k], sr[:, :k], sv[:, :k]
    del st, sr, sv
    t_s[over], r[over], v[over] = st2[:, :m_used], sr2[:, :m_used], sv2[:, :m_used]
    summary[over], ns[over] = s2, ns2
    return summary, t_s, r, v, ns


def _call(r0, v0, boost, dir_ecef, kick, tcut, margs, earth, t_max, rtol, samp, m):
    """One kernel call with sample buffers of m columns (0: no sampling)."""
    n = r0.shape[0]
    out = K.Outputs(np.zeros((n, K.SUM_LEN)), np.zeros((n, m)), np.zeros((n, m, 3)), np.zeros((n, m, 3)),
                    np.zeros(n, dtype=np.int64))
    c = lambda a: np.ascontiguousarray(a, dtype=float)  # noqa: E731
    starts = K.Starts(c(r0), c(v0), c(dir_ecef), c(kick), c(tcut))
    K.fly_kernel(bool(boost), starts, margs, earth.params(), air_table(),
                 K.Control(float(t_max), float(rtol), DT_MAX_S, float(samp)), out)
    return out


def _check_latlon(lat, lon, what):
    from ..validate import check_latlon

    lat, lon = check_latlon(np.asarray(lat, dtype=float), np.asarray(lon, dtype=float), what)
    return lat, lon


def launch_direction_ecef(lat_deg, lon_deg, azimuth_deg) -> np.ndarray:
    """Unit horizontal vector (N, 3), Earth-fixed axes, of azimuth A at geodetic (lat, lon): cos A n̂ + sin A ê.

    At a pole, n̂ and ê are the limits along the meridian ``lon_deg`` (the convention of the
    geodesic azimuths, Karney 2013), so a pole launch toward azimuth A reaches the same meridian
    as the geodesic with that initial azimuth.
    """
    from ..earth.frames import enu_basis

    e, n, _ = enu_basis(lat_deg, lon_deg)
    a = np.radians(np.asarray(azimuth_deg, dtype=float))[..., None]
    return np.cos(a) * n + np.sin(a) * e


def fly_missile_batch(missile: Missile, lat_deg, lon_deg, azimuth_deg, kick_deg, t_cut_s=None, *,
                      earth: EarthModel = EarthModel(), sample_interval_s: float | None = None,
                      duration_s: float | None = None, rtol: float = DEFAULT_RTOL,
                      kernel: str = "adaptive") -> FlightBatch:
    """Fly N launches of ``missile`` with given steering; inputs broadcast to shape (N,).

    missile: a Missile or a catalogue name; lat_deg, lon_deg: launch points (geodetic, deg);
    azimuth_deg: launch azimuth clockwise from north; kick_deg: pitch-kick angle from the vertical
    (0-90); t_cut_s: thrust cut-off time (default: full burn). ``status`` (N,) of the result: codes
    of the table ``STATUS_TEXT`` (0 impact). kernel: "adaptive" or "lockstep" (``KERNELS``); the result's
    ``kernel`` says which ran.
    """
    if not isinstance(missile, Missile):
        from .missile import get_missile

        missile = get_missile(missile)
    if t_cut_s is None:
        t_cut_s = missile.burn_end_s
    lat, lon, az, kick, tcut = np.broadcast_arrays(*(np.atleast_1d(np.asarray(v, dtype=float))
                                                    for v in (lat_deg, lon_deg, azimuth_deg, kick_deg, t_cut_s)))
    lat, lon = _check_latlon(lat, lon, "launch point")
    if np.any(~np.isfinite(az)) or np.any(~np.isfinite(kick)) or np.any(~np.isfinite(tcut)):
        raise BmdcheckError("steering parameters must be finite numbers")
    if np.any((kick < 0.0) | (kick > MAX_KICK_DEG)):
        raise InputError(f"the pitch kick must be within [0, {MAX_KICK_DEG:g}] degrees from the vertical, got "
                         f"{kick[(kick < 0.0) | (kick > MAX_KICK_DEG)].ravel()[0]:g}", param="kick_deg")
    tcut = np.minimum(tcut, missile.burn_end_s)
    r0 = geodetic_to_ecef(lat, lon, 0.0, earth)
    w = earth.omega_rad_s
    v0 = np.stack([-w * r0[:, 1], w * r0[:, 0], np.zeros(len(lat))], axis=-1)
    t_max = DEFAULT_T_MAX_S if duration_s is None else float(duration_s)
    out = _run(r0, v0, True, launch_direction_ecef(lat, lon, az), np.radians(kick), tcut, missile_args(missile), earth,
               t_max, rtol, sample_interval_s, kernel)
    return FlightBatch(out[0], earth, lat.copy(), lon.copy(), *out[1:], kernel=kernel)


def burnout_state_eci(lat_deg, lon_deg, alt_m, speed_mps, fpa_deg, azimuth_deg,
                      earth: EarthModel = EarthModel()):
    """ECI (r, v) at t = 0 from an Earth-relative burnout state; arrays broadcast to (N,), out (N, 3).

    v_rel = V (cos γ cos ψ n̂ + cos γ sin ψ ê + sin γ û) in the geodetic frame; v_eci = v_rel + ω ẑ × r.
    """
    from ..earth.frames import enu_basis

    lat, lon, alt, v, g, a = np.broadcast_arrays(*(np.atleast_1d(np.asarray(x, dtype=float))
                                                   for x in (lat_deg, lon_deg, alt_m, speed_mps, fpa_deg, azimuth_deg)))
    r = geodetic_to_ecef(lat, lon, alt, earth)
    e, n, u = enu_basis(lat, lon)
    gr, ar = np.radians(g)[:, None], np.radians(a)[:, None]
    vrel = v[:, None] * (np.cos(gr) * np.cos(ar) * n + np.cos(gr) * np.sin(ar) * e + np.sin(gr) * u)
    w = earth.omega_rad_s
    veci = vrel + np.stack([-w * r[:, 1], w * r[:, 0], np.zeros(len(lat))], axis=-1)
    return r, veci


def fly_free_batch(r0_eci_m, v0_eci_mps, ballistic_coefficient_kgm2=np.inf, *, earth: EarthModel = EarthModel(),
                   start_lat_deg=None, start_lon_deg=None, sample_interval_s: float | None = None,
                   duration_s: float | None = None, rtol: float = DEFAULT_RTOL,
                   kernel: str = "adaptive") -> FlightBatch:
    """Fly N free bodies (no thrust) from ECI states at t = 0 to impact; r0, v0 shape (N, 3).

    ballistic_coefficient_kgm2: β = m / (Cd S) of the body (inf: no drag), scalar.
    kernel: "adaptive" or "lockstep", as ``fly_missile_batch``.
    """
    r0 = np.atleast_2d(np.asarray(r0_eci_m, dtype=float))
    v0 = np.atleast_2d(np.asarray(v0_eci_mps, dtype=float))
    beta = float(ballistic_coefficient_kgm2)
    if not (beta > 0):
        raise BmdcheckError(f"ballistic coefficient must be positive, got {beta:g}")
    if start_lat_deg is None:
        start_lat_deg, start_lon_deg, _ = ecef_to_geodetic(r0, earth)
    n = r0.shape[0]
    margs = free_body_args(beta)
    t_max = DEFAULT_T_MAX_S if duration_s is None else float(duration_s)
    z = np.zeros(n)
    out = _run(r0, v0, False, np.zeros((n, 3)), z, z, margs, earth, t_max, rtol, sample_interval_s, kernel)
    return FlightBatch(out[0], earth, np.broadcast_to(np.asarray(start_lat_deg, float), (n,)).copy(),
                       np.broadcast_to(np.asarray(start_lon_deg, float), (n,)).copy(), *out[1:], kernel=kernel)


def iter_missile_summaries(missile: Missile, lat_deg, lon_deg, azimuth_deg, kick_deg, t_cut_s=None, *,
                           earth: EarthModel = EarthModel(), chunk: int = 50_000,
                           rtol: float = DEFAULT_RTOL, kernel: str = "adaptive") -> Iterator[tuple[slice, FlightBatch]]:
    """Fly a large batch in chunks, yielding (slice, FlightBatch) so memory stays bounded.

    kernel: "adaptive" or "lockstep" (``KERNELS``), as ``fly_missile_batch``."""
    if t_cut_s is None:
        t_cut_s = missile.burn_end_s
    arrs = np.broadcast_arrays(*(np.atleast_1d(np.asarray(v, dtype=float))
                                 for v in (lat_deg, lon_deg, azimuth_deg, kick_deg, t_cut_s)))
    n = arrs[0].shape[0]
    for s in range(0, n, chunk):
        sl = slice(s, min(n, s + chunk))
        yield sl, fly_missile_batch(missile, *(a[sl] for a in arrs), earth=earth, rtol=rtol, kernel=kernel)


def pad_rows(rows, width: int | None = None):
    """Stack ragged sample rows [(t_s (k,), r (k, 3), v (k, 3)), ...] into zero-padded arrays:
    t_s (N, M), r (N, M, 3), v (N, M, 3) and the counts k (N,), int64; M = width or the longest row."""
    n = len(rows)
    m = width if width is not None else max(row[0].shape[0] for row in rows)
    t = np.zeros((n, m))
    r = np.zeros((n, m, 3))
    v = np.zeros((n, m, 3))
    ns = np.zeros(n, dtype=np.int64)
    for q, (tq, rq, vq) in enumerate(rows):
        k = tq.shape[0]
        t[q, :k], r[q, :k], v[q, :k], ns[q] = tq, rq, vq, k
    return t, r, v, ns
