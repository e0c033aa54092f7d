"""Threat trajectories from files: CSV samples or CCSDS OEM (``engage --threat-file``,
``reconstruct-intercept --target-file``)."""

from __future__ import annotations

import csv
from pathlib import Path

from ..errors import BmdcheckError, FileFormatError, InputError


def read_threat_file(path, earth=None) -> "Threats":
    """One threat trajectory (:class:`~bmdcheck.defence.engagement.Threats`) from a file.

    CSV: a header naming ``t_s, x_eci_m, y_eci_m, z_eci_m`` (optionally ``vx_eci_mps, vy_eci_mps,
    vz_eci_mps``), one sample a row, ECI metres and seconds; velocities by central differences
    when absent. CCSDS OEM 502.0: data lines ``EPOCH X Y Z [VX VY VZ]`` in km and km/s.
    Errors (missing file, bad numbers, fewer than 3 samples, positions below the ground) are one
    FileFormatError line naming the file.
    """
    if earth is None:
        from ..earth.model import EarthModel

        earth = EarthModel()
    p = Path(path)
    if not p.is_file():
        raise InputError(f"threat file not found: {p}", param="threat_file")
    text = p.read_text(errors="replace")
    if "CCSDS_OEM_VERS" in text:
        return _read_oem(text, p, earth)
    rows = list(csv.reader(line for line in text.splitlines() if line.strip() and not line.startswith("#")))
    if not rows:
        raise FileFormatError(f"{p}: empty threat file")
    head = [h.strip().lower() for h in rows[0]]
    need = ["t_s", "x_eci_m", "y_eci_m", "z_eci_m"]
    if any(h not in head for h in need):
        raise FileFormatError(f"{p}: CSV header must name columns {', '.join(need)}; got {', '.join(map(repr, head))}")
    idx = [head.index(h) for h in need]
    vidx = [head.index(h) for h in ("vx_eci_mps", "vy_eci_mps", "vz_eci_mps") if h in head]
    import numpy as np

    try:
        data = np.array([[float(r[k]) for k in idx + vidx] for r in rows[1:]])
    except (ValueError, IndexError) as e:
        raise FileFormatError(f"{p}: bad number in the CSV ({e})") from None
    if data.ndim != 2 or data.shape[0] < 3:
        raise FileFormatError(f"{p}: need at least 3 samples")
    v = data[:, 4:7] if len(vidx) == 3 else None
    return _threats(p, data[:, 0], data[:, 1:4], v, earth)


_MIN_RADIUS_M = 6_200_000.0  # below every point of the surface (polar radius 6,356.8 km) by > 150 km


def _threats(p, t, r, v, earth):
    """Threats from file samples, refusing what cannot be a trajectory (with the file's name)."""
    import numpy as np

    from .engagement import Threats

    r = np.asarray(r, dtype=float)
    if v is not None and not np.all(np.isfinite(v)):
        raise FileFormatError(f"{p}: threat velocities must be finite numbers")
    with np.errstate(all="ignore"):
        rad = np.linalg.norm(r, axis=-1) if r.ndim == 2 and r.shape[-1] == 3 else np.array([np.inf])
    if np.any(np.isfinite(rad) & (rad < _MIN_RADIUS_M)):
        k = int(np.argmax(np.isfinite(rad) & (rad < _MIN_RADIUS_M)))
        raise FileFormatError(f"{p}: threat sample {k + 1} is {rad[k] / 1e3:,.0f} km from the Earth's centre, deep below "
                            f"the ground: positions must be ECI metres (OEM: km)")
    try:
        return Threats.from_arrays(t, r, v, earth)
    except BmdcheckError as e:
        raise FileFormatError(f"{p}: {e}") from None


def _read_oem(text, p, earth):
    """Minimal CCSDS OEM (502.0) reader: data lines 'EPOCH X Y Z [VX VY VZ]' in km, km/s."""
    from datetime import datetime, timezone

    t, r, v = [], [], []
    in_meta = False
    t0 = None
    for line in text.splitlines():
        s = line.strip()
        if not s or s.startswith("COMMENT"):
            continue
        if s == "META_START":
            in_meta = True
            continue
        if s == "META_STOP":
            in_meta = False
            continue
        if in_meta or "=" in s:
            continue
        parts = s.split()
        if len(parts) not in (4, 7, 10):
            continue
        try:
            ep = datetime.fromisoformat(parts[0].replace("Z", "+00:00"))
            vals = [float(x) for x in parts[1:7]]
        except ValueError:
            raise FileFormatError(f"{p}: bad OEM data line: {s[:60]!r}") from None
        # epochs without an offset are UTC (CCSDS 502.0 TIME_SYSTEM); mixed forms compare correctly
        ep = ep.replace(tzinfo=timezone.utc) if ep.tzinfo is None else ep.astimezone(timezone.utc)
        t0 = t0 or ep
        t.append((ep - t0).total_seconds())
        r.append([x * 1e3 for x in vals[:3]])
        if len(vals) >= 6:
            v.append([x * 1e3 for x in vals[3:6]])
    if len(t) < 3:
        raise FileFormatError(f"{p}: need at least 3 OEM data lines")
    import numpy as np

    return _threats(p, np.array(t), np.array(r), np.array(v) if len(v) == len(t) else None, earth)
