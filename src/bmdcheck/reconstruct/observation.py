"""Observed quantities with their stated precision: ``1250±25``, ``1250+-25``, ``1250±2%``, ``1250``.

An observation is a value and a half-width (``sigma``, same unit): the reconstruction is run at the
value and at the corners ``value ± sigma`` of every observed quantity (docs/CONVENTIONS.md,
"reconstruct"). No precision stated means a half-width of 0.
"""

from __future__ import annotations

import math
import re
from typing import NamedTuple

from ..errors import BmdcheckError, InputError

_NUM = r"[+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_RE = re.compile(rf"^\s*({_NUM})\s*(?:(?:±|\+-|\+/-)\s*({_NUM})\s*(%?))?\s*$")


class Measured(NamedTuple):
    """A measured value and the half-width of its stated precision (same unit, >= 0)."""

    value: float
    sigma: float = 0.0

    @property
    def lo(self) -> float:
        return self.value - self.sigma

    @property
    def hi(self) -> float:
        return self.value + self.sigma

    def to_dict(self) -> dict:
        return {"value": self.value, "plus_minus": self.sigma}


def parse_measured(text, what: str) -> Measured:
    """Parse ``V``, ``V±S``, ``V+-S``, ``V+/-S`` or ``V±P%`` (non-negative, finite) into a Measured.

    ``what`` names the parameter in the one-line error (e.g. ``apogee_km``; the CLI shows its flag).
    """
    if isinstance(text, Measured):
        return text
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        text = repr(float(text))
    m = _RE.match(str(text))
    if not m:
        raise InputError(f"must be a number with an optional precision such as 1250±25, 1250+-25 or "
                         f"1250±2%, got {text!r}", param=what)
    v = float(m.group(1))
    s = float(m.group(2)) if m.group(2) else 0.0
    if m.group(3):
        s = abs(v) * s / 100.0
    if not (math.isfinite(v) and math.isfinite(s)):
        raise InputError(f"must be finite, got {text!r}", param=what)
    if s > v:
        raise InputError(f"the precision ±{s:g} is larger than the value {v:g}", param=what)
    return Measured(v, s)
