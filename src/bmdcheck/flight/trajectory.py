"""The friendly layer: fly one missile to an aim point, or one body from a burnout state.

    >>> from bmdcheck import fly
    >>> t = fly("minuteman-iii", launch=(47.5, -111.2), aim=(55.75, 37.62))
    >>> round(t.range_km, -2), t.status
    (8200.0, 'impact')

Inputs are checked once here, then everything runs through the batch engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..earth.model import EarthModel
from ..errors import BmdcheckError, InputError
from . import kernel as K
from .batch import DEFAULT_RTOL, FlightBatch, burnout_state_eci, fly_free_batch, fly_missile_batch
from .missile import Missile, get_missile
from .steering import MISS_TOL_KM, landing_miss_km


@dataclass
class Samples:
    """Trajectory samples: 1-D arrays of equal length (time from t = 0, geodetic, Earth-relative speed)."""

    t_s: np.ndarray
    lat_deg: np.ndarray
    lon_deg: np.ndarray
    alt_km: np.ndarray
    speed_mps: np.ndarray
    r_eci_m: np.ndarray
    v_eci_mps: np.ndarray

    def to_dict(self) -> dict:
        """JSON form: keys ``t_s, lat, lon, alt_km, speed_mps`` (``lat``/``lon`` are ``lat_deg``/``lon_deg``)."""
        return {"t_s": self.t_s.tolist(), "lat": self.lat_deg.tolist(), "lon": self.lon_deg.tolist(),
                "alt_km": self.alt_km.tolist(), "speed_mps": self.speed_mps.tolist()}

    @property
    def lat(self) -> np.ndarray:
        """``lat_deg`` under its JSON name."""
        return self.lat_deg

    @property
    def lon(self) -> np.ndarray:
        """``lon_deg`` under its JSON name."""
        return self.lon_deg

    def to_dataframe(self):
        """A pandas DataFrame, one row a sample: t_s, lat_deg, lon_deg, alt_km, speed_mps and the ECI
        state (x/y/z_eci_m, vx/vy/vz_eci_mps)."""
        import pandas as pd

        cols = {"t_s": self.t_s, "lat_deg": self.lat_deg, "lon_deg": self.lon_deg, "alt_km": self.alt_km,
                "speed_mps": self.speed_mps}
        for k, ax in enumerate("xyz"):
            cols[f"{ax}_eci_m"] = self.r_eci_m[:, k]
        for k, ax in enumerate("xyz"):
            cols[f"v{ax}_eci_mps"] = self.v_eci_mps[:, k]
        return pd.DataFrame(cols)

    def __len__(self) -> int:
        return len(self.t_s)

    def __repr__(self) -> str:
        n = len(self.t_s)
        if n == 0:
            return "Samples(0 samples)"
        return (f"Samples({n} samples, t {self.t_s[0]:,.1f}-{self.t_s[-1]:,.1f} s, alt up to "
                f"{np.max(self.alt_km):,.1f} km)")


@dataclass
class Trajectory:
    """One flight's summary (and samples if requested). SI inside; the names carry the units."""

    range_km: float
    flight_time_s: float
    apogee_km: float
    burnout_time_s: float
    burnout_speed_mps: float
    burnout_altitude_km: float
    burnout_fpa_deg: float
    burnout_azimuth_deg: float
    impact_lat: float
    impact_lon: float
    status: str
    start_lat: float
    start_lon: float
    earth: EarthModel
    missile: str | None = None
    shape: str | None = None
    steering: dict = field(default_factory=dict)
    r_burnout_eci_m: np.ndarray | None = None
    v_burnout_eci_mps: np.ndarray | None = None
    r_impact_eci_m: np.ndarray | None = None
    v_impact_eci_mps: np.ndarray | None = None
    samples: Samples | None = None
    end_time_s: float = 0.0
    end_alt_km: float = 0.0

    @property
    def escaped(self) -> bool:
        """True when the body left on an unbound path: there is no impact, range or flight time."""
        return self.status == K.STATUS_TEXT[K.STATUS_ESCAPE]

    def to_dataframe(self):
        """The samples as a pandas DataFrame (:meth:`Samples.to_dataframe`); a flight without
        samples (``sample_interval_s`` not given) raises a BmdcheckError."""
        if self.samples is None:
            raise InputError("this trajectory has no samples: fly it with sample_interval_s", param="sample_interval_s")
        return self.samples.to_dataframe()

    def to_dict(self) -> dict:
        """The JSON document of ``bmdcheck fly --json`` (field names are a stable interface).

        With ``status`` "escape", ``range_km``, ``flight_time_s`` and ``impact`` are null; whenever
        the status is not "impact", ``end`` gives the last point (t_s, lat, lon, alt_km).
        """
        esc = self.escaped
        d = {
            "range_km": None if esc else self.range_km,
            "flight_time_s": None if esc else self.flight_time_s,
            "apogee_km": self.apogee_km,
            "burnout": {"time_s": self.burnout_time_s, "speed_mps": self.burnout_speed_mps,
                        "altitude_km": self.burnout_altitude_km, "flight_path_angle_deg": self.burnout_fpa_deg,
                        "azimuth_deg": self.burnout_azimuth_deg},
            "impact": None if esc else {"lat": self.impact_lat, "lon": self.impact_lon},
            "status": self.status,
            "start": {"lat": self.start_lat, "lon": self.start_lon},
            "earth": {"shape": self.earth.shape, "gravity": self.earth.gravity, "rotation": self.earth.rotation,
                      "atmosphere": self.earth.atmosphere},
        }
        if self.status != K.STATUS_TEXT[K.STATUS_IMPACT]:
            d["end"] = {"t_s": self.end_time_s, "lat": self.impact_lat, "lon": self.impact_lon,
                        "alt_km": self.end_alt_km}
        if self.missile:
            d["missile"] = self.missile
            d["shape"] = self.shape
            d["steering"] = self.steering
        if self.samples is not None:
            d["samples"] = self.samples.to_dict()
        return d

    def __repr__(self) -> str:
        who = f"{self.missile} " if self.missile else ""
        if self.escaped:
            return (f"Trajectory({who}escape: no impact, {self.end_alt_km:,.0f} km up and receding at "
                    f"t = {self.end_time_s:,.0f} s, burnout {self.burnout_speed_mps:,.0f} m/s)")
        return (f"Trajectory({who}range {self.range_km:,.1f} km, flight {self.flight_time_s:,.1f} s, "
                f"apogee {self.apogee_km:,.1f} km, burnout {self.burnout_speed_mps:,.0f} m/s at "
                f"{self.burnout_altitude_km:,.1f} km, γ {self.burnout_fpa_deg:.2f}°, impact "
                f"({self.impact_lat:.3f}, {self.impact_lon:.3f}), {self.status})")


