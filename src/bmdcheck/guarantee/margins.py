"""Margin corners: the declared defence made stronger by stated amounts, and a rule's outcome there.

A :class:`Corner` is one point of the margin space: burnout speed x ``burnout_scale``, decision
delay and early-warning cue earlier by some seconds, every radar range x ``radar_range_scale``, and
optionally any launch time within each salvo's window. ``Corner()`` is the declared defence. Every
margin moves the defence in its strong direction (faster interceptors, earlier launches, longer
radar reach), so for the rules here the corner with every margin applied at once is the worst case
for the guarantee (docs/GUARANTEES.md, "Margins").

The spec transformations follow the assessment engine's Monte-Carlo inputs
(``assess.engine._scaled`` and ``_radar_scaled``): a burnout-speed scale rebuilds the booster from
the scaled speed (``InterceptorSpec.with_burnout_speed``), rounded to 1 mm/s; an interceptor given
by stages only is kept as declared.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..defence.engage import InterceptorSpec, TimelineSpec
from .rules import Margins


@dataclass(frozen=True)
class Corner:
    """A point of the margin space; ``Corner()`` = the declared values."""

    burnout_scale: float = 1.0
    decision_delay_reduction_s: float = 0.0
    detection_delay_reduction_s: float = 0.0
    radar_range_scale: float = 1.0
    salvo_window: bool = False
    rcs_scale: float = 1.0               # target cross-section x this (joint search only; guarantee/joint.py)
    ship_positions: tuple = ()           # ((site name, lat_deg, lon_deg), ...): ships moved inside their sea boxes

    @classmethod
    def of(cls, m: Margins, keys) -> "Corner":
        """The corner applying the margins ``keys`` of ``m`` (the others at declared values)."""
        keys = set(keys)
        return cls(1.0 + m.burnout_speed_increase_pct / 100.0 if "burnout_speed_increase_pct" in keys else 1.0,
                   m.decision_delay_reduction_s if "decision_delay_reduction_s" in keys else 0.0,
                   m.detection_delay_reduction_s if "detection_delay_reduction_s" in keys else 0.0,
                   m.radar_range_scale if "radar_range_scale" in keys else 1.0,
                   m.salvo_window if "salvo_window" in keys else False)

    @property
    def declared(self) -> bool:
        return self == Corner()

    def label(self) -> str:
        """Short text: 'declared values' or e.g. 'burnout +15 %, decision delay -30 s'."""
        parts = []
        if self.burnout_scale != 1.0:
            parts.append(f"burnout {100 * (self.burnout_scale - 1):+.4g} %")
        if self.decision_delay_reduction_s:
            parts.append(f"decision delay -{self.decision_delay_reduction_s:g} s")
        if self.detection_delay_reduction_s:
            parts.append(f"detection -{self.detection_delay_reduction_s:g} s")
        if self.radar_range_scale != 1.0:
            parts.append(f"radar range x{self.radar_range_scale:g}")
        if self.salvo_window:
            parts.append("any launch time in the salvo window")
        if self.rcs_scale != 1.0:
            parts.append(f"cross-section x{self.rcs_scale:g}")
        for name, lat, lon in self.ship_positions:
            parts.append(f"ship {name} at ({lat:.4g}, {lon:.4g})")
        return ", ".join(parts) or "declared values"

    def to_dict(self) -> dict:
        return {"burnout_speed_scale": self.burnout_scale,
                "decision_delay_reduction_s": self.decision_delay_reduction_s,
                "detection_delay_reduction_s": self.detection_delay_reduction_s,
                "radar_range_scale": self.radar_range_scale, "salvo_window": self.salvo_window,
                # present only when moved, so that verdict documents without it keep their hashes
                **({"rcs_scale": self.rcs_scale} if self.rcs_scale != 1.0 else {}),
                **({"ship_positions": [{"site": n, "lat": la, "lon": lo} for n, la, lo in self.ship_positions]}
                   if self.ship_positions else {})}


def active_margins(m: Margins, applicable) -> list[str]:
    """The margin keys of ``m`` that differ from 'declared' and apply to the rule, in report order."""
    default = Margins()
    return [k for k in applicable if getattr(m, k) != getattr(default, k)]


def scaled_interceptor(it: InterceptorSpec, k: float) -> InterceptorSpec:
    """The interceptor with its burnout speed x k (as ``assess.engine._scaled``)."""
    if k == 1.0 or not it.burnout_speed_mps:
        return it
    return it.with_burnout_speed(round(it.burnout_speed_mps * k, 3))


def scaled_radar(radar, k: float):
    """The radar with its detection range x k (as ``assess.engine._radar_scaled``)."""
    if radar is None or k == 1.0:
        return radar
    return replace(radar, range_km=radar.range_km * k)


def site_at(site, c: Corner):
    """The site (a SiteSpec) at corner ``c``: a ship moved to its corner position (with its own radar),
    any radar range scaled."""
    radar = scaled_radar(site.radar, c.radar_range_scale)
    for name, lat, lon in c.ship_positions:
        if name == site.name:
            if radar is not None:
                radar = replace(radar, lat_deg=lat, lon_deg=lon)
            return replace(site, lat_deg=lat, lon_deg=lon, radar=radar)
    return replace(site, radar=radar)


def timeline_at(tl: TimelineSpec, c: Corner) -> TimelineSpec:
    """The timeline at corner ``c``: decision delay and early-warning cue shortened (never below 0),
    remote radar range scaled, target cross-section scaled."""
    ew = tl.early_warning
    if ew is not None and c.detection_delay_reduction_s:
        cue = max(0.0, ew.detect_after_s + ew.report_delay_s - c.detection_delay_reduction_s)
        detect = min(ew.detect_after_s, cue)
        ew = replace(ew, detect_after_s=detect, report_delay_s=cue - detect)
    return replace(tl, decision_delay_s=max(0.0, tl.decision_delay_s - c.decision_delay_reduction_s),
                   early_warning=ew, remote_radar=scaled_radar(tl.remote_radar, c.radar_range_scale),
                   rcs_scale=tl.rcs_scale * c.rcs_scale)


@dataclass
class Outcome:
    """A rule evaluated at one corner: holds or not, a short summary, numbers, and (when it does not
    hold) a counterexample."""

    ok: bool
    summary: str
    metrics: dict = field(default_factory=dict)
    counterexample: dict | None = None
