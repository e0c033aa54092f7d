"""Fly a scenario's threat cases once, and hand out :class:`~bmdcheck.defence.engagement.Threats`
for any subset of them.

The flights are those of the assessment engine (``assess.engine.run_chunk``): one steering solve
and one sampled batch flight per (missile, shape) group, samples every 1 s, ``rtol = 1e-10``, so a
guarantee is checked on the same trajectories an assessment of the scenario uses. No physics here:
``flight.newton.aim`` (Newton steering, the reference solver as fallback) does the work and hands
back each solved case's verifying flight (adaptive kernel at RTOL, sampled), the very flight the
engine uses. Each
trajectory starts at its own t = 0 (launch), as in the engine; windows are therefore in seconds
after launch.
"""

from __future__ import annotations

import numpy as np

from ..defence.engagement import Threats

SAMPLE_INTERVAL_S = 1.0
"""Trajectory sample interval, s: as ``assess.engine.run_chunk``."""
RTOL = 1e-10
"""Integrator tolerance: as ``assess.engine.run_chunk``."""


class FlownCases:
    """Trajectories of threat cases, flown on demand and kept.

    ``cases``: the scenario's ``ThreatCase`` list (``scenario.expand.threat_cases`` order).
    After :meth:`fly`, ``error[i]`` is the steering error of case i (None when it flew) and
    :meth:`threats` gives a ``Threats`` batch of flown cases, rows in the order asked for.
    """

    def __init__(self, cases: list):
        self.cases = cases
        self.error: dict[int, str | None] = {}
        self._rows: dict[int, tuple] = {}   # case -> (t (k,), r (k, 3), v (k, 3), earth)
        self.range_km: dict[int, float] = {}
        self.flight_time_s: dict[int, float] = {}
        self.apogee_km: dict[int, float] = {}

    def fly(self, case_ids) -> None:
        """Fly the given cases that are not flown yet (grouped by missile and shape)."""
        from ..flight.missile import get_missile
        from ..flight.newton import aim as aim_steering

        todo = [i for i in dict.fromkeys(case_ids) if i not in self.error]
        groups: dict = {}
        for i in todo:
            c = self.cases[i]
            groups.setdefault((c.missile, c.shape), []).append(i)
        for (mname, shape), ids in groups.items():
            m = get_missile(mname)
            cs = [self.cases[i] for i in ids]
            la = np.array([c.launch_lat for c in cs])
            lo = np.array([c.launch_lon for c in cs])
            ta = np.array([c.aim_lat for c in cs])
            to = np.array([c.aim_lon for c in cs])
            # Newton fast path, reference solver as fallback; the solved rows' verifying flights
            # (adaptive kernel at min(1e-9, 1e-10) = RTOL, samples every SAMPLE_INTERVAL_S)
            st = aim_steering(m, la, lo, ta, to, shape, sample_interval_s=SAMPLE_INTERVAL_S)
            ok = np.nonzero(st.ok)[0]
            for k, i in enumerate(ids):
                self.error[i] = None if st.ok[k] else str(st.error[k])
            if not ok.size:
                continue
            b = st.flights
            rng = b.range_m() / 1e3
            apo = b.apogee_alt_m() / 1e3
            for j, k in enumerate(ok):
                i = ids[k]
                n = int(b.n_samples[j])
                self._rows[i] = (b.t_s[j, :n].copy(), b.r_eci_m[j, :n].copy(), b.v_eci_mps[j, :n].copy(), b.earth,
                                 float(b.burnout_time_s[j]))
                self.range_km[i] = float(rng[j])
                self.flight_time_s[i] = float(b.impact_time_s[j])
                self.apogee_km[i] = float(apo[j])

    def flown(self, case_ids) -> list[int]:
        """The cases among ``case_ids`` that flew (steering solved), in the given order."""
        return [i for i in case_ids if self.error.get(i, "not flown") is None]

    def threats(self, case_ids) -> Threats:
        """A Threats batch of the given flown cases: t_s (N, M), r_eci_m / v_eci_mps (N, M, 3), padded."""
        key = tuple(case_ids)
        memo = self.__dict__.setdefault("_threats", {})  # the same object for the same cases: every rule,
        if key in memo:                                   # corner and search step (and coverage.memo) reuse it
            return memo[key]
        rows = [self._rows[i] for i in case_ids]
        if not rows:
            raise ValueError("no flown cases")
        from ..flight.batch import pad_rows

        t, r, v, ns = pad_rows([row[:3] for row in rows])
        memo[key] = Threats(t, r, v, ns, rows[0][3], burnout_s=np.array([row[4] for row in rows]))
        return memo[key]