def trajectory_from_batch(b: FlightBatch, i: int = 0, *, missile: str | None = None, shape: str | None = None,
                          steering: dict | None = None) -> Trajectory:
    """Extract trajectory i of a batch as a :class:`Trajectory`."""
    ilat, ilon, ialt = b.impact_geodetic()
    spd, fpa, az = b.burnout_local()
    _, _, balt = b.burnout_geodetic()
    rng = b.range_m()
    samples = None
    if b.t_s is not None:
        t, lat, lon, alt, speed = b.samples_geodetic(i)
        m = int(b.n_samples[i])
        r, v = b.r_eci_m[i, :m], b.v_eci_mps[i, :m]
        tend = b.impact_time_s[i]
        if m == 0 or tend > t[-1] + 1e-9:  # close the track with the impact (or last) point
            one = FlightBatch(b.summary[i:i + 1], b.earth, b.launch_lat_deg[i:i + 1], b.launch_lon_deg[i:i + 1])
            la, lo, al = one.impact_geodetic()
            from ..earth.frames import earth_relative_velocity

            sp = np.linalg.norm(earth_relative_velocity(one.r_impact_eci_m, one.v_impact_eci_mps, b.earth), axis=-1)
            t = np.append(t, tend)
            lat, lon, alt, speed = np.append(lat, la), np.append(lon, lo), np.append(alt, al), np.append(speed, sp)
            r = np.vstack([r, one.r_impact_eci_m])
            v = np.vstack([v, one.v_impact_eci_mps])
        samples = Samples(t, lat, lon, alt / 1e3, speed, r, v)
    return Trajectory(
        range_km=float(rng[i] / 1e3), flight_time_s=float(b.impact_time_s[i]),
        apogee_km=float(b.apogee_alt_m()[i] / 1e3), burnout_time_s=float(b.burnout_time_s[i]),
        burnout_speed_mps=float(spd[i]), burnout_altitude_km=float(balt[i] / 1e3),
        burnout_fpa_deg=float(fpa[i]), burnout_azimuth_deg=float(az[i]),
        impact_lat=float(ilat[i]), impact_lon=float(ilon[i]), status=K.STATUS_TEXT[int(b.status[i])],
        start_lat=float(b.launch_lat_deg[i]), start_lon=float(b.launch_lon_deg[i]), earth=b.earth,
        missile=missile, shape=shape, steering=steering or {},
        r_burnout_eci_m=b.r_burnout_eci_m[i].copy(), v_burnout_eci_mps=b.v_burnout_eci_mps[i].copy(),
        r_impact_eci_m=b.r_impact_eci_m[i].copy(), v_impact_eci_mps=b.v_impact_eci_mps[i].copy(), samples=samples,
        end_time_s=float(b.impact_time_s[i]), end_alt_km=float(ialt[i] / 1e3))


