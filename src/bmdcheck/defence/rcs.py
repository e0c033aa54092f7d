"""Radar cross-section by flight phase and radar band (data/rcs.toml; docs/design/engagement.md).

A threat sample at time t after launch is in phase ``booster`` while t < t_bo (the end of powered
flight), ``pbv`` (post-boost vehicle) while t < t_bo + ``pbv_duration_s``, and ``rv`` after. A radar
of band b sees the sample with cross-section σ(phase, b) x ``scale`` and detects it within
R = R_ref (σ / σ_ref)^(1/4) (``sensors.Radar.detection_range_m``; Skolnik, *Introduction to Radar
Systems*, 3rd ed., eq. 1.15). A threat whose burnout time is unknown (a trajectory file) is in the
``rv`` phase throughout.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources

import numpy as np

from ..errors import BmdcheckError

PHASES = ("booster", "pbv", "rv")
BANDS = ("UHF", "L", "S", "X")
MODELS = ("constant", "phase-band")
"""Cross-section models of a timeline: one constant σ (``rcs_m2``) or this module's table."""


def check_rcs(value, what: str = "radar cross-section") -> float:
    """A cross-section (m²) that must be finite and > 0, else a one-line BmdcheckError."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (math.isfinite(value) and value > 0):
        raise BmdcheckError(f"{what} must be a positive number of m², got {value!r}")
    return float(value)


@dataclass(frozen=True)
class RcsModel:
    """σ (m²) per (phase, band), the post-boost phase length (s) and a scale factor (a margin)."""

    table: tuple  # ((phase, band, m2), ...)
    pbv_duration_s: float
    scale: float = 1.0
    sources: dict = field(default_factory=dict, compare=False, repr=False)
    PHASES = PHASES

    def __post_init__(self):
        seen = {(p, b) for p, b, _ in self.table}
        for p, b, v in self.table:
            if p not in PHASES or b not in BANDS:
                raise BmdcheckError(f"cross-section table: unknown phase/band {p}/{b}; expected phases "
                                    f"{', '.join(PHASES)} and bands {', '.join(BANDS)}")
            check_rcs(v, f"radar cross-section {p}/{b}")
        missing = [f"{p}/{b}" for p in PHASES for b in BANDS if (p, b) not in seen]
        if missing:
            raise BmdcheckError(f"cross-section table lacks {', '.join(missing)}")
        if not (math.isfinite(self.pbv_duration_s) and self.pbv_duration_s >= 0):
            raise BmdcheckError(f"pbv_duration_s must be >= 0 s, got {self.pbv_duration_s}")
        check_rcs(self.scale, "radar cross-section scale")

    def rcs_m2(self, phase: str, band: str | None) -> float:
        """σ of a phase seen by a radar of a band, x scale, m²."""
        if band is None:
            raise BmdcheckError("the phase/band cross-section model needs the radar's band (UHF, L, S or X)")
        for p, b, v in self.table:
            if p == phase and b == band:
                return v * self.scale
        raise BmdcheckError(f"no cross-section for phase {phase!r} and band {band!r}")

    def phase_of(self, t_s, burnout_s) -> np.ndarray:
        """Phase index (0 booster, 1 pbv, 2 rv) of samples t_s (N, M) given burnout times (N,) or None."""
        t = np.asarray(t_s, dtype=float)
        if burnout_s is None:
            return np.full(t.shape, 2, dtype=np.int8)
        tbo = np.asarray(burnout_s, dtype=float).reshape((-1,) + (1,) * (t.ndim - 1))
        ph = np.where(t < tbo, 0, np.where(t < tbo + self.pbv_duration_s, 1, 2)).astype(np.int8)
        return ph

    def scaled(self, k: float) -> "RcsModel":
        """Every cross-section x k."""
        return replace(self, scale=self.scale * check_rcs(k, "radar cross-section scale"))


def rcs_model_from_dict(d: dict, origin: str = "<dict>") -> RcsModel:
    """Build the model from the parsed ``rcs.toml`` layout (``{ value, source }`` numbers)."""
    src: dict = {}
    rows = []

    def num(x, where):
        if not isinstance(x, dict) or "value" not in x or not str(x.get("source", "")).strip():
            raise BmdcheckError(f"{origin}: {where} must be {{ value = ..., source = \"...\" }}")
        src[where] = x["source"]
        return x["value"]

    unknown = set(d) - set(PHASES) - {"pbv_duration_s"}
    if unknown:
        raise BmdcheckError(f"{origin}: unknown keys {sorted(unknown)}")
    for p in PHASES:
        tab = d.get(p, {})
        extra = set(tab) - set(BANDS)
        if extra:
            raise BmdcheckError(f"{origin}: [{p}] unknown bands {sorted(extra)}; expected {', '.join(BANDS)}")
        for b in BANDS:
            if b in tab:
                rows.append((p, b, check_rcs(num(tab[b], f"{p}.{b}"), f"{origin}: radar cross-section {p}.{b}")))
    pbv = num(d.get("pbv_duration_s"), "pbv_duration_s")
    return RcsModel(tuple(rows), float(pbv), 1.0, src)


@lru_cache(maxsize=1)
def catalogue_rcs() -> RcsModel:
    """The shipped phase/band cross-sections (data/rcs.toml)."""
    text = resources.files("bmdcheck.data").joinpath("rcs.toml").read_text()
    return rcs_model_from_dict(tomllib.loads(text), "rcs.toml")
