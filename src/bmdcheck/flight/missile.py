"""Multi-stage rockets as data: stages, payload, aerodynamics, steering timing.

A missile is loaded from a TOML file in ``bmdcheck/data/missiles`` (or any path). Every numeric
parameter is written as ``{ value = X, source = "..." }``: a bare number is refused, so no default
enters the catalogue without its citation. See ``docs/CATALOGUE.md``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from ..errors import BmdcheckError

_DATA = "bmdcheck.data.missiles"


@dataclass(frozen=True)
class Stage:
    """One rocket stage: constant mass flow over its burn, vacuum Isp, optional nozzle exit area."""

    propellant_kg: float
    dry_kg: float
    burn_time_s: float
    isp_vac_s: float
    exit_area_m2: float = 0.0
    coast_s: float = 0.0  # coast after this stage burns out, before the next ignites

    def __post_init__(self):
        for name in ("propellant_kg", "burn_time_s", "isp_vac_s"):
            v = getattr(self, name)
            if not np.isfinite(v) or v <= 0:
                raise BmdcheckError(f"stage {name} must be a positive number, got {v}")
        for name in ("dry_kg", "exit_area_m2", "coast_s"):
            v = getattr(self, name)
            if not np.isfinite(v) or v < 0:
                raise BmdcheckError(f"stage {name} must be zero or positive, got {v}")


@dataclass(frozen=True)
class Missile:
    """A multi-stage ballistic missile (or interceptor booster) flown by the 3-DOF model.

    Steering: vertical rise for ``t_vertical_s``, then a pitch kick over ``t_kick_s`` toward the
    launch azimuth, then a zero-angle-of-attack gravity turn (docs/design/flight-model.md).
    After burnout the payload flies on with ballistic coefficient ``rv_beta_kgm2`` (m / (Cd S)).
    """

    name: str
    stages: tuple[Stage, ...]
    payload_kg: float
    ref_area_m2: float
    cd_mach: tuple[tuple[float, float], ...] = ((0.0, 0.2), (0.8, 0.2), (1.2, 0.35), (2.0, 0.3), (5.0, 0.2), (10.0, 0.2))
    rv_beta_kgm2: float = float("inf")
    t_vertical_s: float = 10.0
    t_kick_s: float = 10.0
    cls: str = "icbm"
    pitch_hold: bool = False  # hold the kicked thrust attitude to burnout (interceptor fly-outs)
    summary: str = ""
    sources: dict = field(default_factory=dict, compare=False, repr=False)
    published: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self):
        if not self.stages:
            raise BmdcheckError(f"missile {self.name!r} has no stages")
        for name in ("payload_kg", "ref_area_m2", "rv_beta_kgm2", "t_kick_s"):
            v = getattr(self, name)
            if not (v > 0):
                raise BmdcheckError(f"missile {self.name!r}: {name} must be positive, got {v}")
        if not (self.t_vertical_s >= 0):
            raise BmdcheckError(f"missile {self.name!r}: t_vertical_s must be >= 0")
        m = np.asarray(self.cd_mach, dtype=float)
        if m.ndim != 2 or m.shape[1] != 2 or np.any(np.diff(m[:, 0]) <= 0) or np.any(m[:, 1] < 0):
            raise BmdcheckError(f"missile {self.name!r}: cd_mach must be (mach, cd) pairs, mach increasing")

    # ---- derived quantities -------------------------------------------------------------
    @property
    def launch_mass_kg(self) -> float:
        return self.payload_kg + sum(s.propellant_kg + s.dry_kg for s in self.stages)

    @property
    def burn_end_s(self) -> float:
        """Time of the last stage's burnout, s after launch (burn times plus coasts)."""
        t = 0.0
        for k, s in enumerate(self.stages):
            t += s.burn_time_s
            if k < len(self.stages) - 1:
                t += s.coast_s
        return t

    def ideal_delta_v_mps(self) -> float:
        """Tsiolkovsky vacuum, gravity-free Δv of the full stack, m/s: Σ g0 Isp ln(m0/mf)."""
        from ..earth.constants import G0_MPS2

        dv, above = 0.0, self.payload_kg
        for s in reversed(self.stages):
            m0 = above + s.dry_kg + s.propellant_kg
            dv += G0_MPS2 * s.isp_vac_s * np.log(m0 / (m0 - s.propellant_kg))
            above = m0
        return float(dv)

    def stage_table(self) -> np.ndarray:
        """Stages as a float array (n_stage, 6): t_ign, t_end, mdot, thrust_vac, exit_area, m_drop.

        ``m_drop`` is the stage's dry mass, dropped at its burnout. Used by the kernels.
        """
        from ..earth.constants import G0_MPS2

        rows, t = [], 0.0
        for s in self.stages:
            mdot = s.propellant_kg / s.burn_time_s
            rows.append((t, t + s.burn_time_s, mdot, mdot * G0_MPS2 * s.isp_vac_s, s.exit_area_m2, s.dry_kg))
            t += s.burn_time_s + s.coast_s
        return np.array(rows, dtype=np.float64)

    def __repr__(self) -> str:
        return (f"Missile({self.name!r}, {len(self.stages)} stages, launch {self.launch_mass_kg/1e3:.1f} t, "
                f"payload {self.payload_kg:.0f} kg, burn {self.burn_end_s:.0f} s, "
                f"ideal Δv {self.ideal_delta_v_mps()/1e3:.2f} km/s)")