def _pair(p, what):
    from ..validate import check_position

    return check_position(p, what, allow_alt=False)


def _positive(x, what, allow_zero=False, allow_none=True):
    if x is None and allow_none:
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        raise BmdcheckError(f"{what} must be a number, got {x!r}") from None
    if not np.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        raise BmdcheckError(f"{what} must be a {'non-negative' if allow_zero else 'positive'} finite number, got {x}")
    return v


def fly(missile: str | Missile, launch, aim, shape: str = "min-energy", *, apogee_km: float | None = None,
        earth: EarthModel = EarthModel(), sample_interval_s: float | None = None,
        rtol: float = DEFAULT_RTOL) -> Trajectory:
    """Fly a catalogue missile (or a Missile) from launch (lat, lon) to aim (lat, lon).

    shape: "min-energy", "lofted" or "depressed" (optionally with apogee_km). Raises BmdcheckError
    when the aim point is out of reach (the message states the maximum range).
    """
    m = get_missile(missile)
    lat0, lon0 = _pair(launch, "launch")
    lat1, lon1 = _pair(aim, "aim")
    sample_interval_s = _positive(sample_interval_s, "sample interval")
    from .newton import aim as aim_steering  # Newton fast path, the reference solver as fallback

    st = aim_steering(m, lat0, lon0, lat1, lon1, shape, apogee_km, earth=earth, rtol=rtol)
    if not st.ok[0]:
        raise BmdcheckError(st.error[0])
    b = fly_missile_batch(m, lat0, lon0, st.azimuth_deg, st.kick_deg, st.t_cut_s, earth=earth,
                          sample_interval_s=sample_interval_s, rtol=min(rtol, 1e-10))  # as the solver's polish
    # the solved flight must land at the aim point: a miss is a failure, never a reported impact
    miss_km = float(landing_miss_km(b, lat1, lon1)[0])
    if not miss_km <= MISS_TOL_KM:  # NaN (no impact) fails too
        raise BmdcheckError(f"{m.name}: the solved trajectory does not reach the aim point "
                            + (f"(miss {miss_km:,.3f} km)" if np.isfinite(miss_km) else f"({K.STATUS_TEXT[int(b.status[0])]})"))
    steer = {"azimuth_deg": float(st.azimuth_deg[0]), "kick_deg": float(st.kick_deg[0]),
             "t_cut_s": float(st.t_cut_s[0]), "miss_km": miss_km, "method": str(st.method[0])}
    return trajectory_from_batch(b, 0, missile=m.name, shape=shape, steering=steer)


def fly_burnout(speed_mps: float, flight_path_angle_deg: float, azimuth_deg: float, launch, altitude_km: float = 0.0,
                *, ballistic_coefficient_kgm2: float | None = None, duration_s: float | None = None,
                earth: EarthModel = EarthModel(), sample_interval_s: float | None = None,
                rtol: float = DEFAULT_RTOL) -> Trajectory:
    """Fly a free body from an Earth-relative burnout state at t = 0 to impact (or for duration_s).

    speed_mps, flight_path_angle_deg (above the geodetic horizontal), azimuth_deg (clockwise from
    north), at launch (lat, lon) and altitude_km. ballistic_coefficient_kgm2 adds drag (β = m/(Cd S)).
    """
    lat, lon = _pair(launch, "launch")
    v = _positive(speed_mps, "burnout speed", allow_zero=True, allow_none=False)
    for x, what in ((flight_path_angle_deg, "flight-path angle"), (azimuth_deg, "azimuth"), (altitude_km, "altitude")):
        try:
            ok = np.isfinite(float(x))
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise BmdcheckError(f"{what} must be a finite number, got {x!r}")
    if abs(float(flight_path_angle_deg)) > 90:
        raise BmdcheckError(f"flight-path angle must be within [-90, 90] degrees, got {flight_path_angle_deg}")
    alt = float(altitude_km)
    if alt < 0:
        raise BmdcheckError(f"burnout altitude must be >= 0 km, got {alt:g}")
    beta = _positive(ballistic_coefficient_kgm2, "ballistic coefficient")
    duration_s = _positive(duration_s, "duration")
    sample_interval_s = _positive(sample_interval_s, "sample interval")
    r, ve = burnout_state_eci(lat, lon, alt * 1e3, v, float(flight_path_angle_deg), float(azimuth_deg), earth)
    b = fly_free_batch(r, ve, np.inf if beta is None else beta, earth=earth, start_lat_deg=lat, start_lon_deg=lon,
                       sample_interval_s=sample_interval_s, duration_s=duration_s, rtol=rtol)
    return trajectory_from_batch(b, 0)