# ---- loading ---------------------------------------------------------------------------------

def _num(d: dict, key: str, where: str, sources: dict, default=None) -> float:
    if key not in d:
        if default is not None:
            return default
        raise BmdcheckError(f"{where}: missing '{key}'")
    v = d[key]
    if not isinstance(v, dict) or "value" not in v or "source" not in v:
        raise BmdcheckError(f"{where}: '{key}' must be {{ value = ..., source = \"...\" }}")
    sources[f"{where}.{key}"] = v["source"]
    val = v["value"]
    if isinstance(val, list):
        return val
    try:
        return float(val)
    except (TypeError, ValueError):
        raise BmdcheckError(f"{where}: '{key}' value must be a number, got {val!r}") from None


def missile_from_dict(d: dict, origin: str = "<dict>") -> Missile:
    """Build a Missile from the catalogue's TOML structure (see docs/CATALOGUE.md)."""
    try:
        name = d["name"]
    except KeyError:
        raise BmdcheckError(f"{origin}: missing 'name'") from None
    src: dict = {}
    stages = []
    for k, s in enumerate(d.get("stage", []), start=1):
        w = f"stage[{k}]"
        stages.append(Stage(
            propellant_kg=_num(s, "propellant_kg", w, src),
            dry_kg=_num(s, "dry_kg", w, src),
            burn_time_s=_num(s, "burn_time_s", w, src),
            isp_vac_s=_num(s, "isp_vac_s", w, src),
            exit_area_m2=_num(s, "exit_area_m2", w, src, default=0.0),
            coast_s=_num(s, "coast_s", w, src, default=0.0),
        ))
    kw = {}
    for key in ("rv_beta_kgm2", "t_vertical_s", "t_kick_s"):
        if key in d:
            kw[key] = _num(d, key, "missile", src)
    if "cd_mach" in d:
        kw["cd_mach"] = tuple(tuple(map(float, p)) for p in _num(d, "cd_mach", "missile", src))
    return Missile(
        name=name,
        stages=tuple(stages),
        payload_kg=_num(d, "payload_kg", "missile", src),
        ref_area_m2=_num(d, "ref_area_m2", "missile", src),
        cls=d.get("class", "icbm"),
        summary=d.get("summary", ""),
        sources=src,
        published=d.get("published", {}),
        **kw,
    )


def load_missile_file(path: str | Path) -> Missile:
    """Load one missile TOML file."""
    p = Path(path)
    try:
        d = tomllib.loads(p.read_text())
    except FileNotFoundError:
        raise BmdcheckError(f"missile file not found: {p}") from None
    except tomllib.TOMLDecodeError as e:
        raise BmdcheckError(f"{p}: invalid TOML: {e}") from None
    return missile_from_dict(d, str(p))


@lru_cache(maxsize=None)
def catalogue() -> dict[str, Missile]:
    """All missiles shipped in the catalogue, by name."""
    out = {}
    for entry in sorted(resources.files(_DATA).iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            d = tomllib.loads(entry.read_text())
            m = missile_from_dict(d, entry.name)
            out[m.name] = m
    return out


def get_missile(name_or_missile: "str | Missile") -> Missile:
    """A catalogue missile by name (case-insensitive), or the Missile itself."""
    if isinstance(name_or_missile, Missile):
        return name_or_missile
    cat = catalogue()
    key = str(name_or_missile).strip().lower()
    if key in cat:
        return cat[key]
    if key.endswith(".toml"):
        for cand in (str(name_or_missile).strip(), key):  # a file path keeps its case
            if Path(cand).exists():
                return load_missile_file(cand)
    from ..validate import catalogue_name

    return cat[catalogue_name(name_or_missile, "missile", cat)]  # unknown: the one catalogue error
